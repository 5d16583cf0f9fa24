/* The listener fds: each container's (or command's) hooked calls, read once and dispatched. */
#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bypass.h"
#include "log.h"
#include "monoclock.h"
#include "notifier.h"

#ifdef __X32_SYSCALL_BIT
#define X32_SYSCALL_BIT __X32_SYSCALL_BIT
#else
#define X32_SYSCALL_BIT 0 /* no x32 ABI on this architecture */
#endif

/* Linux 6.6: the caller and the supervisor hand over on one CPU, as a direct switch. */
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

/*
 * Theory of operation
 *
 * A notification names the calling thread, the syscall and its raw arguments. Its sockaddr is
 * in the caller's memory: it is copied here once, by the reader process with process_vm_readv()
 * (reader.c: never by the loop, which a page the caller never lets be read would hang), and
 * the notification's id is checked still pending after the copy (the kernel's guard against a
 * pid that was reused meanwhile: a copy from another process would be discarded). From then
 * on only the copy is used. A fast open (a send with MSG_FASTOPEN) has no address read, only
 * its fd's copy, by the same reader in the same way. A read (or a fast open's copy) not
 * answered within BP_BUSY_POLL_US is not waited for: the call is held (struct bp_held, in its
 * notifier, with its notification), its listener is read no more (its later calls wait in the
 * kernel, in order), and the loop serves the others; held_ready() goes on from there once the
 * reader answers. Its record stays in the shared table meanwhile. A copy not back in
 * BP_READ_TIMEOUT_MS (held_expire()) is answered EFAULT, and so is every later connect() and bind()
 * of the same listener, unread, until that read has returned: one stuck reader a listener at most.
 * A call answered with CONTINUE is re-read by the kernel from the caller's memory, and runs in the
 * caller's own netns: whatever the caller changed by then, it gets no more than a plain netns gives
 * it.
 *
 * Every listener fd is held by the standby too (standby.c): a hooked call made while this
 * daemon is killed waits for the standby to take over, rather than failing. Only when no
 * process holds a listener any more does the kernel fail its hooked calls with ENOSYS.
 */

static void notifier_ready(struct evloop *l, void *obj, int fd, uint32_t events);
static void held_ready(struct evloop *l, void *obj, int fd, uint32_t events);

/*
 * A read of @n's call not answered at once: the call held, the loop free meanwhile. @n's
 * listener is read no more until it is answered (its later calls wait in the kernel, in order);
 * its hang-up is still seen. 0, or -EAGAIN (the reader let go: not watched).
 */
static int held_arm(struct bp_state *st, struct bp_notifier *n)
{
	if (evloop_watch(&st->ev, n->held.sock, EPOLLIN, held_ready, n) ||
	    evloop_watch(&st->ev, n->fd, 0, notifier_ready, n)) {
		evloop_unwatch(&st->ev, n->held.sock);
		reader_close(n->held.sock);
		n->held.sock = -1;
		evloop_watch(&st->ev, n->fd, EPOLLIN, notifier_ready, n); /* as it was */
		return -EAGAIN;
	}
	evloop_timer_arm(&st->ev, &n->held.timer, mono_ms() + BP_READ_TIMEOUT_MS);
	return 0;
}

/* Whether syscall @nr carries a sockaddr to read (connect(), bind()); else a fast open's send. */
static bool has_addr(int nr)
{
	return nr == SYS_connect || nr == SYS_bind;
}

/*
 * What the call needs of its caller, once, by the reader (reader.c): a connect()'s or bind()'s
 * @c->addr from its memory and a copy of its socket in the same round; a fast open's copy
 * alone. The copy goes to st->fetched_fd (for twin_sock_get()); an fd that is no socket is not
 * copied, nor the address read: st->fetched_err says -ENOTSOCK (answered so). 0, -EINVAL (a
 * bad length or pointer), -EFAULT (unreadable, or the caller gone), -ETIMEDOUT (the reader is
 * stuck), -EAGAIN (no reader to be had), or -EINPROGRESS: not answered at once, the call held in
 * @n->held (only if @n holds none: a standby's replay may bring more than one call of a listener,
 * the others waited for as before).
 */
