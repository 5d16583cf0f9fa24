/* The guest's TCP segments reach libslirp in order: a segment past a gap is dropped. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <linux/if_ether.h>

#include "csum.h"
#include "log.h"
#include "monoclock.h"
#include "seg.h"
#include "seqguard.h"
#include "slirp.h"

/*
 * Theory of operation
 *
 * libslirp 4.7 keeps every out-of-order TCP segment the guest sends inside its receive window
 * until the gap before it is filled, with no bound but the window: 32,000 one-byte segments at
 * every second sequence number held 33 MB per connection, kept until the connection ended.
 * Between the guest and libslirp there is only a tap, which neither loses nor reorders: the
 * guest's stack sends in order, so a gap is made on purpose, or by a segment libslirp itself
 * dropped. So for each flow the guest's next sequence number is kept here: the end of what
 * went to libslirp, and whenever libslirp acknowledges (every frame it sends the guest with
 * ACK carries its own next expected byte, and libslirp runs on this thread: nothing is in
 * flight when it sends), libslirp's own word for it. A segment that starts after it is dropped
 * before libslirp sees it; the guest's stack, if it was one, sends again from libslirp's ACK.
 *
 * The mark moves no further than the right edge of the window libslirp last advertised: the
 * part of a segment past it, which libslirp trims, perhaps without an ACK at once, must not
 * make room for segments past libslirp's own next byte. A real stack sends within the window.
 *
 * A segment that libslirp drops without acknowledging would move our mark past libslirp's:
 * those with a bad IP or TCP checksum, a zero TTL, or no ACK flag after the handshake are
 * dropped here instead; IPv4 TCP with options or trailing bytes, IP of a wrong version and IPv6
 * longer than libslirp's MTU (no guest stack sends them) too.
 *
 * A segment that acknowledges a byte libslirp never sent the guest is dropped by libslirp after
 * an ACK of its own, unqueued: were the mark moved by it, the next segments would start past
 * libslirp's next byte, and the ACK that pulls the mark back may never leave (eighth outside
 * attack B1: a guest that pushed its own address out of libslirp's 16-entry ARP table got no
 * frame of the flow again, and its segments acknowledging bytes ahead moved the mark to the
 * window's edge, the one-byte segments behind it queued: 100 MB held). So the end of what
 * libslirp has sent on each flow is kept as well, from the frames it sends the guest: a
 * segment that acknowledges past it, a SYN-ACK that does not acknowledge it exactly, and data
 * before libslirp sent anything are dropped here. A guest can acknowledge only what it got,
 * and it got nothing that did not pass here. So is a segment that does not acknowledge
 * libslirp's SYN: in SYN_RECEIVED libslirp drops it with a RST, and the mark must not move.
 *
 * Only flows libslirp holds a connection for have a mark (outside attack B3: a fixed table that
 * any segment took a slot of was flushed by 16,000 segments of made-up flows, and a real
 * flow's next segment, past a gap, passed unchecked and became its new mark: 990 MB in 60 s).
 * libslirp's every TCP connection has a host socket from before its first segment to the guest
 * to its end (flows.c), so the mark is kept with that socket: made when libslirp opens it on
 * the guest's SYN (register_poll_fd, inside slirp_input() of that SYN: the SYN's end is the
 * mark), or on a forward's accept (outside any guest frame: the socket waits, unclaimed, for
 * the SYN libslirp then sends the guest, whose remote port is the socket's peer's; the guest's
 * SYN-ACK makes the mark), and dropped when libslirp closes it, connection and all (conns.c's
 * early end of a TIME_WAIT among them). No flow pushes another out: there are as many marks as
 * sockets. A segment of any other flow passes, but takes nothing: libslirp has no connection
 * to queue it in and answers a RST, or, for a SYN, opens one, which gets its mark then. Before
 * the handshake gave a forward's flow its mark, its data segments are dropped (libslirp, in
 * SYN_SENT, would drop them too); no real stack sends any. While libslirp still connects on
 * the guest's SYN it drops every segment of the flow, queueing none. So libslirp queues past a
 * gap for no flow, and the marks take no more memory than libslirp's sockets (--max-sockets
 * bounds the guest's, the fd limit all).
 */

