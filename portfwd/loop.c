/* rootlet-portfwd on lib/evloop: its hooks around each round, and the netns thread's socket. */
#include <errno.h>
#include <sys/epoll.h>

#include "portfwd.h"

/*
 * Handlers (relay.c, udp.c, reload.c, lib/apiserver.c) are watched with evloop_watch() and get
 * the loop; they find the daemon with pf_of(). Nothing here dispatches to them.
 *
 * Busy-polling (lib/evloop's policy) follows a conversation's turns: a round that took a new
 * connection or relayed a few bytes is one; bulk transfer, where polling would take the CPU
 * the endpoints need, is not, nor a round that relayed nothing.
 */

/* Before the wait: UDP flows that went idle close, and the next one bounds the sleep. */
static int64_t prepare(struct evloop *ev, void *ctx)
{
	struct pf_state *st = ctx;

	(void)ev;
	st->relayed_bytes = 0;
	st->accepted = false;
	return udp_expire(st, NULL);
}

/* After the events: the netns thread refills its pools; this round may be a turn. */
static void finish(struct evloop *ev, void *ctx, bool interrupted)
{
	struct pf_state *st = ctx;

	(void)interrupted;
	relay_refill(st);
	if (st->relayed_bytes < PF_BUSY_POLL_BYTES && (st->relayed_bytes || st->accepted))
		evloop_turn(ev);
}

/* The netns thread answered a refill, or hung up. */
static void nsock_event(struct evloop *ev, void *obj, int fd, uint32_t events)
{
	(void)events;
	if (nsock_refilled(obj))
		evloop_unwatch(ev, fd);
}

/**
 * pf_loop_init() - The daemon's loop, with the exit fd and SIGTERM/SIGINT/SIGHUP in it (the
 * netns thread's socket comes later, pf_loop_watch_nsock()); before any thread starts, so that
 * each inherits the blocked signals
 * @st:		the daemon
 * @exit_fd:	-e FD, or -1
 *
 * Return: 0 on success, negative errno
 */
int pf_loop_init(struct pf_state *st, int exit_fd)
{
	st->ev.hooks = (struct evloop_hooks){ .prepare = prepare, .finish = finish, .ctx = st };
	return evloop_init(&st->ev, exit_fd);
}

/**
 * pf_loop_watch_nsock() - Add the netns thread's socket, once that thread runs
 * @st:		the daemon
 *
 * Return: 0 on success, negative errno
 */
int pf_loop_watch_nsock(struct pf_state *st)
{
	/* Level-triggered: a refill answered while a request waits for its own is read then. */
	return evloop_watch(&st->ev, st->ns.fd, EPOLLIN, nsock_event, &st->ns);
}