static int fetch(struct bp_state *st, struct bp_notifier *n, struct bp_call *c,
		 const struct seccomp_notif *req, int attempt)
{
	const struct seccomp_data *d = &req->data;
	bool addr = has_addr(d->nr), hold = n->held.sock < 0;
	socklen_t len = addr ? (socklen_t)d->args[2] : 0;
	int err, pidfd;

	if (addr && !d->args[1])
		return -EFAULT; /* the kernel's answer to a NULL sockaddr */
	if (addr && (len < sizeof(sa_family_t) || len > sizeof(c->addr)))
		return -EINVAL;
	if (!attempt)
		memset(&c->addr, 0, sizeof(c->addr));
	/* A pidfd kept for a task of the same number that has ended: ESRCH, once more afresh. */
	for (; attempt < 2; attempt++) {
		if (procs_pidfd(st, c->pid, attempt > 0, &pidfd))
			pidfd = -1; /* twin_sock_get() tries again, and says */
		if (!addr && pidfd < 0)
			return 0; /* nothing to ask the reader: twin_sock_get()'s then */
		/* A file not a socket is never copied (reader.c): the kernel answers the call. */
		if (pidfd >= 0 && (err = procs_sock(st, c->pid, c->fd))) {
			if (err == -ESRCH && !attempt)
				continue; /* perhaps an earlier task of that number: afresh */
			st->fetched_err = err;
			break;
		}
		err = reader_read(st, c->pid, addr ? d->args[1] : 0, &c->addr, len, pidfd, c->fd,
				  &st->fetched_fd, &st->fetched_err, hold ? &n->held.sock : NULL,
				  &n->held.seq);
		if (err == -EINPROGRESS) {
			n->held.pidfd = pidfd >= 0;
			n->held.attempt = attempt;
			n->held.req = *req;
			n->held.c = *c;
			return held_arm(st, n) ?: -EINPROGRESS;
		}
		if (err)
			return err;
		if (st->fetched_err != -ESRCH || pidfd < 0)
			break;
	}
	c->addr_len = len;
	return 0;
}

/* A call past its fetch (@rerr, fetch()'s), answered or under way. */
static void answer(struct bp_state *st, struct bp_notifier *n, struct bp_call *c, int nr, int rerr)
{
	int err;

	if (!has_addr(nr)) {
		/* A fast open: its copy's failure is twin_sock_unknown()'s to answer. */
		if (rerr) {
			fetched_drop(st);
			st->fetched_err = rerr;
		}
		err = bypass_fastopen(st, c);
	} else if (rerr == -ETIMEDOUT) {
		st->n.refused++;
		err = respond(st, c, -EFAULT, false);
	} else if (rerr && rerr != -EINVAL && rerr != -EFAULT) {
		/* No reader (the user's process limit): never a read in the loop. */
		st->n.refused++;
		err = respond(st, c, -EAGAIN, false);
	} else if (rerr) {
		/*
		 * A bad pointer or length, or memory we cannot read and the kernel can
		 * (memfd_secret()): answered as the kernel would a bad one, never continued, for
		 * the kernel would run it unjudged, on a twin too.
		 */
		st->n.refused++;
		err = respond(st, c, rerr, false);
	} else if (!notif_pending(c->notify_fd, c->id)) {
		err = respond(st, c, 0, true); /* gone: no one to answer */
	} else {
		err = nr == SYS_connect ? bypass_connect(st, c) : bypass_bind(st, c);
	}
	fetched_drop(st);
	if (err && err != -ENOENT)
		log_debug(st->debug, "pid %d: answering: %s", c->pid, strerror(-err));
	if (st->reader_stuck >= 0)
		notifier_stuck(st, n);
}

/* Dispatched: its record cleared, unless a connect() under way holds it. */
static void dispatched(struct bp_state *st, int slot)
{
	if (!pending_holds(st, slot))
		inflight_clear(st, slot);
}

