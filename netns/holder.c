/* rootlet-netns-holder: the tiny process that keeps a rootless netns alive. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "fileio.h"
#include "holder.h"
#include "isolate.h"
#include "lock.h"
#include "state.h"

/*
 * Theory of operation
 *
 * rootlet-netns add forks a child that makes (or joins) the user namespace and makes the network
 * namespace, then execs this program, so that the namespaces belong to a process that does
 * nothing else: no threads, no files but what it needs, no capabilities, no libraries beyond libc
 * and libcap-ng. Its pid and start time go into state.json, and <entry>/net and <entry>/user are
 * symlinks to its /proc/PID/ns/ files; other processes of the same user open those through the
 * ptrace access check, which is why the holder stays dumpable.
 *
 * On SIGTERM or SIGINT it exits. If nobody holds the entry's lock (rootlet-netns del holds it
 * while it stops us) it removes the entry first, so that `kill PID` leaves no stale state.
 *
 * A netns that belongs to a process (add --owner: rootlet run's command) ends with it: add
 * hands us a pidfd of that process on HOLDER_OWNER_FD, taken after its start time was checked
 * against the one recorded, and once committed we exit when it does, as on SIGTERM. So nothing
 * of a `rootlet run` outlives its command even if its teardown was killed: the helpers end
 * with us, and the entry goes with our release (or, when busy, at the next gc).
 */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s STATE_ROOT NAME\n"
		"Keeps a rootless network namespace alive for rootlet-netns; not run by hand.\n",
		program_invocation_short_name);
}

static void report(holder_msg_t msg)
{
	/* A failed write means add already gave up on us; nothing better is left to do. */
	if (write(HOLDER_REPORT_FD, &msg, sizeof(msg)) != sizeof(msg))
		_exit(1);
}

/* The entry is ours only if its net link still names our own /proc/PID/ns/net. */
static int holder_owns(int dir_fd)
{
	char want[64], got[64];
	ssize_t n;

	snprintf(want, sizeof(want), "/proc/%d/ns/net", (int)getpid());
	n = readlinkat(dir_fd, STATE_NET, got, sizeof(got) - 1);
	if (n < 0)
		return 0;
	got[n] = '\0';
	return !strcmp(want, got);
}

static void holder_release(const char *root, const char *name)
{
	int root_fd, dir_fd = -1, lock_fd = -1;

	root_fd = open(root, DIR_OPEN_FLAGS);
	if (root_fd < 0)
		return;
	dir_fd = openat(root_fd, name, DIR_OPEN_FLAGS);
	if (dir_fd < 0)
		goto out;
	/* Busy: del (or gc) is removing the entry and waits for our exit. */
	if (lock_at(dir_fd, STATE_LOCK, false, &lock_fd))
		goto out;
	if (!holder_owns(dir_fd))
		goto out;
	if (!dir_remove_contents(dir_fd))
		unlinkat(root_fd, name, AT_REMOVEDIR);
out:
	if (lock_fd >= 0)
		close(lock_fd);
	if (dir_fd >= 0)
		close(dir_fd);
	close(root_fd);
}

/* HOLDER_OWNER_FD, if it is a pidfd (add --owner); else it is closed. Returns the fd or -1. */
static int owner_fd(void)
{
	static const char pidfd[] = "anon_inode:[pidfd]";
	char path[sizeof("/proc/self/fd/2147483647")], link[sizeof(pidfd) + 1];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", HOLDER_OWNER_FD);
	n = readlink(path, link, sizeof(link) - 1);
	if (n == (ssize_t)strlen(pidfd) && !memcmp(link, pidfd, (size_t)n))
		return HOLDER_OWNER_FD;
	close(HOLDER_OWNER_FD);
	return -1;
}

/* Committed: until SIGTERM or SIGINT, or the owner's end. */
static void wait_end(const sigset_t *wanted, int owner)
{
	struct pollfd p[2] = { { .fd = signalfd(-1, wanted, SFD_CLOEXEC), .events = POLLIN },
			       { .fd = owner, .events = POLLIN } };
	int sig;

	if (p[0].fd < 0 || owner < 0) {
		if (p[0].fd >= 0)
			close(p[0].fd);
		do
			sig = sigwaitinfo(wanted, NULL);
		while (sig < 0);
		return;
	}
	while (poll(p, 2, -1) < 0 && errno == EINTR)
		;
	close(p[0].fd);
}

/*
 * Until add commits, a signal or add's death ends us like a SIGTERM would. Returns true once
 * committed, false when the holder is to release its entry and exit.
 */
static bool wait_commit(const sigset_t *wanted)
{
	struct pollfd p[2] = { { .fd = HOLDER_REPORT_FD, .events = POLLIN },
			       { .fd = signalfd(-1, wanted, SFD_CLOEXEC), .events = POLLIN } };
	bool committed = false;
	char c;

	while (poll(p, p[1].fd >= 0 ? 2 : 1, -1) < 0)
		if (errno != EINTR)
			break;
	if (!(p[1].fd >= 0 && p[1].revents))
		committed = read(HOLDER_REPORT_FD, &c, 1) == 1 && c == HOLDER_COMMIT;
	if (p[1].fd >= 0)
		close(p[1].fd);
	close(HOLDER_REPORT_FD);
	return committed;
}

/* The holder's privilege timeline: lib/isolate.h's stages, of which it needs only caps. */
static int holder_isolate(void)
{
	int null_fd, err;

	if (setsid() < 0 || chdir("/") < 0)
		return -errno;
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null_fd < 0)
		return -errno;
	if (dup2(null_fd, STDIN_FILENO) < 0 || dup2(null_fd, STDOUT_FILENO) < 0 ||
	    dup2(null_fd, STDERR_FILENO) < 0)
		return -errno;
	if (null_fd > STDERR_FILENO)
		close(null_fd);
	if (close_range(HOLDER_OWNER_FD + 1, ~0U, 0) < 0)
		return -errno;

	/*
	 * Nobody needs our capabilities: others join through /proc/PID/ns, not through us. In a
	 * new userns exec'd before its maps, holder_spawn.c cleared the bounding set already.
	 */
	if ((err = isolate_caps(NULL, 0, true, NULL)))
		return err;
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

int main(int argc, char **argv)
{
	sigset_t wanted;
	int err, owner;

	if (argc == 2 && !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("%s %s\n", program_invocation_short_name, ROOTLET_VERSION);
		return 0;
	}
	if (argc != 3 || fcntl(HOLDER_REPORT_FD, F_GETFD) < 0) {
		usage(stderr);
		return 2;
	}

	sigemptyset(&wanted);
	sigaddset(&wanted, SIGTERM);
	sigaddset(&wanted, SIGINT);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	sigprocmask(SIG_BLOCK, &wanted, NULL);

	owner = owner_fd();
	if ((err = holder_isolate())) {
		report(err);
		return 1;
	}
	report(HOLDER_MSG_READY);
	if (wait_commit(&wanted))
		wait_end(&wanted, owner);

	holder_release(argv[1], argv[2]);
	return 0;
}