#define IP4_TTL_OFF  8
#define IP6_NEXT_OFF 6 /* the next header */
#define IP6_HLIM_OFF 7
#define IP6_SRC_OFF  8
#define IP4_ADDR_LEN 4
#define ADDR_LEN     16

/* The sequence number after @s: its data, and one for a SYN or a FIN. */
static uint32_t seg_end(const struct seg *s)
{
	return s->seq + (uint32_t)s->len + (s->flags & (TCP_SYN | TCP_FIN) ? 1 : 0);
}

/* a is after b, in sequence space */
static bool seq_after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

/**
 * seqguard_init() - An empty table
 * @g:		the guard, zeroed
 * @mtu:	libslirp's MTU
 *
 * Return: 0, or negative errno
 */
int seqguard_init(struct seqguard *g, unsigned mtu)
{
	g->mtu = mtu;
	return flows_init(&g->flows);
}

/**
 * seqguard_free() - Release the table
 * @g:		the guard
 */
void seqguard_free(struct seqguard *g)
{
	flows_free(&g->flows);
}

/* The flow's key: guest address and port, remote address and port, and the family. */
static void flow_key(uint8_t *key, const struct seg *s, const uint8_t *f, bool from_guest)
{
	const uint8_t *a = f + s->l3 + (s->family == AF_INET ? IP4_ADDRS_OFF : IP6_SRC_OFF);
	size_t alen = s->family == AF_INET ? IP4_ADDR_LEN : ADDR_LEN;
	const uint8_t *src = a, *dst = a + alen, *ports = f + s->l4;
	const uint8_t *guest = from_guest ? src : dst, *remote = from_guest ? dst : src;

	memset(key, 0, FLOW_KEY_LEN);
	memcpy(key + ADDR_LEN - alen, guest, alen);
	memcpy(key + 2 * ADDR_LEN - alen, remote, alen);
	memcpy(key + 2 * ADDR_LEN, from_guest ? ports : ports + 2, 2);
	memcpy(key + 2 * ADDR_LEN + 2, from_guest ? ports + 2 : ports, 2);
	key[2 * ADDR_LEN + 4] = s->family == AF_INET ? 4 : 6;
}

/* Whether the IP header checksum (IPv4), TTL or hop limit and TCP checksum are good. */
static bool seg_valid(const uint8_t *f, const struct seg *s, bool csum_done)
{
	const uint8_t *ip = f + s->l3;
	size_t tcp_len = s->payload + s->len - s->l4;
	uint64_t sum;

	if (s->family == AF_INET) {
		if (!ip[IP4_TTL_OFF] || csum_fold(csum_add(ip, IP4_HLEN, 0)) != 0xffff)
			return false;
		sum = csum_add(ip + IP4_ADDRS_OFF, IP4_ADDRS_LEN, 0);
	} else {
		if (!ip[IP6_HLIM_OFF])
			return false;
		sum = csum_add(ip + IP6_ADDRS_OFF, IP6_ADDRS_LEN, 0);
	}
	if (csum_done)
		return true;
	sum += htons(IPPROTO_TCP) + htons((uint16_t)tcp_len);
	return csum_fold(csum_add(f + s->l4, tcp_len, sum)) == 0xffff;
}

static bool drop(struct seqguard *g, const char *why)
{
	g->dropped++;
	if (burstlog_due(&g->log, mono_ms()))
		log_warn("dropping TCP segments from the guest: %s (%lu dropped so far)", why,
			 g->dropped);
	return false;
}

