/* libslirp's TCP segments to the guest, coalesced: data into TSO frames, pure ACKs into one. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/virtio_net.h>

#include "csum.h"
#include "loop.h"
#include "seg.h"
#include "slirp.h"

/*
 * Theory of operation
 *
 * libslirp sends the guest MTU-sized TCP segments, and each one written to the tap is a pass
 * through the guest's whole receive path and, most often, a wake-up of the receiver: at MTU
 * 1500 that, not libslirp, is where the time goes. So, with a virtio-net tap, consecutive
 * segments of one flow (same addresses, ports, acknowledgement and options, each starting
 * where the last ended, all but the last of the first one's size) become one frame of up to
 * 64 KiB marked as TSO, which the guest's kernel takes in whole, as it does a NIC's GRO.
 * Its TCP checksum becomes the pseudo-header sum with NEEDS_CSUM: the payload is libslirp's,
 * already checked, and the kernel does not check it again. Anything else (pure ACKs, SYN, FIN,
 * RST, UDP, ICMP, ARP) first flushes what is held, so the order on the wire stays libslirp's;
 * the loop flushes before it sleeps, so nothing waits for more than one round.
 *
 * libslirp acknowledges every segment the guest sends at once, and each ACK written to the tap
 * runs the guest's ACK processing and its next transmit in our context, with a wake-up of the
 * sender: the toll of netns->host traffic at any MTU. A pure ACK (no data, no other flag) is
 * therefore held too, with any tap, and a later pure ACK of the same flow that acknowledges
 * more, from the same sequence number, takes its place, as a delayed ACK would: ACKs are
 * cumulative, and libslirp never shrinks its window, so the later one says all the earlier one
 * did. A repeated acknowledgement (a duplicate ACK, which asks the guest to retransmit, or a
 * window update) is never merged.
 */

#define GRO_FRAME_MAX (SLIRP_ETH_HLEN + IP_MAXPACKET)
#define GRO_ACK_MAX   (SLIRP_ETH_HLEN + IP6_HLEN + TCP_HLEN_MAX)

/* Whether @s is data that may start or join a TSO frame: nothing but ACK and PSH set. */
static bool mergeable_data(const struct seg *s)
{
	return s->len && (s->flags & TCP_ACK) && !(s->flags & ~(TCP_ACK | TCP_PSH));
}

/* Whether @s is a pure ACK: no data, no flag but ACK. */
static bool pure_ack(const struct seg *s)
{
	return !s->len && s->flags == TCP_ACK;
}

/* The frame held: its first segment's layout and what may still join it. */
struct gro {
	uint8_t *frame;
	bool vnet; /* frames carry a virtio-net header, and data may merge into TSO frames */
	bool ack;  /* what is held is a pure ACK */
	size_t n;  /* bytes held, 0 if none */
	struct seg first;
	uint32_t next_seq;
	size_t segs;
	bool closed;   /* a short or PSH segment ended it */
	bool data_out; /* something but a pure ACK went to the guest since gro_data_out() */
};

/**
 * gro_new() - The coalescing state of a loop
 * @vnet:	the tap takes virtio-net headers and TSO frames
 *
 * Return: the state, or NULL without memory
 */
struct gro *gro_new(bool vnet)
{
	struct gro *g = calloc(1, sizeof(*g));

	/* A plain tap only ever holds an ACK. */
	if (g && !(g->frame = malloc(vnet ? GRO_FRAME_MAX : GRO_ACK_MAX))) {
		free(g);
		return NULL;
	}
	if (g)
		g->vnet = vnet;
	return g;
}

/**
 * gro_free() - Free the state
 * @g:		the state, or NULL
 */
void gro_free(struct gro *g)
{
	if (g)
		free(g->frame);
	free(g);
}

static void tap_write(const struct gro *g, int tap_fd, const struct virtio_net_hdr *h,
		      const void *f, size_t n)
{
	struct iovec iov[2] = { { .iov_base = (void *)h, .iov_len = sizeof(*h) },
				{ .iov_base = (void *)f, .iov_len = n } };
	ssize_t ret = g->vnet ? writev(tap_fd, iov, 2) : write(tap_fd, f, n);

	/* A full tap queue drops it, as a link would: TCP sends it again. */
	if (ret < 0 && errno != EAGAIN && errno != EINTR)
		return;
}

/* Lengths and checksums of the merged frame, and its header as a TSO frame of the guest's. */
static void finish(struct gro *g, struct virtio_net_hdr *h)
{
	const struct seg *s = &g->first;
	uint8_t *f = g->frame;
	uint16_t tcp_len = (uint16_t)(g->n - s->l4), csum, v;
	uint64_t sum;

	if (s->family == AF_INET) {
		v = htons((uint16_t)(g->n - s->l3));
		memcpy(f + s->l3 + IP4_TOTLEN_OFF, &v, 2);
		memset(f + s->l3 + IP4_CSUM_OFF, 0, 2);
		csum = (uint16_t)~csum_fold(csum_add(f + s->l3, IP4_HLEN, 0));
		memcpy(f + s->l3 + IP4_CSUM_OFF, &csum, 2);
		sum = csum_add(f + s->l3 + IP4_ADDRS_OFF, IP4_ADDRS_LEN, 0);
		h->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	} else {
		v = htons(tcp_len);
		memcpy(f + s->l3 + IP6_PLEN_OFF, &v, 2);
		sum = csum_add(f + s->l3 + IP6_ADDRS_OFF, IP6_ADDRS_LEN, 0);
		h->gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	}
	sum += htons(IPPROTO_TCP) + htons(tcp_len);
	csum = csum_fold(
		sum); /* not inverted: the pseudo-header part that NEEDS_CSUM starts from */
	memcpy(f + s->l4 + TCP_CSUM_OFF, &csum, 2);
	h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h->hdr_len = (uint16_t)s->payload;
	h->gso_size = (uint16_t)s->len;
	h->csum_start = (uint16_t)s->l4;
	h->csum_offset = TCP_CSUM_OFF;
}

