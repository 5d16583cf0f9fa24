/* One listener fd's record: its stuck reader, and its end. */
#include <errno.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "bypass.h"
#include "log.h"
#include "notifier.h"

/**
 * notifier_drop() - A listener fd let go: its filter's processes have all ended (or the daemon
 * ends); its held call, its stuck reader and its waiting connect()s with it
 * @st:		the daemon
 * @n:		the listener's record, freed
 */
void notifier_drop(struct bp_state *st, struct bp_notifier *n)
{
	for (struct bp_notifier **pp = &st->notifiers; *pp; pp = &(*pp)->next)
		if (*pp == n) {
			*pp = n->next;
			break;
		}
	/* Its waiting connect()s are no one's either: gone before the count they point at. */
	pending_free_of(st, n->fd);
	evloop_unwatch(&st->ev, n->fd);
	close(n->fd);
	if (n->held.sock >= 0) {
		/* Its callers are gone (or the daemon ends): the call is no one's to answer. */
		evloop_unwatch(&st->ev, n->held.sock);
		evloop_timer_remove(&st->ev, &n->held.timer);
		reader_close(n->held.sock);
		inflight_clear(st, n->held.c.slot);
	}
	if (n->stuck_fd >= 0) {
		evloop_unwatch(&st->ev, n->stuck_fd);
		reader_close(n->stuck_fd); /* a late answer's socket copy, released */
	}
	free(n->pol);
	free(n);
	host_idle_update(st);
}

/* The copy notify.c's fetch made and no one took (a call continued before it was looked at). */
void fetched_drop(struct bp_state *st)
{
	if (st->fetched_fd >= 0)
		sock_release(st->fetched_fd);
	st->fetched_fd = -1;
	st->fetched_err = -ECANCELED;
}

/* The stuck reader of @obj's listener has returned (answered late) or ended: reads again. */
static void stuck_gone(struct evloop *l, void *obj, int fd, uint32_t events)
{
	struct bp_notifier *n = obj;

	(void)events;
	log_debug(n->st->debug, "pid %d: its stuck read has returned", n->pid);
	evloop_unwatch(l, fd);
	reader_close(fd); /* its late answer's socket copy, released */
	n->stuck_fd = -1;
}

/* A read (or a copy of a fd) of @n's call did not return in time: its reader is @n's until it
 * does. */
void notifier_stuck(struct bp_state *st, struct bp_notifier *n)
{
	int fd = reader_abandon(st);

	log_warn("pid %d: a caller's memory or fd not had after %d ms: its filter's connect(), "
		 "bind() and fast opens fail until that reader returns",
		 n->pid, BP_READ_TIMEOUT_MS);
	if (fd < 0)
		return;
	if (evloop_watch(&st->ev, fd, EPOLLIN, stuck_gone, n)) {
		close(fd); /* unwatched: its listener reads again at once, one stuck reader more */
		return;
	}
	n->stuck_fd = fd;
}

/**
 * notifier_stuck_forget() - In a forked standby: close the active's stuck readers' sockets,
 * unwatched (the epoll set was the active's), so that each sees the active's end alone
 * @st:		the standby
 */
void notifier_stuck_forget(struct bp_state *st)
{
	for (struct bp_notifier *n = st->notifiers; n; n = n->next) {
		if (n->stuck_fd >= 0) {
			close(n->stuck_fd);
			n->stuck_fd = -1;
		}
		/* A held call's record stays in the shared table: replayed if the active dies. */
		if (n->held.sock >= 0) {
			close(n->held.sock);
			n->held.sock = -1;
		}
		n->held.timer.expire_ms = -1;
		n->held.timer.linked = false;
	}
}

/**
 * notifier_free_all() - Close every listener fd, at exit (their hooked calls fail from then)
 * @st:		the daemon
 */
void notifier_free_all(struct bp_state *st)
{
	/* A held read's reader waited for too: the daemon's stop leaves none behind. */
	for (struct bp_notifier *n = st->notifiers; n; n = n->next)
		if (n->held.sock >= 0) {
			evloop_unwatch(&st->ev, n->held.sock);
			evloop_timer_remove(&st->ev, &n->held.timer);
			reader_end(n->held.sock);
			n->held.sock = -1;
		}
	while (st->notifiers)
		notifier_drop(st, st->notifiers);
}

const struct bp_notifier *notifier_next(const struct bp_notifier *n)
{
	return n->next;
}