/*
 * Whether a frame seg_parse() refused says TCP all the same (IPv4 with options or trailing
 * bytes, IPv6 with bytes after its payload, either with a wrong version): libslirp would queue
 * some of them and drop others unread, so none passes unchecked. No real stack sends one.
 */
static bool ip_tcp(const uint8_t *f, size_t n)
{
	uint16_t type;

	if (n < SLIRP_ETH_HLEN + IP4_HLEN)
		return false;
	memcpy(&type, f + ETH_TYPE_OFF, 2);
	if (type == htons(ETH_P_IP))
		return f[SLIRP_ETH_HLEN + IP4_PROTO_OFF] == IPPROTO_TCP;
	return type == htons(ETH_P_IPV6) && n >= SLIRP_ETH_HLEN + IP6_HLEN &&
	       f[SLIRP_ETH_HLEN + IP6_NEXT_OFF] == IPPROTO_TCP;
}

/**
 * seqguard_from_guest() - Whether a guest frame may go to libslirp: not a TCP segment that
 * starts past the flow's next byte, nor one libslirp would drop without a word
 * @g:		the guard
 * @f:		the Ethernet frame
 * @n:		its length
 * @csum_done:	its TCP checksum was computed here (a virtio-net frame that needed it)
 *
 * Return: true to pass it on
 */
bool seqguard_from_guest(struct seqguard *g, const uint8_t *f, size_t n, bool csum_done)
{
	uint8_t key[FLOW_KEY_LEN];
	struct flow *e;
	uint32_t end;
	struct seg s;

	g->pending = false;
	if (!seg_parse(f, n, &s))
		return ip_tcp(f, n)
			       ? drop(g,
				      "IP options, bytes after the segment or a malformed header")
			       : true;
	if (s.family == AF_INET6 && n - s.l3 > g->mtu)
		return drop(g, "IPv6 longer than the MTU (libslirp drops it unread)");
	end = seg_end(&s);
	flow_key(key, &s, f, true);
	if (s.flags & TCP_RST)
		return true;
	if (!seg_valid(f, &s, csum_done))
		return drop(g, "a bad checksum or TTL");
	e = flows_find(&g->flows, key);
	if (s.flags & TCP_SYN) {
		/*
		 * Only the guest's SYN-ACK to a forward's SYN starts a mark here: on a flow past
		 * its handshake libslirp drops a SYN unanswered (no ACK) or for a new connection
		 * (TIME_WAIT), whose socket takes the pending mark below; moving this one would
		 * let the next segment past libslirp's own next byte in (seventh outside attack).
		 */
		if (e && !e->mark_known && (s.flags & TCP_ACK)) {
			if (!e->sent_known || s.ack != e->sent)
				return drop(g, "a SYN-ACK not acknowledging libslirp's SYN");
			e->next = end;
			e->mark_known = true;
		}
		/* the socket its input opens is this flow's (a SYN that ends a TIME_WAIT too) */
		g->pending = true;
		memcpy(g->pending_key, key, FLOW_KEY_LEN);
		g->pending_next = end;
		return true;
	}
	if (end == s.seq)
		return true; /* a bare ACK: nothing to queue */
	if (!(s.flags & TCP_ACK))
		return drop(g, "data without ACK");
	if (!e)
		return true; /* libslirp has no connection to queue it in: it answers a RST */
	if (!e->mark_known || !e->sent_known)
		return drop(g, "data before the handshake");
	if (seq_after(s.ack, e->sent))
		return drop(g, "acknowledging bytes libslirp never sent");
	/*
	 * Below libslirp's SYN only before its handshake is done (later such an ACK is a
	 * duplicate, its data taken): past 2 GiB sent, the ACKs of a long download are "before"
	 * the SYN in sequence space.
	 */
	if (!e->floor_acked && seq_after(e->floor, s.ack))
		return drop(g, "not acknowledging libslirp's SYN");
	if (seq_after(s.seq, e->next))
		return drop(g, "out of order (a gap before them)");
	e->floor_acked = true;
	/*
	 * A FIN moves no mark: libslirp takes a segment without data whose ACK repeats its
	 * last for a duplicate ACK, and drops it, FIN and all, unanswered from the third on
	 * (tenth outside attack: FINs one byte apart walked the mark to the window's edge). The
	 * FIN's place is libslirp's ACK's to say; no data follows a real FIN.
	 */
	end = s.seq + (uint32_t)s.len;
	if (e->edge_known && seq_after(end, e->edge))
		end = e->edge; /* past the window: libslirp trims it */
	if (seq_after(end, e->next))
		e->next = end;
	return true;
}

