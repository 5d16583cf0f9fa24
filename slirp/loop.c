/* The one epoll loop of rootlet-slirp: tap, libslirp's sockets and timers, API, exit fd. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <linux/virtio_net.h>

#include "apiserver.h"
#include "csum.h"
#include "loop.h"
#include "monoclock.h"
#include "slirp.h"

/*
 * Theory of operation
 *
 * libslirp speaks poll(): before each sleep it names the fds it wants (pollfds_fill), after it
 * asks what happened to each (pollfds_poll). Here its fds live in the same epoll set as ours,
 * registered and modified only when what libslirp asks for changes, so a busy loop costs one
 * epoll_wait and no syscall per idle socket. The fd number is libslirp's poll index.
 *
 * The tap is drained in batches per wake-up; sleeping is bounded only by libslirp's own
 * timeout, its timers and API deadlines, so an idle helper sleeps in epoll_wait.
 *
 * libslirp has no TCP window scaling, so no more than 64 KiB are ever in flight between it and
 * the guest: traffic moves in short turns, and on a virtual machine a sleeping thread's wake-up
 * costs as much as a turn. So, after a round that gave the guest data (anything but bare ACKs),
 * the loop looks again for --busy-poll microseconds, counted from the end of the round, before
 * it sleeps: the guest's ACK or answer usually comes sooner than a wake-up. Not after rounds
 * that only acknowledged the guest's data: then the guest's next segment is already queued or
 * being made in our own write of the ACK, and polling would only take the CPU the endpoints
 * need. An idle helper sends nothing, so it stays asleep.
 */

#define LOOP_EVENTS_MAX 64
/*
 * Frames read from the tap per wake-up before libslirp's sockets and timers get their turn: at
 * most TAP_BATCH, and no more than TAP_BATCH_BYTES, so that many small frames are taken in one
 * go while large ones do not hold back libslirp's ACKs to the guest.
 */
#define TAP_BATCH	64
#define TAP_BATCH_BYTES (256 * 1024)
#define LOOP_FD_GROW	64
/* A virtio-net header and the largest segment TSO hands over, with its Ethernet header. */
#define TAP_FRAME_MAX (sizeof(struct virtio_net_hdr) + 65536 + SLIRP_ETH_HLEN)

static uint64_t tag(enum loop_kind kind, int fd)
{
	return ((uint64_t)kind << 32) | (uint32_t)fd;
}

/**
 * loop_watch() - Add one of our own fds (not libslirp's) to the epoll set
 * @l:		the loop
 * @kind:	what it is
 * @fd:		the fd
 * @events:	epoll events
 *
 * Return: 0 on success, negative errno
 */
int loop_watch(struct loop *l, enum loop_kind kind, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag(kind, fd) };

	/* Should libslirp once have had this fd number, its registration is gone. */
	if (fd < l->nfds)
		l->fds[fd].registered = 0;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 &&
	    (errno != EEXIST || epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0))
		return -errno;
	return 0;
}

/**
 * loop_watch_api() - The API server's hook into the loop (struct apiserver_ops.watch)
 * @ctx:	the loop
 * @fd:		listener or client
 * @events:	epoll events
 * @listener:	whether @fd is the listener
 *
 * Return: 0 on success, negative errno
 */
int loop_watch_api(void *ctx, int fd, uint32_t events, bool listener)
{
	return loop_watch(ctx, listener ? LOOP_API_LISTEN : LOOP_API_CLIENT, fd, events);
}

/**
 * loop_unwatch_api() - The API server's hook to forget an fd (struct apiserver_ops.unwatch)
 * @ctx:	the loop
 * @fd:		the fd
 */
void loop_unwatch_api(void *ctx, int fd)
{
	loop_unwatch(ctx, fd);
}

/**
 * loop_unwatch() - Remove an fd from the epoll set
 * @l:		the loop
 * @fd:		the fd
 */
void loop_unwatch(struct loop *l, int fd)
{
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	if (fd >= 0 && fd < l->nfds)
		l->fds[fd].registered = 0;
}

static uint32_t to_epoll(int slirp_events)
{
	uint32_t ev = 0;

	if (slirp_events & SLIRP_POLL_IN)
		ev |= EPOLLIN;
	if (slirp_events & SLIRP_POLL_OUT)
		ev |= EPOLLOUT;
	if (slirp_events & SLIRP_POLL_PRI)
		ev |= EPOLLPRI;
	return ev;
}

