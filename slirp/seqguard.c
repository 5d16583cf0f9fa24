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
 * Flows live in a table of SEQGUARD_BUCKETS buckets of SEQGUARD_WAYS, by a hash with a random
 * seed; a new flow takes its bucket's least recently seen slot. A segment of a flow not in the
 * table (pushed out by newer ones) goes through and starts the flow's mark again: at most one
 * segment each time a flow is pushed out.
 */

#define SEQGUARD_BUCKETS 1024
#define SEQGUARD_WAYS	 8
#define BURST_GAP_MS	 1000 /* drops this close together are one burst, one line */
#define IP4_TTL_OFF	 8
#define IP6_NEXT_OFF	 6 /* the next header */
#define IP6_HLIM_OFF	 7
#define IP6_SRC_OFF	 8
#define IP4_ADDR_LEN	 4
#define ADDR_LEN	 16
#define FNV_PRIME	 16777619u

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
	g->flows = calloc((size_t)SEQGUARD_BUCKETS * SEQGUARD_WAYS, sizeof(*g->flows));
	if (!g->flows)
		return -ENOMEM;
	if (getrandom(&g->seed, sizeof(g->seed), 0) != sizeof(g->seed))
		return -errno;
	return 0;
}

/**
 * seqguard_free() - Release the table
 * @g:		the guard
 */
void seqguard_free(struct seqguard *g)
{
	free(g->flows);
	g->flows = NULL;
}

/* The flow's key: guest address and port, remote address and port, and the family. */
static void flow_key(uint8_t *key, const struct seg *s, const uint8_t *f, bool from_guest)
{
	const uint8_t *a = f + s->l3 + (s->family == AF_INET ? IP4_ADDRS_OFF : IP6_SRC_OFF);
	size_t alen = s->family == AF_INET ? IP4_ADDR_LEN : ADDR_LEN;
	const uint8_t *src = a, *dst = a + alen, *ports = f + s->l4;
	const uint8_t *guest = from_guest ? src : dst, *remote = from_guest ? dst : src;

	memset(key, 0, SEQGUARD_KEY_LEN);
	memcpy(key + ADDR_LEN - alen, guest, alen);
	memcpy(key + 2 * ADDR_LEN - alen, remote, alen);
	memcpy(key + 2 * ADDR_LEN, from_guest ? ports : ports + 2, 2);
	memcpy(key + 2 * ADDR_LEN + 2, from_guest ? ports + 2 : ports, 2);
	key[2 * ADDR_LEN + 4] = s->family == AF_INET ? 4 : 6;
}

static struct seqflow *bucket(const struct seqguard *g, const uint8_t *key)
{
	uint32_t h = g->seed;

	for (size_t i = 0; i < SEQGUARD_KEY_LEN; i++)
		h = (h ^ key[i]) * FNV_PRIME;
	h ^= h >> 16;
	return &g->flows[(size_t)(h % SEQGUARD_BUCKETS) * SEQGUARD_WAYS];
}

static struct seqflow *flow_find(struct seqguard *g, const uint8_t *key)
{
	struct seqflow *b = bucket(g, key);

	for (int i = 0; i < SEQGUARD_WAYS; i++)
		if (b[i].used && !memcmp(b[i].key, key, SEQGUARD_KEY_LEN))
			return &b[i];
	return NULL;
}

/* A slot for a new flow: a free one, else the bucket's least recently seen. */
static struct seqflow *flow_add(struct seqguard *g, const uint8_t *key, uint32_t next)
{
	struct seqflow *b = bucket(g, key), *e = &b[0];

	for (int i = 0; i < SEQGUARD_WAYS && e->used; i++)
		if (!b[i].used || (int32_t)(b[i].used_at - e->used_at) < 0)
			e = &b[i];
	memcpy(e->key, key, SEQGUARD_KEY_LEN);
	e->used = true;
	e->edge_known = false;
	e->next = next;
	e->used_at = g->clock;
	return e;
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
	int64_t now = mono_ms();

	g->dropped++;
	if (!g->last_ms || now - g->last_ms > BURST_GAP_MS)
		log_warn("dropping TCP segments from the guest: %s (%lu dropped so far)", why,
			 g->dropped);
	g->last_ms = now;
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
	uint8_t key[SEQGUARD_KEY_LEN];
	struct seqflow *e;
	uint32_t end;
	struct seg s;

	if (!seg_parse(f, n, &s))
		return ip_tcp(f, n)
			       ? drop(g,
				      "IP options, bytes after the segment or a malformed header")
			       : true;
	if (s.family == AF_INET6 && n - s.l3 > g->mtu)
		return drop(g, "IPv6 longer than the MTU (libslirp drops it unread)");
	end = s.seq + (uint32_t)s.len + (s.flags & (TCP_SYN | TCP_FIN) ? 1 : 0);
	g->clock++;
	flow_key(key, &s, f, true);
	if (s.flags & TCP_RST)
		return true;
	if (!seg_valid(f, &s, csum_done))
		return drop(g, "a bad checksum or TTL");
	e = flow_find(g, key);
	if (s.flags & TCP_SYN) {
		e = e ? e : flow_add(g, key, end);
		e->next = end;
		e->used_at = g->clock;
		return true;
	}
	if (end == s.seq)
		return true; /* a bare ACK: nothing to queue */
	if (!(s.flags & TCP_ACK))
		return drop(g, "data without ACK");
	if (!e) {
		flow_add(g, key, end);
		return true;
	}
	e->used_at = g->clock;
	if (seq_after(s.seq, e->next))
		return drop(g, "out of order (a gap before them)");
	if (e->edge_known && seq_after(end, e->edge))
		end = e->edge; /* past the window: libslirp trims it */
	if (seq_after(end, e->next))
		e->next = end;
	return true;
}

/**
 * seqguard_to_guest() - A frame libslirp sends the guest: its ACK says where the guest's
 * next byte starts
 * @g:		the guard
 * @f:		the Ethernet frame
 * @n:		its length
 */
void seqguard_to_guest(struct seqguard *g, const uint8_t *f, size_t n)
{
	uint8_t key[SEQGUARD_KEY_LEN];
	struct seqflow *e;
	uint16_t win;
	struct seg s;

	if (!seg_parse(f, n, &s) || !(s.flags & TCP_ACK))
		return;
	flow_key(key, &s, f, false);
	if (!(e = flow_find(g, key)))
		return;
	memcpy(&win, f + s.l4 + TCP_WINDOW_OFF, 2);
	e->next = s.ack;
	e->edge = s.ack + ntohs(win); /* libslirp has no window scaling */
	e->edge_known = true;
}