/**
 * seqguard_to_guest() - A frame libslirp sends the guest: its ACK says where the guest's
 * next byte starts, and its end how far libslirp has sent (what the guest may acknowledge)
 * @g:		the guard
 * @f:		the Ethernet frame
 * @n:		its length
 */
void seqguard_to_guest(struct seqguard *g, const uint8_t *f, size_t n)
{
	uint8_t key[FLOW_KEY_LEN];
	struct flow *e;
	uint16_t win, remote_port;
	uint32_t end;
	struct seg s;

	if (!seg_parse(f, n, &s))
		return;
	flow_key(key, &s, f, false);
	e = flows_find(&g->flows, key);
	if (!e && (s.flags & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN) {
		/* libslirp opens a forward's connection to the guest: the socket it accepted */
		memcpy(&remote_port, f + s.l4, 2);
		e = flows_claim(&g->flows, key, ntohs(remote_port));
		if (!e)
			log_warn("no socket for a forwarded connection to the guest: unguarded");
	}
	/*
	 * A RST tells nothing of the flow: libslirp's answer to an unacceptable segment takes
	 * its sequence number from that segment's ACK, the guest's to choose (ninth outside
	 * attack: it made "what libslirp sent" whatever the guest liked), and its ACK from the
	 * segment's end. A connection reset closes its socket, and the flow goes with it.
	 */
	if (!e || (s.flags & TCP_RST))
		return;
	end = seg_end(&s);
	if (!e->sent_known) /* its first frame of the flow: its SYN (or SYN-ACK) */
		e->floor = (s.flags & TCP_SYN) ? end : s.seq;
	if (!e->sent_known || seq_after(end, e->sent)) {
		e->sent = end;
		e->sent_known = true;
	}
	if (!(s.flags & TCP_ACK))
		return;
	memcpy(&win, f + s.l4 + TCP_WINDOW_OFF, 2);
	e->next = s.ack;
	e->mark_known = true;
	e->edge = s.ack + ntohs(win); /* libslirp has no window scaling */
	e->edge_known = true;
}

/**
 * seqguard_input() - A guest frame goes into slirp_input(), or is done
 * @g:		the guard
 * @in:		it goes in now
 */
void seqguard_input(struct seqguard *g, bool in)
{
	g->in_input = in;
	if (!in)
		g->pending = false;
}

/**
 * seqguard_fd_new() - libslirp opened @fd: the socket of the SYN going in now, if it is
 * one, else, outside any guest frame, a forward's connection (or listener) not known yet
 * @g:		the guard
 * @fd:		the socket
 */
void seqguard_fd_new(struct seqguard *g, int fd)
{
	struct flow *e;

	if (!g->in_input) {
		flows_add(&g->flows, fd, NULL);
		return;
	}
	if (!g->pending) {
		flows_gone(&g->flows, fd); /* a UDP or ICMP socket: no flow of ours */
		return;
	}
	g->pending = false;
	e = flows_add(&g->flows, fd, g->pending_key);
	if (!e)
		return;
	e->next = g->pending_next;
	e->mark_known = true;
}

/**
 * seqguard_fd_gone() - libslirp closed @fd: the connection and its mark go
 * @g:		the guard
 * @fd:		the socket
 */
void seqguard_fd_gone(struct seqguard *g, int fd)
{
	flows_gone(&g->flows, fd);
}