/* Whether the call is held, its read under way (its record kept: held_ready() goes on). */
static bool dispatch(struct bp_state *st, struct bp_notifier *n, int fd,
		     const struct seccomp_notif *req, int slot)
{
	struct bp_call c = { .notify_fd = fd,
			     .id = req->id,
			     .pid = (int)req->pid,
			     .slot = slot,
			     .waiting = &n->waiting };
	int nr = req->data.nr, err, rerr;
	bool addr = has_addr(nr); /* a sockaddr to read */
	bool send = nr == SYS_sendto || nr == SYS_sendmsg || nr == SYS_sendmmsg; /* fast open */

	c.fd = (int)req->data.args[0];
	st->pol_now = n->pol ? n->pol : &st->pol;
	/*
	 * Another ABI (i386 under a runtime's profile naming it; x32, whose calls carry the native
	 * arch and the x32 bit in their number): its calls are never continued, which would let
	 * one on a twin run in the host's netns unread; nor served, as a twin is made only for the
	 * native ABI. Refused, as a kernel without them would.
	 */
	if (req->data.arch != seccomp_arch_native() || (req->data.nr & X32_SYSCALL_BIT)) {
		st->n.refused++;
		err = respond(st, &c, -ENOSYS, false);
	} else if (n->stuck_fd >= 0 && (addr || send)) {
		/* A reader of its is still stuck: none more for it meanwhile (reader.c). */
		st->n.refused++;
		err = respond(st, &c, addr ? -EFAULT : -EOPNOTSUPP, false);
	} else if (!addr && !send) {
		err = respond(st, &c, 0, true);
	} else if ((rerr = fetch(st, n, &c, req, 0)) == -EINPROGRESS) {
		log_debug(st->debug, "pid %d: its %s is under way, the call held", c.pid,
			  addr ? "read" : "fd's copy");
		return true;
	} else {
		answer(st, n, &c, nr, rerr);
		return false;
	}
	if (err && err != -ENOENT)
		log_debug(st->debug, "pid %d: answering: %s", c.pid, strerror(-err));
	return false;
}

/* @n's held call goes on (its read answered, or not in time): its listener read again after. */
static void held_resume(struct bp_state *st, struct bp_notifier *n, int rerr)
{
	struct bp_call c = n->held.c;
	struct seccomp_notif req = n->held.req;

	n->held.sock = -1;
	if (!rerr && st->fetched_err == -ESRCH && n->held.pidfd && !n->held.attempt) {
		/* The pidfd was of an ended task of the same number: once more, afresh. */
		fetched_drop(st);
		if ((rerr = fetch(st, n, &c, &req, 1)) == -EINPROGRESS)
			return;
	} else if (!rerr && has_addr(req.data.nr)) {
		c.addr_len = (socklen_t)req.data.args[2];
	}
	st->pol_now = n->pol ? n->pol : &st->pol;
	answer(st, n, &c, req.data.nr, rerr);
	dispatched(st, c.slot);
	if (evloop_watch(&st->ev, n->fd, EPOLLIN, notifier_ready, n))
		log_warn("pid %d: its filter not watched again: its calls wait", n->pid);
	twin_pool_refill(st);
}

/* The held read of @obj's call has answered (or its reader is lost). */
static void held_ready(struct evloop *l, void *obj, int fd, uint32_t events)
{
	struct bp_notifier *n = obj;
	struct bp_state *st = n->st;
	int err =
		reader_collect(fd, n->held.seq, n->held.pidfd, &n->held.c.addr,
			       has_addr(n->held.req.data.nr) ? (size_t)n->held.req.data.args[2] : 0,
			       &st->fetched_fd, &st->fetched_err);

	(void)events;
	if (err == -EINPROGRESS)
		return;
	evloop_timer_remove(l, &n->held.timer);
	evloop_unwatch(l, fd);
	if (err == -EPIPE) {
		reader_close(fd);
		err = -EAGAIN;
	} else {
		reader_keep(st, fd);
	}
	held_resume(st, n, err);
}

/* The held read of @t's call not back in BP_READ_TIMEOUT_MS: EFAULT, its reader abandoned. */
static void held_expire(struct evloop *l, struct evloop_timer *t)
{
	struct bp_notifier *n = container_of(t, struct bp_notifier, held.timer);
	struct bp_state *st = n->st;

	evloop_timer_remove(l, t);
	evloop_unwatch(l, n->held.sock);
	st->reader_stuck = n->held.sock; /* notifier_stuck() takes it */
	held_resume(st, n, -ETIMEDOUT);
}

/* A notification, recorded in the shared table until answered (inflight.c), and handled. */
static void handle(struct bp_state *st, struct bp_notifier *n, int fd,
		   const struct seccomp_notif *req)
{
	int slot = inflight_add(st, req);

	if (!dispatch(st, n, fd, req, slot))
		dispatched(st, slot);
}

