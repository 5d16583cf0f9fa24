/* rootlet-runtime: the host-side rootlet-bypass of the user namespace it runs in, started if none
 * is. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "binpath.h"
#include "hostsup.h"
#include "pidfile.h"
#include "runtime.h"
#include "statedir.h"

/*
 * Theory of operation
 *
 * A container in an engine's own netns (podman's slirp4netns; not a rootlet netns) is served by
 * `rootlet-bypass --host`, which takes each container's policy from the state its runtime hands
 * over (rootlet-bypass(1)). One serves every container of one user namespace: podman runs us
 * in its own, in the host's netns, and there a supervisor started by us holds the capabilities
 * (CAP_SYS_PTRACE over the containers, its own sandbox) that serving needs, and makes its twins
 * in the host's netns. So its socket is named for that user namespace (its inode), in the
 * user's 0700 state root: <root>/bypass@host-INODE.sock ('@': no netns name; list passes it by,
 * gc removes a dead one's files: lib/hostsup.c).
 *
 * Under a shared lock on <socket>.lock: if its pid file names a live daemon, it is used; else
 * one is started (detached: its own session, stdio on /dev/null and its log file, no fd of the
 * engine's) and waited for until ready; a daemon another wrapper started meanwhile wins (a
 * daemon holds <socket>.run for its life: a second refuses to start), and is used. The shared
 * lock is then kept, across the exec, by the runtime (and its container's init, until it execs
 * the container's process): the daemon, ending once idle, takes that lock exclusively first,
 * so it never ends between our finding it live and our runtime's handover. Shared: wrappers
 * never wait for each other, nor for a container created and not yet started.
 */

#define HOST_PREFIX    HOSTSUP_PREFIX "-"
#define HOST_SUFFIX    HOSTSUP_SOCK
#define HOST_LOG       HOSTSUP_LOG
#define HOST_LOCK      HOSTSUP_LOCK
#define HOST_IDLE_S    "10"  /* the daemon ends this long after its last container */
#define HOST_READY_MS  5000  /* its start, from exec to ready */
#define HOST_LOCK_FD   256   /* the lock kept across the exec: above an engine's preserved fds */
#define HOST_FD_MAX    (~0U) /* close_range()'s "every fd from here" */
#define HOST_LOG_MODE  0600
#define HOST_NAME_LEN  64		    /* bypass@host-INODE.sock */
#define HOST_FILE_LEN  (HOST_NAME_LEN + 16) /* ... and a suffix */
#define HOST_KIT_CHILD "child_pid"	    /* in $ROOTLESSKIT_STATE_DIR: its child's pid */
#define HOST_PID_TEXT  24

/* The daemon, from a grandchild of ours: detached, fd 3 its ready pipe. */
static void daemon_exec(const char *binary, const char *sock, int dir_fd, const char *log,
			int ready)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int logfd = openat(dir_fd, log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
			   HOST_LOG_MODE);

	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(null, STDOUT_FILENO) < 0 ||
	    dup2(logfd >= 0 ? logfd : null, STDERR_FILENO) < 0 || dup2(ready, 3) < 0)
		_exit(RT_EXIT_FAILED);
	close_range(4, HOST_FD_MAX, 0);
	/* The engine's and systemd's hand-overs are the runtime's, never the daemon's. */
	unsetenv("NOTIFY_SOCKET");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDNAMES");
	signal(SIGPIPE, SIG_DFL);
	execl(binary, "rootlet-bypass", "--host", "--socket", sock, "--ready-fd", "3",
	      "--idle-exit", HOST_IDLE_S, (char *)NULL);
	_exit(RT_EXIT_FAILED);
}

