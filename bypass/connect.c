/* connect(): to a peer slirp would reach, made in the host's netns and put in the caller's place.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "bypass.h"
#include "log.h"
#include "monoclock.h"

/*
 * Theory of operation
 *
 * The address was read once (notify.c); the decision and the call are made on that copy, so
 * a caller rewriting its buffer meanwhile changes nothing. For a bypassed peer the twin is
 * connected non-blocking, here:
 *
 *  - the caller's socket non-blocking: it is installed at once and the caller gets connect()'s
 *    own answer (EINPROGRESS, usually); it polls the twin, which has its fd number;
 *  - blocking: the twin waits in the loop (struct bp_pending) until the handshake ends, then
 *    is installed (on success) and the caller answered with the outcome. Other calls are
 *    served meanwhile. A caller interrupted by a signal restarts its connect(), a new
 *    notification; the old one's twin is dropped as soon as its notification is found no
 *    longer valid (SECCOMP_IOCTL_NOTIF_ID_VALID): at each new notification and every
 *    BP_SWEEP_MS while any waits, else a caller restarting its connect() on a signal every
 *    millisecond would fill our fd table with twins. At most BP_PENDING_MAX of one listener
 *    (one command, one container) wait at once, and BP_PENDING_TOTAL_MAX of all: the next
 *    gets ENOBUFS, never the netns's path (a connect() the policy bypasses must not quietly
 *    go through slirp instead). The bound is the listener's, so that one container's waiting
 *    connects never refuse another's; when the bound of all is reached, the listener holding
 *    the most gives up its newest to one holding fewer (pending_make_room()), so that eight
 *    containers' waits cannot refuse a ninth's either.
 *
 * A socket that is a twin already (SO_NETNS_COOKIE is the host's) must never be connected
 * from the caller's side to anything the policy keeps inside (the host's loopback, say): its
 * connect() is refused then. Allowed, a UDP twin is connected here at once; a TCP one (whose
 * connection ended) gets a new twin like any socket, so that a blocking connect() never
 * blocks the loop.
 */

struct bp_pending {
	struct bp_call call;
	struct bp_sock sock;
	int twin;
	struct bp_state *st;
	struct bp_pending *next;
};

static void pending_drop(struct bp_state *st, struct bp_pending *p)
{
	for (struct bp_pending **pp = &st->pending; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	evloop_unwatch(&st->ev, p->twin);
	close(p->twin);
	sock_release(p->sock.fd);
	inflight_clear(st, p->call.slot);
	st->n_pending--;
	(*p->call.waiting)--;
	free(p);
}

/**
 * pending_holds() - Whether a connect() waiting in the loop holds @slot of the shared table
 * @st:		the daemon
 * @slot:	a slot, or -1
 *
 * Return: true if so (it is cleared once that connect() is answered)
 */
bool pending_holds(const struct bp_state *st, int slot)
{
	for (const struct bp_pending *p = st->pending; slot >= 0 && p; p = p->next)
		if (p->call.slot == slot)
			return true;
	return false;
}

/* The outcome of a connect() under way: installed and answered, or answered with its error. */
static void finish(struct bp_state *st, const struct bp_call *c, const struct bp_sock *s, int twin,
		   int error)
{
	int err = error;

	if (!err && (err = twin_install(c, s, twin)) == -ENOENT)
		return; /* the caller went away or was interrupted: its restart is a new call */
	if (!error && err)
		log_debug(st->debug, "pid %d fd %d: installing the twin: %s", c->pid, c->fd,
			  strerror(-err));
	if (!err)
		st->n.bypassed++;
	respond(st, c, err, false);
}

static void pending_ready(struct evloop *l, void *obj, int fd, uint32_t events)
{
	struct bp_pending *p = obj;
	int error = 0;
	socklen_t len = sizeof(error);

	(void)l;
	(void)events;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0)
		error = errno;
	finish(p->st, &p->call, &p->sock, p->twin, -error);
	pending_drop(p->st, p);
}

/**
 * pending_free_all() - Drop the connect()s under way, at exit (their callers' calls fail)
 * @st:		the daemon
 */
void pending_free_all(struct bp_state *st)
{
	while (st->pending)
		pending_drop(st, st->pending);
}

/**
 * pending_free_of() - Drop the connect()s under way of one listener, at its end (their callers
 * are gone: nothing answered)
 * @st:		the daemon
 * @notify_fd:	the listener fd, still open
 */
void pending_free_of(struct bp_state *st, int notify_fd)
{
	struct bp_pending *p = st->pending, *next;

	for (; p; p = next) {
		next = p->next;
		if (p->call.notify_fd == notify_fd)
			pending_drop(st, p);
	}
}

/**
 * pending_sweep() - Drop every waiting connect() whose caller gave up (interrupted, or gone)
 * @st:		the daemon
 *
 * Its twin is closed and nothing answered: the kernel has no such call any more.
 */
void pending_sweep(struct bp_state *st)
{
	struct bp_pending *p = st->pending, *next;

	for (; p; p = next) {
		next = p->next;
		if (ioctl(p->call.notify_fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &p->call.id) < 0)
			pending_drop(st, p);
	}
}

static void sweep_expire(struct evloop *l, struct evloop_timer *t)
{
	struct bp_state *st = container_of(t, struct bp_state, sweep);

	pending_sweep(st);
	if (st->pending)
		evloop_timer_arm(l, t, mono_ms() + BP_SWEEP_MS);
}

/*
 * The bound of all is reached: the newest waiting connect() of the listener holding the most
 * is refused, if that one holds at least two more than @mine. So the waits converge to equal
 * shares, and any listener gets room while the supervisor serves fewer than
 * BP_PENDING_TOTAL_MAX of them.
 */
