/* rootlet teardown: run's companion, waiting for CMD to end, relaying its notifications. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fileio.h"
#include "front.h"
#include "log.h"
#include "sdnotify.h"

#define FD_ARGS	      3	 /* PIDFD RELAY_FD TO_FD */
#define NSPID_MAX     32 /* pid namespaces nest at most 32 deep */
#define RELAY_FDS_MAX 16 /* fds a datagram may carry (FDSTORE=1); they are not relayed */

/*
 * Theory of operation. `rootlet run` forks this before it becomes CMD (it execs in place, so
 * CMD has run's pid, exit status, signals and terminal with nothing in between). Re-executed
 * as `rootlet teardown`, in a session of its own with no terminal, it holds a pidfd of run's
 * process, the notify relay socket CMD was given, and the socket to the real NOTIFY_SOCKET.
 * It sleeps in poll(): datagrams from CMD are rewritten (notify_relay.c) and passed on; when
 * the pidfd says CMD exited (a zombie counts), it drains the relay, removes its socket and
 * becomes `rootlet-netns del NAME` (or, for run --network, `rootlet-network dealloc NET NAME`),
 * unless run had --keep. Nothing is forked while it waits.
 */

/* NSpid of @pid: its pid in each pid namespace, outermost first. */
static int nspid(pid_t pid, long *ret, int max)
{
	char path[sizeof("/proc/-2147483648/status")], *text = NULL, *p;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (file_read_small(AT_FDCWD, path, &text, NULL))
		return -ESRCH;
	if ((p = strstr(text, "\nNSpid:"))) {
		p += strlen("\nNSpid:");
		while (n < max) {
			char *e;
			long v = strtol(p, &e, 10);

			if (e == p)
				break;
			ret[n++] = v;
			p = e;
		}
	}
	free(text);
	return n;
}

static bool same_pidns(pid_t a, pid_t b)
{
	char pa[sizeof("/proc/-2147483648/ns/pid")], pb[sizeof(pa)], la[64], lb[64];
	ssize_t na, nb;

	snprintf(pa, sizeof(pa), "/proc/%d/ns/pid", (int)a);
	snprintf(pb, sizeof(pb), "/proc/%d/ns/pid", (int)b);
	na = readlink(pa, la, sizeof(la));
	nb = readlink(pb, lb, sizeof(lb));
	return na > 0 && na == nb && !memcmp(la, lb, (size_t)na);
}

/* A pid of the sender's pid namespace, as the host sees it; -1 if no process has it. */
static pid_t host_pid(pid_t inner, void *ctx)
{
	pid_t sender = *(pid_t *)ctx;
	long ids[NSPID_MAX];
	int n = nspid(sender, ids, NSPID_MAX);
	struct dirent *d;
	pid_t found = -1;
	DIR *proc;

	if (n <= 1)
		return n == 1 ? inner : -1; /* the sender shares our pid namespace */
	if (ids[n - 1] == inner)
		return (pid_t)ids[0];
	if (!(proc = opendir("/proc")))
		return -1;
	while (found < 0 && (d = readdir(proc))) {
		long v = strtol(d->d_name, NULL, 10);

		if (v <= 0 || nspid((pid_t)v, ids, NSPID_MAX) != n || ids[n - 1] != inner)
			continue;
		if (same_pidns((pid_t)v, sender))
			found = (pid_t)v;
	}
	closedir(proc);
	return found;
}

/* One datagram from CMD's side to the real notify socket; false when none was waiting. */
static bool relay_one(int relay, int to, pid_t main_pid)
{
	char msg[SDNOTIFY_MSG_MAX], out[SDNOTIFY_MSG_MAX + RELAY_PID_TEXT];
	char cbuf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(RELAY_FDS_MAX * sizeof(int))];
	struct iovec iov = { .iov_base = msg, .iov_len = sizeof(msg) };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	pid_t sender = -1;
	ssize_t n = recvmsg(relay, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	size_t len;

	if (n < 0)
		return false;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
			struct ucred cred;

			memcpy(&cred, CMSG_DATA(c), sizeof(cred));
			sender = cred.pid;
		} else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int *fds = (int *)CMSG_DATA(c);
			size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			for (size_t i = 0; i < k; i++)
				close(fds[i]);
		}
	}
	len = relay_translate(msg, (size_t)n, main_pid, host_pid, &sender, out, sizeof(out));
	if (len && to >= 0)
		send(to, out, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	return true;
}

static int parse_fd(const char *text)
{
	char *end;
	long v = strtol(text, &end, 10);

	return *end || end == text || v < -1 || v > INT_MAX ? -2 : (int)v;
}

/**
 * front_teardown() - `rootlet teardown PID PIDFD RELAY_FD TO_FD del|keep BINARY NAME` or
 *		      `... dealloc BINARY NAME NET`
 * @argc:	count, "teardown" included
 * @argv:	the arguments run gave; not for users
 *
 * Return: only on failure (it becomes rootlet-netns del), or 0 with keep
 */
int front_teardown(int argc, char **argv)
{
	int fds[FD_ARGS];
	pid_t main_pid;

	if (argc != 2 + FD_ARGS + 3 &&
	    !(argc == 2 + FD_ARGS + 4 && !strcmp(argv[2 + FD_ARGS], "dealloc"))) {
		log_error("teardown: is run's own, not for use by hand");
		return FRONT_EXIT_USAGE;
	}
	main_pid = (pid_t)strtol(argv[1], NULL, 10);
	for (int i = 0; i < FD_ARGS; i++)
		if ((fds[i] = parse_fd(argv[2 + i])) < -1)
			return FRONT_EXIT_USAGE;
	for (;;) {
		struct pollfd p[2] = { { .fd = fds[0], .events = POLLIN },
				       { .fd = fds[1], .events = POLLIN } };

		if (poll(p, fds[1] >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents & POLLIN)
			relay_one(fds[1], fds[2], main_pid);
		else if (p[0].revents)
			break;
	}
	if (fds[1] >= 0) {
		struct sockaddr_un addr;
		socklen_t alen = sizeof(addr);

		/* What CMD said just before it ended (a STOPPING=1) still goes. */
		while (relay_one(fds[1], fds[2], main_pid))
			;
		if (!getsockname(fds[1], (struct sockaddr *)&addr, &alen) && addr.sun_path[0])
			unlink(addr.sun_path);
	}
	if (!strcmp(argv[2 + FD_ARGS], "del"))
		execv(argv[3 + FD_ARGS],
		      (char *[]){ argv[3 + FD_ARGS], "del", argv[4 + FD_ARGS], NULL });
	else if (!strcmp(argv[2 + FD_ARGS], "dealloc"))
		execv(argv[3 + FD_ARGS], (char *[]){ argv[3 + FD_ARGS], "dealloc",
						     argv[5 + FD_ARGS], argv[4 + FD_ARGS], NULL });
	else
		return 0;
	return 1;
}
