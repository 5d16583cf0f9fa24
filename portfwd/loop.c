/* rootlet-portfwd's epoll loop: listeners, relayed connections, the API, exit fd, signals. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "apiserver.h"
#include "monoclock.h"
#include "portfwd.h"

#define LOOP_EVENTS_MAX 128
#define FD_TABLE_GROW	256

/**
 * pf_watch() - Add an fd to the epoll set, remembering what it is
 * @st:		the daemon
 * @fd:		the fd
 * @kind:	what it is
 * @obj:	its object (listener, connection), or NULL
 * @events:	epoll events
 *
 * Return: 0 on success, negative errno
 */
int pf_watch(struct pf_state *st, int fd, enum pf_kind kind, void *obj, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	if (fd >= st->nfds) {
		int n = fd + FD_TABLE_GROW;
		void *grown = realloc(st->fds, (size_t)n * sizeof(*st->fds));

		if (!grown)
			return -ENOMEM;
		st->fds = grown;
		memset(st->fds + st->nfds, 0, (size_t)(n - st->nfds) * sizeof(*st->fds));
		st->nfds = n;
	}
	st->fds[fd].kind = kind;
	st->fds[fd].obj = obj;
	if (epoll_ctl(st->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 &&
	    (errno != EEXIST || epoll_ctl(st->epfd, EPOLL_CTL_MOD, fd, &ev) < 0))
		return -errno;
	return 0;
}

/**
 * pf_unwatch() - Remove an fd from the epoll set
 * @st:		the daemon
 * @fd:		the fd
 */
void pf_unwatch(struct pf_state *st, int fd)
{
	if (fd < 0)
		return;
	epoll_ctl(st->epfd, EPOLL_CTL_DEL, fd, NULL);
	pf_forget(st, fd);
}

/**
 * pf_forget() - Forget what @fd was, for an fd about to be closed (which leaves the epoll set)
 * @st:		the daemon
 * @fd:		the fd, or -1
 *
 * Events of this batch still queued for it are ignored then.
 */
void pf_forget(struct pf_state *st, int fd)
{
	if (fd >= 0 && fd < st->nfds)
		st->fds[fd].kind = PF_NONE;
}

static int api_watch(void *ctx, int fd, uint32_t events, bool listener)
{
	return pf_watch(ctx, fd, listener ? PF_API_LISTEN : PF_API_CLIENT, NULL, events);
}

static void api_unwatch(void *ctx, int fd)
{
	pf_unwatch(ctx, fd);
}

/* What the API server needs of this loop. */
const struct apiserver_ops pf_api_ops = {
	.watch = api_watch,
	.unwatch = api_unwatch,
	.handle = pf_api_handle,
	.now_ms = mono_ms,
};

/**
 * pf_loop_init() - The epoll set, with the exit fd and SIGTERM/SIGINT/SIGHUP in it (the netns
 * thread's socket comes later, pf_loop_watch_nsock())
 * @st:		the daemon
 * @exit_fd:	-e FD, or -1
 *
 * Return: 0 on success, negative errno
 */
int pf_loop_init(struct pf_state *st, int exit_fd)
{
	sigset_t mask;
	int sfd, err;

	st->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (st->epfd < 0)
		return -errno;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		return -errno;
	if ((err = pf_watch(st, sfd, PF_SIGNAL, NULL, EPOLLIN)))
		return err;
	if (exit_fd >= 0 && (err = pf_watch(st, exit_fd, PF_EXIT, NULL, EPOLLIN | EPOLLHUP)))
		return err;
	return 0;
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
	return pf_watch(st, st->ns.fd, PF_NSOCK, NULL, EPOLLIN);
}

/**
 * pf_loop_run() - Serve until the exit fd hangs up or a signal asks us to stop
 * @st:		the daemon
 *
 * Return: 0 on a requested exit, negative errno on failure
 */
int pf_loop_run(struct pf_state *st)
{
	struct epoll_event events[LOOP_EVENTS_MAX];
	int64_t poll_until = 0;

	while (!st->quit) {
		int64_t deadline = apiserver_next_deadline(st->api), now = mono_ms();
		int64_t udp_next = udp_expire(st, NULL);
		int timeout = deadline < 0 ? -1 : deadline > now ? (int)(deadline - now) : 0;
		int n;

		if (udp_next >= 0 && (timeout < 0 || udp_next < timeout))
			timeout = (int)udp_next;
		/*
		 * Shortly after a conversation's turn, look again instead of sleeping: its next
		 * segment usually comes sooner than a sleeping thread wakes, on a virtual machine
		 * above all. A turn is a new connection or a few bytes relayed; not bulk transfer,
		 * where polling would take the CPU the endpoints need, nor the bare acknowledgement
		 * of what was sent. With nothing to do for --busy-poll microseconds, it sleeps.
		 */
		if (mono_us() < poll_until)
			timeout = 0;
		st->relayed_bytes = 0;
		st->accepted = false;
		n = epoll_wait(st->epfd, events, LOOP_EVENTS_MAX, timeout);
		if (n < 0 && errno != EINTR)
			return -errno;
		for (int i = 0; i < n; i++) {
			int fd = events[i].data.fd;
			void *obj;

			if (fd >= st->nfds)
				continue;
			obj = st->fds[fd].obj;
			switch (st->fds[fd].kind) {
			case PF_LISTEN:
				relay_accept(st, obj);
				break;
			case PF_CONN:
				relay_event(st, obj, fd, events[i].events);
				break;
			case PF_UDP_LISTEN:
				udp_listener_event(st, obj);
				break;
			case PF_UDP_FLOW:
				udp_flow_event(st, obj);
				break;
			case PF_API_LISTEN:
				apiserver_accept(st->api);
				break;
			case PF_API_CLIENT:
				apiserver_client_event(st->api, fd);
				break;
			case PF_RELOAD_LISTEN:
				reload_accept(st);
				break;
			case PF_RELOAD_CLIENT:
				reload_client_event(st, fd);
				break;
			case PF_NSOCK:
				if (nsock_refilled(&st->ns))
					pf_unwatch(st, fd);
				break;
			case PF_EXIT:
			case PF_SIGNAL:
				st->quit = true;
				break;
			case PF_NONE:
				break;
			}
		}
		apiserver_expire(st->api, mono_ms());
		relay_refill(st);
		if (st->relayed_bytes >= PF_BUSY_POLL_BYTES)
			poll_until = 0;
		else if (st->busy_poll_us && (st->relayed_bytes || st->accepted))
			poll_until = mono_us() + st->busy_poll_us;
	}
	return 0;
}