static bool pending_make_room(struct bp_state *st, int mine)
{
	struct bp_pending *most = NULL;
	int most_n = 0;

	for (struct bp_pending *p = st->pending; p; p = p->next)
		if (*p->call.waiting > most_n) {
			most = p; /* the list is newest first: its first of that listener */
			most_n = *p->call.waiting;
		}
	if (!most || most_n < mine + 2)
		return false;
	finish(st, &most->call, &most->sock, most->twin, -ENOBUFS);
	pending_drop(st, most);
	return true;
}

/* Whether another connect() of @c's listener may wait (room made if need be). */
static bool pending_room(struct bp_state *st, const struct bp_call *c)
{
	int mine = *c->waiting;

	if (mine >= BP_PENDING_MAX)
		return false;
	return st->n_pending < BP_PENDING_TOTAL_MAX || pending_make_room(st, mine);
}

static int wait_connected(struct bp_state *st, const struct bp_call *c, const struct bp_sock *s,
			  int twin)
{
	struct bp_pending *p;
	int err;

	if (!pending_room(st, c))
		pending_sweep(st);
	if (!pending_room(st, c))
		return -ENOBUFS;
	if (!(p = calloc(1, sizeof(*p))))
		return -ENOMEM;
	p->call = *c;
	p->sock = *s;
	p->twin = twin;
	p->st = st;
	if ((err = evloop_watch(&st->ev, twin, EPOLLOUT, pending_ready, p))) {
		free(p);
		return err;
	}
	p->next = st->pending;
	st->pending = p;
	st->n_pending++;
	(*c->waiting)++;
	if (st->sweep.expire_ms < 0 || !st->sweep.linked) {
		st->sweep.fn = sweep_expire;
		evloop_timer_arm(&st->ev, &st->sweep, mono_ms() + BP_SWEEP_MS);
	}
	return 0;
}

/**
 * bypass_connect() - Serve a connect() notification
 * @st:		the daemon
 * @c:		the call, its address read once
 *
 * Return: 0 when answered (or handed to the loop), negative errno if the caller went away
 */
int bypass_connect(struct bp_state *st, const struct bp_call *c)
{
	struct sockaddr_storage to;
	socklen_t to_len = 0;
	struct bp_sock s;
	enum bp_verdict v;
	bool cont = false;
	int twin = -1, err, ret;

	if ((err = twin_sock_get(st, c, &s)))
		return twin_sock_unknown(st, c, err);
	v = policy_connect(st->pol_now, (struct sockaddr *)&c->addr, c->addr_len,
			   s.type == SOCK_DGRAM, &to, &to_len);
	if ((s.family != AF_INET && s.family != AF_INET6) ||
	    (s.type != SOCK_STREAM && s.type != SOCK_DGRAM) || (s.bound && !s.host)) {
		cont = true;
	} else if (s.host && v != BP_BYPASS) {
		/* A twin is never handed back to the kernel with an address kept inside. */
		st->n.refused++;
		err = -ENETUNREACH;
	} else if (s.host && (twin_sock_flags(st, c, &s) || twin_make(st, &s, &twin) ||
			      twin_guard(st, &s, twin, false) ||
			      (s.type == SOCK_DGRAM && twin_peer_lock(twin, &to, to_len)))) {
		/* A twin connected again gets a new twin (a UDP one's filter is its old peer's):
		 * none to be had, never the kernel's way either. */
		err = -ENOBUFS;
	} else if (!s.host && (v != BP_BYPASS || twin_sock_flags(st, c, &s) ||
			       twin_make(st, &s, &twin) || twin_guard(st, &s, twin, false) ||
			       (s.type == SOCK_DGRAM && twin_peer_lock(twin, &to, to_len)))) {
		cont = true; /* inside; or no twin to be had, and the netns's path still works */
	} else {
		err = connect(twin, (struct sockaddr *)&to, to_len) < 0 ? -errno : 0;
		/* On loopback the handshake is often over by now: no round of the loop then. */
		if (err == -EINPROGRESS && !s.nonblock) {
			struct pollfd pfd = { .fd = twin, .events = POLLOUT };
			int error = 0;
			socklen_t len = sizeof(error);

			if (poll(&pfd, 1, 0) == 1 &&
			    !getsockopt(twin, SOL_SOCKET, SO_ERROR, &error, &len))
				err = -error;
			else if (!(err = wait_connected(st, c, &s, twin)))
				return 0;
		}
		/* Done (UDP, a refused or non-blocking TCP connect): install, answer as it did. */
		if (!err || err == -EINPROGRESS) {
			int e2 = twin_install(c, &s, twin);

			if (!e2)
				st->n.bypassed++;
			err = e2 ? e2 : err;
		}
	}
	/*
	 * A disconnect (AF_UNSPEC) let by is done here, on the very socket judged: continued, the
	 * kernel would run it on whatever the fd number names by then, a twin swapped in meanwhile
	 * too, whose port a bind() could then choose, open to every user. Synchronous, and the
	 * same from any process: no peer to reach, no netns or credential asked.
	 */
	if (cont && c->addr.ss_family == AF_UNSPEC) {
		cont = false;
		err = connect(s.fd, (const struct sockaddr *)&c->addr, c->addr_len) < 0 ? -errno
											: 0;
	}
	/* Answered first: closing the caller's old socket (its last reference) can wait. */
	ret = cont ? respond(st, c, 0, true) : err == -ENOENT ? 0 : respond(st, c, err, false);
	if (twin >= 0)
		close(twin);
	sock_release(s.fd);
	return ret;
}

const struct bp_pending *pending_next(const struct bp_pending *p)
{
	return p->next;
}