static int from_epoll(uint32_t ev)
{
	int r = 0;

	if (ev & EPOLLIN)
		r |= SLIRP_POLL_IN;
	if (ev & EPOLLOUT)
		r |= SLIRP_POLL_OUT;
	if (ev & EPOLLPRI)
		r |= SLIRP_POLL_PRI;
	if (ev & EPOLLERR)
		r |= SLIRP_POLL_ERR;
	if (ev & EPOLLHUP)
		r |= SLIRP_POLL_HUP;
	return r;
}

static int grow(struct loop *l, int fd)
{
	struct loop_fd *fds;
	int n;

	if (fd < l->nfds)
		return 0;
	n = fd + LOOP_FD_GROW;
	fds = realloc(l->fds, (size_t)n * sizeof(*fds));
	if (!fds)
		return -ENOMEM;
	memset(fds + l->nfds, 0, (size_t)(n - l->nfds) * sizeof(*fds));
	l->fds = fds;
	l->nfds = n;
	return 0;
}

static int cb_add_poll(int fd, int events, void *opaque)
{
	struct loop *l = opaque;

	if (fd < 0 || grow(l, fd))
		return -1;
	l->fds[fd].gen = l->gen;
	l->fds[fd].want = events;
	l->fds[fd].revents = 0;
	return fd;
}

static int cb_get_revents(int idx, void *opaque)
{
	struct loop *l = opaque;

	return idx >= 0 && idx < l->nfds ? l->fds[idx].revents : 0;
}

/* Brings epoll in line with what libslirp asked for in this round. */
static void sync_slirp_fds(struct loop *l)
{
	for (int fd = 0; fd < l->nfds; fd++) {
		struct loop_fd *f = &l->fds[fd];
		uint32_t want = f->gen == l->gen ? to_epoll(f->want) : 0;
		struct epoll_event ev = { .events = want, .data.u64 = tag(LOOP_SLIRP, fd) };

		if (want == f->registered)
			continue;
		if (!want) {
			epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
		} else if (epoll_ctl(l->epfd, f->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd,
				     &ev) < 0) {
			/* The fd was closed and reused behind our back: register it anew. */
			if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 &&
			    epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
				want = 0;
		}
		f->registered = want;
	}
}

/*
 * A frame with VIRTIO_NET_HDR_F_NEEDS_CSUM carries, at csum_start + csum_offset, only the
 * pseudo-header sum: the checksum over everything from csum_start finishes it, as the kernel's
 * skb_checksum_help() would have.
 */
static int finish_csum(uint8_t *frame, size_t len, const struct virtio_net_hdr *h)
{
	size_t start = h->csum_start, field = start + h->csum_offset;
	uint16_t sum;

	if (field + 2 > len || start >= len)
		return -EINVAL;
	sum = (uint16_t)~csum_fold(csum_add(frame + start, len - start, 0));
	memcpy(frame + field, &sum, 2);
	return 0;
}

