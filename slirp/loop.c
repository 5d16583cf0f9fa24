/* rootlet-slirp on lib/evloop: the tap, libslirp's sockets and timers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <linux/virtio_net.h>

#include "array.h"
#include "csum.h"
#include "fragguard.h"
#include "hostfwd.h"
#include "hostguard.h"
#include "loop.h"
#include "monoclock.h"
#include "slirp.h"
#include "sockdiag.h"

/*
 * Theory of operation
 *
 * libslirp speaks poll(): before each sleep it names the fds it wants (pollfds_fill), after it
 * asks what happened to each (pollfds_poll): the loop's prepare and finish hooks. Here its fds
 * live in lib/evloop's epoll set with ours,
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
 * it sleeps (a turn, lib/evloop's busy-poll policy): the guest's ACK or answer usually comes
 * sooner than a wake-up. Not after rounds
 * that only acknowledged the guest's data: then the guest's next segment is already queued or
 * being made in our own write of the ACK, and polling would only take the CPU the endpoints
 * need. An idle helper sends nothing, so it stays asleep.
 */

/*
 * Frames read from the tap per wake-up before libslirp's sockets and timers get their turn: at
 * most TAP_BATCH, and no more than TAP_BATCH_BYTES, so that many small frames are taken in one
 * go while large ones do not hold back libslirp's ACKs to the guest.
 */
#define TAP_BATCH	 64
#define TAP_BATCH_BYTES	 (256 * 1024)
#define LOOP_FD_GROW	 64
#define TRIM_INTERVAL_MS 1000 /* between two trims of the heap */
/* A virtio-net header and the largest segment TSO hands over, with its Ethernet header. */
#define TAP_FRAME_MAX (sizeof(struct virtio_net_hdr) + 65536 + SLIRP_ETH_HLEN)

/* An event on one of libslirp's fds: kept for pollfds_poll. */
static void slirp_fd_event(struct evloop *ev, void *obj, int fd, uint32_t events);

/**
 * loop_slirp_fd_gone() - libslirp closes @fd: stop watching it if it is still libslirp's
 * @l:		the loop
 * @fd:		the fd
 */