/**
 * notifier_replay() - Handle again the calls a killed active received and left unanswered
 * @st:		the daemon, having just taken over
 */
void notifier_replay(struct bp_state *st)
{
	struct seccomp_notif req;
	int from = 0;

	while (inflight_take(st, &from, &req))
		for (struct bp_notifier *n = st->notifiers; n; n = n->next)
			if (notif_pending(n->fd, req.id)) {
				log_debug(st->debug, "pid %d: its call handled again",
					  (int)req.pid);
				handle(st, n, n->fd, &req);
				break;
			}
}

static void notifier_ready(struct evloop *l, void *obj, int fd, uint32_t events)
{
	struct bp_notifier *n = obj;
	struct bp_state *st = n->st;
	struct seccomp_notif req;

	(void)l;
	if (events & (EPOLLHUP | EPOLLERR)) {
		/* Every process under the filter has ended. */
		log_debug(st->debug, "pid %d: its filter is gone", n->pid);
		notifier_drop(st, n);
		return;
	}
	if (n->held.sock >= 0)
		return; /* an event fetched before it was paused: its call is held */
	/* The kernel wants it zeroed. ENOENT: the caller was interrupted or ended since. */
	memset(&req, 0, sizeof(req));
	if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) == 0) {
		/* A restarted connect() is a new call: the twin of the old one goes first. */
		if (st->pending)
			pending_sweep(st);
		handle(st, n, fd, &req);
		twin_pool_refill(st);
		evloop_turn(l); /* a caller that connects tends to connect again soon */
	}
}

/**
 * notifier_add() - Serve the hooked calls of a listener fd handed to us
 * @st:		the daemon
 * @fd:		the listener fd, ours from now on (closed on failure too)
 * @pid:	the process it came from, for the log
 * @what:	its name, for the log
 * @pol:	--host: the container's policy, ours from now on (freed on failure too); NULL:
 *		the daemon's
 *
 * Return: 0 on success, -EBADF if @fd is no seccomp listener, negative errno
 */
int notifier_add(struct bp_state *st, int fd, int pid, const char *what, struct bp_policy *pol)
{
	struct bp_notifier *n;
	uint64_t probe = 0;
	int err;

	/* A listener fd knows SECCOMP_IOCTL_NOTIF_ID_VALID: ENOENT for an id never sent. */
	if (ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &probe) == 0 || errno != ENOENT) {
		err = -EBADF;
		goto fail;
	}
	n = calloc(1, sizeof(*n));
	if (!n) {
		err = -ENOMEM;
		goto fail;
	}
	/*
	 * Every hooked call is a hand-over and back (and a bypassed one a second time, for the fd
	 * the caller installs itself): woken on the waker's CPU, each costs a switch rather than
	 * another CPU's wake-up. An older kernel says EINVAL, and keeps the usual wake-ups.
	 */
	ioctl(fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
	n->fd = fd;
	n->stuck_fd = -1;
	n->held.sock = -1;
	n->held.timer.fn = held_expire;
	n->held.timer.expire_ms = -1;
	n->pid = pid;
	n->pol = pol;
	n->st = st;
	/* A standby watches for the hang-up only: it reads no notification. */
	if ((err = evloop_watch(&st->ev, fd, st->standby ? 0 : EPOLLIN, notifier_ready, n))) {
		free(n);
		goto fail;
	}
	n->next = st->notifiers;
	st->notifiers = n;
	st->n.processes++;
	host_idle_update(st);
	log_debug(st->debug, "pid %d (%s): filter taken", pid, what);
	if (!st->standby)
		standby_send(st, fd, pid, what, pol);
	return 0;
fail:
	close(fd);
	free(pol);
	return err;
}

/**
 * notifier_watch_all() - Watch every listener fd as this process's role wants (standby.c): in
 * a new loop, or once a standby takes over
 * @st:		the daemon
 *
 * Return: 0 on success, negative errno
 */
int notifier_watch_all(struct bp_state *st)
{
	int err;

	for (struct bp_notifier *n = st->notifiers; n; n = n->next)
		if ((err = evloop_watch(&st->ev, n->fd, st->standby ? 0 : EPOLLIN, notifier_ready,
					n)))
			return err;
	return 0;
}