/* Start the daemon and wait for its ready line (or its end). */
static int daemon_start(const char *sock, int dir_fd, const char *log, struct err *e)
{
	char binary[PATH_MAX], byte;
	struct pollfd pfd;
	int pipefd[2], status, n;
	pid_t pid;

	if (binary_path("rootlet-bypass", BINPATH_LIBEXEC, binary, sizeof(binary)))
		return err_make(e, -ENOENT, "no rootlet-bypass beside %s", RT_PROG);
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return err_errno(e, -errno, "pipe");
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return err_errno(e, -errno, "fork");
	}
	if (pid == 0) {
		/* The daemon is the child of a session of its own, its parent gone at once. */
		if (setsid() < 0 || (pid = fork()) < 0)
			_exit(RT_EXIT_FAILED);
		if (pid == 0)
			daemon_exec(binary, sock, dir_fd, log, pipefd[1]);
		_exit(0);
	}
	close(pipefd[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	pfd = (struct pollfd){ .fd = pipefd[0], .events = POLLIN };
	n = poll(&pfd, 1, HOST_READY_MS);
	n = n == 1 ? (int)read(pipefd[0], &byte, 1) : -1;
	close(pipefd[0]);
	if (n != 1)
		return err_make(e, -EIO, "rootlet-bypass --host did not start (see %s)", log);
	return 0;
}

/**
 * rt_kit_child() - The pid rootlesskit records of its child, when we run inside rootlesskit
 * @ret:	the pid
 *
 * Return: 0, -ENOENT outside rootlesskit or without the record, negative errno
 */
int rt_kit_child(pid_t *ret)
{
	const char *kit = getenv(RT_ENV_ROOTLESSKIT);
	char path[PATH_MAX], child[HOST_PID_TEXT], *end;
	ssize_t n = -1;
	long pid;
	int fd;

	if (!kit || snprintf(path, sizeof(path), "%s/%s", kit, HOST_KIT_CHILD) >= (int)sizeof(path))
		return -ENOENT;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	n = read(fd, child, sizeof(child) - 1);
	close(fd);
	if (n <= 0)
		return -ENOENT;
	child[n] = '\0'; /* rootlesskit writes no newline after the pid */
	errno = 0;
	pid = strtol(child, &end, 10);
	if (errno || pid <= 0 || pid > INT_MAX || (*end && *end != '\n'))
		return -EBADMSG;
	*ret = (pid_t)pid;
	return 0;
}

/*
 * Inside rootlesskit no supervisor is started: it would run in rootlesskit's netns. Say what
 * to start in the host's netns, with the pid rootlesskit records of its child (the engine's
 * ancestor in that user namespace: any process of it does).
 */
static int not_started(unsigned long userns, struct err *e)
{
	char child[HOST_PID_TEXT] = "PID";
	pid_t pid;

	if (!rt_kit_child(&pid))
		snprintf(child, sizeof(child), "%d", (int)pid);
	return err_make(e, -ESRCH,
			"no rootlet-bypass --host serves this rootlesskit's user namespace (%lu); "
			"start one in the host's netns: rootlet-bypass --host --engine-pid %s",
			userns, child);
}

/**
 * rt_host_listener() - The listenerPath of the host-side supervisor of our user namespace,
 * started if none runs; its lock kept for the runtime
 * @buf:	the socket's path
 * @len:	its size
 * @start:	start one if none runs (not inside rootlesskit: it would be in rootlesskit's netns)
 * @e:		why there is none
 *
 * Return: 0 on success, -ESRCH with none running and @start false, negative errno
 */
int rt_host_listener(char *buf, size_t len, bool start, struct err *e)
{
	char root[PATH_MAX], name[HOST_NAME_LEN], lock[HOST_FILE_LEN], log[HOST_FILE_LEN],
		pid[HOST_FILE_LEN];
	struct pidfile pf;
	struct stat ns;
	int root_fd, lock_fd, high, err;

	if (stat("/proc/self/ns/user", &ns) < 0)
		return err_errno(e, -errno, "/proc/self/ns/user");
	if ((err = state_root_path(root, sizeof(root))))
		return err_make(e, err, "no state directory (set XDG_RUNTIME_DIR)");
	snprintf(name, sizeof(name), HOST_PREFIX "%lu" HOST_SUFFIX, (unsigned long)ns.st_ino);
	snprintf(lock, sizeof(lock), "%s" HOST_LOCK, name);
	snprintf(log, sizeof(log), "%s" HOST_LOG, name);
	if (snprintf(buf, len, "%s/%s", root, name) >= (int)len)
		return err_make(e, -ENAMETOOLONG, "%s/%s: too long", root, name);
	if ((err = state_root_open(root, true, &root_fd)))
		return err_errno(e, err, "%s", root);
	if ((err = hostsup_lock_shared(root_fd, lock, &lock_fd))) {
		close(root_fd);
		return err_errno(e, err, "%s/%s", root, lock);
	}
	snprintf(pid, sizeof(pid), "%s" PIDFILE_SUFFIX, name);
	if ((pidfile_read(root_fd, pid, &pf) || pidfile_live(&pf) <= 0) && !start) {
		err = not_started(ns.st_ino, e);
	} else if (pidfile_read(root_fd, pid, &pf) || pidfile_live(&pf) <= 0) {
		err = daemon_start(buf, root_fd, log, e);
		/* Another wrapper's daemon, started meanwhile, serves as well. */
		if (err && !pidfile_read(root_fd, pid, &pf) && pidfile_live(&pf) > 0)
			err = 0;
	}
	close(root_fd);
	/* Held by the runtime we become until it exits, its listener handed over. */
	high = err ? -1 : fcntl(lock_fd, F_DUPFD, HOST_LOCK_FD);
	close(lock_fd);
	if (!err && high < 0)
		return err_errno(e, -errno, "keeping %s", lock);
	return err;
}