void loop_slirp_fd_gone(struct loop *l, int fd)
{
	if (evloop_watched_by(&l->ev, fd, slirp_fd_event))
		evloop_unwatch(&l->ev, fd);
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

static int cb_add_poll(int fd, int events, void *opaque)
{
	struct loop *l = opaque;

	if (fd < 0 || array_grow((void **)&l->fds, &l->nfds, fd, sizeof(*l->fds), LOOP_FD_GROW))
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

static void slirp_fd_event(struct evloop *ev, void *obj, int fd, uint32_t events)
{
	struct loop *l = obj;

	(void)ev;
	if (fd < l->nfds)
		l->fds[fd].revents = from_epoll(events);
}

/*
 * Brings epoll in line with what libslirp asked for in this round. An fd number libslirp
 * closed may be ours now (an API client): it is left alone then.
 */
static void sync_slirp_fds(struct loop *l)
{
	for (int fd = 0; fd < l->nfds; fd++) {
		struct loop_fd *f = &l->fds[fd];
		uint32_t want = f->gen == l->gen ? to_epoll(f->want) : 0;

		if (want == f->registered)
			continue;
		if (!want)
			loop_slirp_fd_gone(l, fd);
		else if (evloop_watch(&l->ev, fd, want, slirp_fd_event, l))
			want = 0;
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

static void tap_event(struct evloop *ev, void *obj, int fd, uint32_t events)
{
	struct loop *l = obj;
	const size_t hdr = l->vnet ? sizeof(struct virtio_net_hdr) : 0;
	size_t bytes = 0;

	(void)ev;
	(void)events;
	for (int i = 0; i < TAP_BATCH && bytes < TAP_BATCH_BYTES; i++) {
		ssize_t n = read(fd, l->frame, TAP_FRAME_MAX);
		struct virtio_net_hdr h = { 0 };

		if (n <= (ssize_t)hdr)
			break;
		if (hdr)
			memcpy(&h, l->frame, hdr);
		if ((h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
		    finish_csum(l->frame + hdr, (size_t)n - hdr, &h))
			continue;
		bytes += (size_t)n;
		if (hostguard_drops(l->frame + hdr, (size_t)n - hdr, l->net, l->mask) ||
		    fragguard_drops(&l->frags, l->frame + hdr, (size_t)n - hdr))
			continue;
		memcpy(l->guest_mac, l->frame + hdr + SLIRP_MAC_LEN, SLIRP_MAC_LEN);
		l->guest_mac_known = true;
		if (hostfwd_from_guest(l->fwd, l->frame + hdr, (size_t)n - hdr) ||
		    !seqguard_from_guest(&l->seqs, l->frame + hdr, (size_t)n - hdr,
					 h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
			continue;
		if (!conns_from_guest(&l->conns, l->frame + hdr, (size_t)n - hdr, l->gro,
				      l->tap_fd))
			continue;
		seqguard_input(&l->seqs, true);
		slirp_input(l->slirp, l->frame + hdr, (int)((size_t)n - hdr));
		seqguard_input(&l->seqs, false);
		conns_input_done(&l->conns, l->slirp);
	}
}

/**
 * loop_timer_fire() - One of libslirp's timers ran out (struct evloop_timer.fn)
 * @ev:		the loop
 * @t:		the timer
 */
void loop_timer_fire(struct evloop *ev, struct evloop_timer *t)
{
	struct loop *l = container_of(ev, struct loop, ev);
	struct loop_timer *lt = container_of(t, struct loop_timer, t);

	if (lt->cb)
		lt->cb(lt->cb_opaque);
	else
		slirp_handle_timer(l->slirp, lt->id, lt->cb_opaque);
}

/*
 * After sockets closed, the heap's free pages (their buffers and state) go back to the kernel:
 * malloc_trim() once a second at most while they close (it walks the whole heap), and once
 * more when they stop, the loop's sleep cut short for it. Returns the longest sleep allowed
 * (ms), or -1.
 */
static int64_t trim_after_close(struct loop *l)
{
	unsigned now = l->conns.total;
	int64_t ms = mono_ms(), wait;

	if (now >= l->trim_peak) {
		l->trim_peak = now;
		return -1;
	}
	wait = l->trimmed_ms + TRIM_INTERVAL_MS - ms;
	if (wait > 0)
		return wait;
	trim_heap();
	l->trimmed_ms = ms;
	l->trim_peak = now;
	return -1;
}

/* Before the wait: libslirp names its fds and its timeout; what it sent goes out now. */
static int64_t prepare(struct evloop *ev, void *ctx)
{
	struct loop *l = ctx;
	uint32_t timeout = UINT32_MAX;
	int64_t trim_ms;

	(void)ev;
	l->gen++;
	slirp_pollfds_fill(l->slirp, &timeout, cb_add_poll, l);
	sync_slirp_fds(l);
	gro_flush(l->gro, l->tap_fd);
	trim_ms = trim_after_close(l);
	if (trim_ms >= 0 && (timeout == UINT32_MAX || trim_ms < (int64_t)timeout))
		return trim_ms;
	return timeout == UINT32_MAX ? -1 : (int64_t)timeout;
}

/* After the events: libslirp reads its fds; data to the guest makes this round a turn. */
static void finish(struct evloop *ev, void *ctx, bool interrupted)
{
	struct loop *l = ctx;

	slirp_pollfds_poll(l->slirp, interrupted, cb_get_revents, l);
	if (gro_data_out(l->gro))
		evloop_turn(ev);
}

/**
 * loop_init() - Set up the loop with the tap, the exit fd and SIGTERM/SIGINT/SIGHUP
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
	int err;

	l->tap_fd = tap_fd;
	/* In the host's netns, before the sandbox: the netns of the forwards' sockets. */
	l->diag_fd = sockdiag_open();
	l->mtu = mtu;
	l->vnet = vnet;
	l->frame = malloc(TAP_FRAME_MAX);
	if (!l->frame || !(l->gro = gro_new(vnet)))
		return -ENOMEM;
	if ((err = seqguard_init(&l->seqs, mtu)))
		return err;
	if ((err = evloop_init(&l->ev, exit_fd)))
		return err;
	l->ev.hooks = (struct evloop_hooks){ .prepare = prepare, .finish = finish, .ctx = l };
	return evloop_watch(&l->ev, tap_fd, EPOLLIN, tap_event, l);
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
	if (l->frame && l->diag_fd >= 0)
		close(l->diag_fd); /* loop_init() ran: it opened it */
	free(l->frame);
	conns_free(&l->conns);
	seqguard_free(&l->seqs);
	gro_free(l->gro);
	evloop_free(&l->ev);
}
