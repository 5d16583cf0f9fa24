/* The callers seen lately: a pidfd, an fd and an fdinfo directory each, kept for their next call.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bypass.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL /* Linux 6.9: a pidfd of a thread that is not the leader */
#endif

/*
 * A process that connects once tends to connect again: opening its pidfd and walking
 * /proc/PID/fd and /proc/PID/fdinfo every time is a third of a call's cost. All three are kept
 * per thread id, in a few slots reused in turn. They name the task itself, not the number: once
 * it has ended, pidfd_getfd() fails with ESRCH and a lookup in its fd or fdinfo directory with
 * ENOENT, even when a new task has the same number, and the slot is opened again for the task
 * the notification names (whose id was checked pending after its address was read).
 */

static void slot_close(struct bp_proc *p)
{
	if (p->pidfd >= 0)
		close(p->pidfd);
	if (p->fds >= 0)
		close(p->fds);
	if (p->fdinfo >= 0)
		close(p->fdinfo);
	p->pidfd = p->fds = p->fdinfo = -1;
	p->tid = 0;
}

static int slot_open(struct bp_state *st, struct bp_proc *p, int tid)
{
	char path[32];

	slot_close(p);
	p->pidfd = pidfd_open(tid, PIDFD_THREAD);
	if (p->pidfd < 0 && errno == EINVAL)
		p->pidfd = pidfd_open(tid, 0);
	if (p->pidfd < 0)
		return -errno;
	snprintf(path, sizeof(path), "%d/fd", tid);
	p->fds = openat(st->proc_fd, path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	snprintf(path, sizeof(path), "%d/fdinfo", tid);
	if (p->fds >= 0)
		p->fdinfo = openat(st->proc_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p->fds < 0 || p->fdinfo < 0) {
		int err = -errno;

		slot_close(p);
		return err;
	}
	p->tid = tid;
	return 0;
}

/* The slot of @tid, opened if it has none. */
static struct bp_proc *slot_of(struct bp_state *st, int tid, bool fresh, int *ret_err)
{
	struct bp_proc *p = NULL;

	for (int i = 0; i < BP_PROCS; i++)
		if (st->procs[i].tid == tid)
			p = &st->procs[i];
	if (p && !fresh)
		return p;
	if (!p) {
		p = &st->procs[st->next_proc];
		st->next_proc = (st->next_proc + 1) % BP_PROCS;
	}
	*ret_err = slot_open(st, p, tid);
	return *ret_err ? NULL : p;
}

/*
 * Whether fd @fd of @p's task is a socket, by the link of /proc/TID/fd/FD alone: a readlink
 * that asks nothing of the file's filesystem (a FUSE file's server is never called), where a
 * copy's close() of a FUSE file waits for its FLUSH, for ever if it is never answered. 0 for a
 * socket, -ENOTSOCK for anything else, -ESRCH if the task or its fd is gone (ENOENT).
 */
static int slot_sock(const struct bp_proc *p, int fd)
{
	char name[16], link[sizeof(BP_SOCK_LINK)];
	ssize_t n;

	snprintf(name, sizeof(name), "%d", fd);
	n = readlinkat(p->fds, name, link, sizeof(link));
	if (n < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	/* Read as far as the prefix (the link is cut there): sockfs's own name alone begins so. */
	if (n < (ssize_t)strlen(BP_SOCK_LINK) || memcmp(link, BP_SOCK_LINK, strlen(BP_SOCK_LINK)))
		return -ENOTSOCK;
	return 0;
}

/**
 * procs_sock() - Whether fd @fd of thread @tid is a socket, its fd not copied
 * @st:		the daemon
 * @tid:	the calling thread, whose slot procs_pidfd() just opened
 * @fd:		its fd
 *
 * Asked before any copy of a caller's fd (reader.c): a file that is no socket is never copied.
 *
 * Return: 0 for a socket, -ENOTSOCK if the fd is none, -ESRCH if the task or its fd is gone
 *	   (perhaps a task of the same number: open its slot afresh), negative errno
 */
int procs_sock(struct bp_state *st, int tid, int fd)
{
	struct bp_proc *p;
	int err = 0;

	if (!(p = slot_of(st, tid, false, &err)))
		return err;
	return slot_sock(p, fd);
}

/**
 * procs_getfd() - A copy of fd @fd of thread @tid
 * @st:		the daemon
 * @tid:	the calling thread
 * @fd:		its fd
 * @ret_fd:	ours, the same open file
 *
 * Return: 0 on success, -ENOTSOCK if the fd is no socket (never copied then), -ETIMEDOUT if
 *	   the copy was not had in time (reader.c), negative errno (the caller or its fd gone)
 */
int procs_getfd(struct bp_state *st, int tid, int fd, int *ret_fd)
{
	struct bp_proc *p;
	int err = -ESRCH;

	for (int attempt = 0; attempt < 2 && err == -ESRCH; attempt++) {
		if (!(p = slot_of(st, tid, attempt > 0, &err)))
			return err;
		/* No copy of a file not a socket; one swapped in since is closed by the reader. */
		if (!(err = slot_sock(p, fd)))
			err = reader_getfd(st, p->pidfd, fd, ret_fd);
	}
	return err;
}

/**
 * procs_pidfd() - The pidfd of thread @tid, kept in its slot
 * @st:		the daemon
 * @tid:	the calling thread
 * @fresh:	opened again: the one kept named an earlier task of that number (ESRCH)
 * @ret_pidfd:	the slot's: not ours to close
 *
 * Return: 0 on success, negative errno
 */
int procs_pidfd(struct bp_state *st, int tid, bool fresh, int *ret_pidfd)
{
	struct bp_proc *p;
	int err = 0;

	if (!(p = slot_of(st, tid, fresh, &err)))
		return err;
	*ret_pidfd = p->pidfd;
	return 0;
}

/**
 * procs_cloexec() - The close-on-exec flag of fd @fd in thread @tid's table
 * @st:		the daemon
 * @tid:	the calling thread, whose slot procs_getfd() just opened
 * @fd:		its fd
 * @ret:	the flag
 *
 * Return: 0 on success, negative errno
 */
int procs_cloexec(struct bp_state *st, int tid, int fd, bool *ret)
{
	char name[16], text[BP_FDINFO_MAX], *flags;
	unsigned long value;
	struct bp_proc *p;
	int err = 0, info;
	ssize_t n;

	if (!(p = slot_of(st, tid, false, &err)))
		return err;
	snprintf(name, sizeof(name), "%d", fd);
	info = openat(p->fdinfo, name, O_RDONLY | O_CLOEXEC);
	if (info < 0)
		return -errno;
	n = read(info, text, sizeof(text) - 1);
	err = n < 0 ? -errno : 0;
	close(info);
	if (err)
		return err;
	text[n] = '\0';
	flags = strstr(text, "flags:");
	if (!flags || sscanf(flags, "flags: %lo", &value) != 1)
		return -EIO;
	*ret = value & O_CLOEXEC;
	return 0;
}

void procs_init(struct bp_state *st)
{
	for (int i = 0; i < BP_PROCS; i++) {
		st->procs[i].pidfd = st->procs[i].fds = st->procs[i].fdinfo = -1;
		st->procs[i].tid = 0;
	}
}

void procs_free(struct bp_state *st)
{
	for (int i = 0; i < BP_PROCS; i++)
		slot_close(&st->procs[i]);
}
