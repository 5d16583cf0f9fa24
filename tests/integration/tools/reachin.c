/* reachin: try to reach into another process as a container would, to take its sockets. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * Usage: reachin PID...
 *
 * For each PID prints "PID getfd=WHAT ptrace=WHAT": pidfd_getfd() of its fds (the first that
 * is open) and PTRACE_SEIZE, each "OK" or the errno's name. A process we may reach is one
 * whose host-netns sockets are ours to use, and whose code is ours to run.
 */

#define FD_SCAN 256

static const char *errname(int e)
{
	static char num[16];

	switch (e) {
	case 0:
		return "OK";
	case EPERM:
		return "EPERM";
	case ESRCH:
		return "ESRCH";
	case EBADF:
		return "EBADF";
	case EACCES:
		return "EACCES";
	case ENOSYS:
		return "ENOSYS";
	default:
		snprintf(num, sizeof(num), "%d", e);
		return num;
	}
}

static int try_getfd(int pid)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), e = EBADF;

	if (pidfd < 0)
		return errno;
	for (int fd = 0; fd < FD_SCAN; fd++) {
		int got = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);

		if (got >= 0) {
			close(got);
			e = 0;
			break;
		}
		if (errno != EBADF) {
			e = errno;
			break;
		}
	}
	close(pidfd);
	return e;
}

static int try_ptrace(int pid)
{
	if (ptrace(PTRACE_SEIZE, pid, 0, 0) < 0)
		return errno;
	ptrace(PTRACE_DETACH, pid, 0, 0);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: reachin PID...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		int pid = atoi(argv[i]);
		int g = try_getfd(pid);

		printf("%d getfd=%s", pid, errname(g));
		printf(" ptrace=%s\n", errname(try_ptrace(pid)));
	}
	return 0;
}