static void drain_tap(struct loop *l)
{
	const size_t hdr = l->vnet ? sizeof(struct virtio_net_hdr) : 0;
	size_t bytes = 0;

	for (int i = 0; i < TAP_BATCH && bytes < TAP_BATCH_BYTES; i++) {
		ssize_t n = read(l->tap_fd, l->frame, TAP_FRAME_MAX);
		struct virtio_net_hdr h = { 0 };

		if (n <= (ssize_t)hdr)
			break;
		if (hdr)
			memcpy(&h, l->frame, hdr);
		if ((h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
		    finish_csum(l->frame + hdr, (size_t)n - hdr, &h))
			continue;
		slirp_input(l->slirp, l->frame + hdr, (int)((size_t)n - hdr));
		bytes += (size_t)n;
	}
}

static void run_timers(struct loop *l, int64_t now)
{
	bool again = true;

	/* A timer callback may free or re-arm timers: rescan after each one. */
	while (again) {
		again = false;
		for (struct loop_timer *t = l->timers; t; t = t->next) {
			if (t->expire_ms < 0 || t->expire_ms > now)
				continue;
			t->expire_ms = -1;
			if (t->cb)
				t->cb(t->cb_opaque);
			else
				slirp_handle_timer(l->slirp, t->id, t->cb_opaque);
			again = true;
			break;
		}
	}
}

static int next_timeout(struct loop *l, uint32_t slirp_timeout, int64_t now)
{
	int64_t timeout = slirp_timeout == UINT32_MAX ? -1 : (int64_t)slirp_timeout;
	int64_t deadline = apiserver_next_deadline(l->api);

	for (struct loop_timer *t = l->timers; t; t = t->next)
		if (t->expire_ms >= 0 && (deadline < 0 || t->expire_ms < deadline))
			deadline = t->expire_ms;
	if (deadline >= 0) {
		int64_t until = deadline > now ? deadline - now : 0;

		if (timeout < 0 || until < timeout)
			timeout = until;
	}
	return timeout > INT32_MAX ? INT32_MAX : (int)timeout;
}

/**
 * loop_init() - Set up the epoll set with the tap, the exit fd and SIGTERM/SIGINT
 * @l:		the loop, zeroed by the caller but for what it set
 * @tap_fd:	the tap, non-blocking
 * @exit_fd:	-e FD, or -1
 * @mtu:	largest frame payload
 * @vnet:	the tap's frames carry virtio-net headers
 *
 * Return: 0 on success, negative errno
 */
int loop_init(struct loop *l, int tap_fd, int exit_fd, unsigned mtu, bool vnet)
{
	sigset_t mask;
	int err;

	l->tap_fd = tap_fd;
	l->exit_fd = exit_fd;
	l->mtu = mtu;
	l->vnet = vnet;
	l->frame = malloc(TAP_FRAME_MAX);
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!l->frame || l->epfd < 0 || !(l->gro = gro_new(vnet)))
		return -ENOMEM;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	l->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (l->signal_fd < 0)
		return -errno;
	if ((err = loop_watch(l, LOOP_TAP, tap_fd, EPOLLIN)) ||
	    (err = loop_watch(l, LOOP_SIGNAL, l->signal_fd, EPOLLIN)))
		return err;
	if (exit_fd >= 0 && (err = loop_watch(l, LOOP_EXIT, exit_fd, EPOLLIN | EPOLLHUP)))
		return err;
	return 0;
}

/**
 * loop_run() - Forward until the exit fd hangs up or a signal asks us to stop
 * @l:		the loop, with slirp and api set
 *
 * Return: 0 on a requested exit, negative errno on failure
 */
int loop_run(struct loop *l)
{
	struct epoll_event events[LOOP_EVENTS_MAX];
	int64_t poll_until = 0;

	while (!l->quit) {
		uint32_t slirp_timeout = UINT32_MAX;
		int64_t now = mono_ms();
		int n, err = 0;

		l->gen++;
		slirp_pollfds_fill(l->slirp, &slirp_timeout, cb_add_poll, l);
		sync_slirp_fds(l);
		/* What libslirp sent this round goes out before we sleep. */
		gro_flush(l->gro, l->tap_fd);
		n = epoll_wait(l->epfd, events, LOOP_EVENTS_MAX,
			       mono_us() < poll_until ? 0 : next_timeout(l, slirp_timeout, now));
		if (n < 0) {
			if (errno != EINTR)
				return -errno;
			err = 1;
			n = 0;
		}
		for (int i = 0; i < n; i++) {
			int fd = (int)(uint32_t)events[i].data.u64;

			switch ((enum loop_kind)(events[i].data.u64 >> 32)) {
			case LOOP_SLIRP:
				if (fd < l->nfds)
					l->fds[fd].revents = from_epoll(events[i].events);
				break;
			case LOOP_TAP:
				drain_tap(l);
				break;
			case LOOP_API_LISTEN:
				apiserver_accept(l->api);
				break;
			case LOOP_API_CLIENT:
				apiserver_client_event(l->api, fd);
				break;
			case LOOP_EXIT:
			case LOOP_SIGNAL:
				l->quit = true;
				break;
			}
		}
		slirp_pollfds_poll(l->slirp, err, cb_get_revents, l);
		now = mono_ms();
		run_timers(l, now);
		apiserver_expire(l->api, now);
		if (l->busy_poll_us && gro_data_out(l->gro))
			poll_until = mono_us() + l->busy_poll_us;
	}
	return 0;
}

/**
 * loop_free() - Release what loop_init() and libslirp's timers took
 * @l:		the loop
 */
void loop_free(struct loop *l)
{
	while (l->timers) {
		struct loop_timer *t = l->timers;

		l->timers = t->next;
		free(t);
	}
	free(l->fds);
	free(l->frame);
	gro_free(l->gro);
	if (l->epfd >= 0)
		close(l->epfd);
	if (l->signal_fd >= 0)
		close(l->signal_fd);
}