/**
 * gro_flush() - Write the frame held, if any
 * @g:		the state
 * @tap_fd:	the tap
 */
void gro_flush(struct gro *g, int tap_fd)
{
	struct virtio_net_hdr h = { 0 };

	if (!g->n)
		return;
	if (g->segs > 1)
		finish(g, &h);
	tap_write(g, tap_fd, &h, g->frame, g->n);
	g->n = 0;
}

/* Whether @s, in @f, has the held frame's Ethernet header, addresses, ports and header size. */
static bool same_flow(const struct gro *g, const uint8_t *f, const struct seg *s)
{
	const struct seg *h = &g->first;
	size_t addr_off = h->family == AF_INET ? IP4_ADDRS_OFF : IP6_ADDRS_OFF;
	size_t addr_len = h->family == AF_INET ? IP4_ADDRS_LEN : IP6_ADDRS_LEN;

	return g->n && s->family == h->family && s->payload == h->payload &&
	       !memcmp(f, g->frame, SLIRP_ETH_HLEN) &&
	       !memcmp(f + s->l3 + addr_off, g->frame + h->l3 + addr_off, addr_len) &&
	       !memcmp(f + s->l4, g->frame + h->l4, TCP_PORTS_LEN);
}

/* Whether @s, in @f, continues the held frame. */
static bool joins(const struct gro *g, const uint8_t *f, const struct seg *s)
{
	const struct seg *h = &g->first;

	return !g->ack && !g->closed && same_flow(g, f, s) && s->seq == g->next_seq &&
	       s->len <= h->len && g->n + s->len <= GRO_FRAME_MAX &&
	       /* acknowledgement number, data offset and options, all alike */
	       !memcmp(f + s->l4 + TCP_ACKSEQ_OFF, g->frame + h->l4 + TCP_ACKSEQ_OFF,
		       TCP_ACKSEQ_DOFF) &&
	       !memcmp(f + s->l4 + sizeof(struct tcphdr), g->frame + h->l4 + sizeof(struct tcphdr),
		       s->payload - s->l4 - sizeof(struct tcphdr));
}

/* Whether the pure ACK @s, in @f, says all the held one does and more (see the top). */
static bool supersedes(const struct gro *g, const uint8_t *f, const struct seg *s)
{
	return g->ack && same_flow(g, f, s) && s->seq == g->first.seq &&
	       (int32_t)(s->ack - g->first.ack) > 0;
}

/* Writes what is held, then @f, as it is. */
static void pass(struct gro *g, int tap_fd, const uint8_t *f, size_t n)
{
	static const struct virtio_net_hdr plain;

	gro_flush(g, tap_fd);
	tap_write(g, tap_fd, &plain, f, n);
}

/* Writes what is held, then holds the segment @s, in @f, as it is. */
static void hold(struct gro *g, int tap_fd, const uint8_t *f, size_t n, const struct seg *s,
		 bool ack)
{
	if (n > (g->vnet ? GRO_FRAME_MAX : GRO_ACK_MAX)) {
		pass(g, tap_fd, f, n);
		return;
	}
	gro_flush(g, tap_fd);
	memcpy(g->frame, f, n);
	g->n = n;
	g->first = *s;
	g->segs = 1;
	g->ack = ack;
}

/**
 * gro_data_out() - Whether anything but a pure ACK went to the guest since the last call
 * @g:		the state
 *
 * Return: true if so
 */
bool gro_data_out(struct gro *g)
{
	bool ret = g->data_out;

	g->data_out = false;
	return ret;
}

/**
 * gro_send() - A frame from libslirp to the guest: held to merge, or written
 * @g:		the state
 * @tap_fd:	the tap
 * @f:		the Ethernet frame
 * @n:		its length
 */
void gro_send(struct gro *g, int tap_fd, const void *f, size_t n)
{
	const uint8_t *p = f;
	struct seg s;
	bool tcp = seg_parse(p, n, &s);

	if (!tcp || !pure_ack(&s))
		g->data_out = true;
	if (!tcp) {
		pass(g, tap_fd, p, n);
		return;
	}
	if (pure_ack(&s)) {
		if (supersedes(g, p, &s) && n == g->n) {
			memcpy(g->frame, p, n);
			g->first = s;
		} else {
			hold(g, tap_fd, p, n, &s, true);
		}
		return;
	}
	if (!g->vnet || !mergeable_data(&s)) {
		pass(g, tap_fd, p, n);
		return;
	}
	if (joins(g, p, &s)) {
		memcpy(g->frame + g->n, p + s.payload, s.len);
		g->n += s.len;
		g->segs++;
		/* The latest window, and a PSH, stand for the whole frame. */
		memcpy(g->frame + g->first.l4 + TCP_WINDOW_OFF, p + s.l4 + TCP_WINDOW_OFF, 2);
		g->frame[g->first.l4 + TCP_FLAGS_OFF] |= s.flags & TCP_PSH;
	} else {
		hold(g, tap_fd, p, n, &s, false);
	}
	g->next_seq = s.seq + (uint32_t)s.len;
	g->closed = s.len < g->first.len || (s.flags & TCP_PSH);
}
