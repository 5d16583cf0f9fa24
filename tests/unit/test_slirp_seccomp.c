/* The seccomp allow-list refuses what the loop never does, and allows what it does. */
#include <sched.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "slirp.h"
#include "unit.h"

/* Runs @probe in a child under the filter; returns its exit status (0: as expected). */
static int under_filter(int (*probe)(void))
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		struct slirp_cfg cfg = { .enable_seccomp = true };

		if (slirp_isolate_syscalls(&cfg))
			_exit(100);
		/* _exit: the sanitizers' exit-time work (ptrace for leak checks) is forbidden. */
		_exit(probe());
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 200;
}

static int forbidden_ones_fail_with_eperm(void)
{
	char *const argv[] = { "/bin/true", NULL };

	if (execve("/bin/true", argv, NULL) != -1 || errno != EPERM)
		return 1;
	if (unshare(CLONE_NEWUSER) != -1 || errno != EPERM)
		return 2;
	if (mount("none", "/tmp", "tmpfs", 0, NULL) != -1 || errno != EPERM)
		return 3;
	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != -1 || errno != EPERM)
		return 4;
	if (fork() != -1 || errno != EPERM)
		return 5;
	if (chdir("/") != -1 || errno != EPERM)
		return 6;
	return 0;
}

static int loop_syscalls_still_work(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || close(fd) < 0)
		return 1;
	if (getpid() <= 0 || write(STDOUT_FILENO, "", 0) < 0)
		return 2;
	return 0;
}

TEST(forbidden_syscalls_are_refused)
{
	CHECK(under_filter(forbidden_ones_fail_with_eperm) == 0);
}

TEST(the_loops_syscalls_are_allowed)
{
	CHECK(under_filter(loop_syscalls_still_work) == 0);
}

UNIT_MAIN("slirp-seccomp", T(forbidden_syscalls_are_refused), T(the_loops_syscalls_are_allowed))
