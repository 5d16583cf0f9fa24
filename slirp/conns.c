/* The host sockets the guest makes libslirp hold: counted by guest source, bounded, reaped. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <linux/if_ether.h>

#include "array.h"
#include "conns.h"
#include "csum.h"
#include "fnv.h"
#include "log.h"
#include "monoclock.h"
#include "loop.h"
#include "seg.h"
#include "slirp.h"
#include "slirpnet.h"

/*
 * Theory of operation
 *
 * Every host socket libslirp opens for the guest (a TCP connection out, a UDP flow, a ping)
 * is opened inside slirp_input(), on the guest's frame, and libslirp tells us of it
 * (register_poll_fd) before slirp_input() returns, and of its end (unregister_poll_fd). So the
 * loop says which frame is going in, and each new fd is put to that frame's source address:
 * a count per guest address, and a total. A frame that would open one more past a limit does
 * not go in: a TCP SYN is answered with a RST, as a host that refuses would; a UDP datagram
 * of a new flow (a source port libslirp has no socket for) or a ping is dropped. One line
 * says so at the start of a burst of refusals, which ends after a second without one: a
 * guest that keeps knocking at the limit gets a line per burst, not per connection.
 *
 * Per source, because on a shared network one rootlet-slirp serves every container: one of
 * them opening connections as fast as it can must not take the sockets the others need. Its
 * IPv4 comes as itself (routed); its IPv6 comes masqueraded as the infra's one address, with
 * a source port of the container's own range (network/masq.c, lib/masq6.h). With
 * --masq6-subnet a frame's source is its owner: an IPv6 one from the guest's own address
 * counts for the container whose range its source port is in, an IPv4 one of the subnet for
 * itself (the range's first address, on a subnet larger than the split: those containers
 * share one share), so a container's two families are one share; the infra's own ports count
 * as the infra's address.
 *
 * libslirp keeps a TCP connection that the host side closed first in TIME_WAIT for 2 * MSL
 * (10 s), with its host socket and both 128 KiB buffers: a container whose peers hang up
 * holds ten seconds' worth of connections in the helper, 8,000 at 800 a second. TIME_WAIT
 * keeps a late duplicate of the old connection from being taken for a new one; between
 * libslirp and the guest there is a tap, no network that could keep a segment for seconds,
 * and the host side has already closed. So when libslirp acknowledges the guest's FIN after
 * the guest has acknowledged libslirp's own (libslirp is in TIME_WAIT now), a RST from the
 * guest's address at the next sequence number is fed to libslirp, which closes a TIME_WAIT
 * connection on a RST (4.4BSD's tcp_input, as libslirp has it): its socket and buffers go at
 * once. Flows are tracked in a fixed table by hash; a flow pushed out of it only loses this
 * early end and waits its TIME_WAIT out.
 */

#define ETH_ALEN_BYTES	6
#define ETH_HLEN_BYTES	14
#define IP4_SRC_OFF	12
#define IP4_ADDR_LEN	4
#define IP6_SRC_OFF	8
#define IP6_DST_OFF	24
#define IP4_TTL_OFF	8
#define IP6_HOPS_OFF	7
#define IP_TTL_DEFAULT	64
#define TCP_HLEN_MIN	20
#define TCP_DOFF_WORDS	(5 << 4)
#define ICMP_ECHO_REQ	8
#define ICMP6_ECHO_REQ	128
#define UDP_PORT_BOOTPS 67 /* DHCP: libslirp answers it itself, with no socket */
#define SOURCES_GROW	16
#define OWNERS_GROW	64
#define FRAME_RST_MAX	(ETH_HLEN_BYTES + IP6_HLEN + TCP_HLEN_MIN)

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* A guest frame's addresses, protocol and ports, as far as limits and reaping need them. */
struct pkt {
	int family;
	uint8_t proto;
	uint8_t src[CONNS_ADDR_LEN], dst[CONNS_ADDR_LEN];
	uint8_t owner[CONNS_ADDR_LEN]; /* whose share it counts in (src, or --masq6-subnet's) */
	uint16_t sport, dport;	       /* host order; 0 if not TCP or UDP */
	uint8_t icmp_type;
	bool frag;     /* an IPv4 fragment: its TCP flags may be in another one */
	int tcp_flags; /* -1: not in this frame */
};

static void map_v4(uint8_t out[CONNS_ADDR_LEN], const uint8_t *a)
{
	memcpy(out, v4mapped, sizeof(v4mapped));
	memcpy(out + sizeof(v4mapped), a, IP4_ADDR_LEN);
}

static bool pkt_parse(const uint8_t *f, size_t n, struct pkt *p)
{
	const uint8_t *ip = f + SLIRP_ETH_HLEN;
	uint16_t type;
	size_t l4;

	if (n < SLIRP_ETH_HLEN + IP4_HLEN)
		return false;
	memcpy(&type, f + ETH_TYPE_OFF, 2);
	if (type == htons(ETH_P_IP) && (ip[0] >> 4) == 4) {
		uint16_t frag;

		p->family = AF_INET;
		p->proto = ip[IP4_PROTO_OFF];
		map_v4(p->src, ip + IP4_SRC_OFF);
		map_v4(p->dst, ip + IP4_SRC_OFF + IP4_ADDR_LEN);
		l4 = SLIRP_ETH_HLEN + (size_t)(ip[0] & 0xf) * 4;
		memcpy(&frag, ip + IP4_FRAG_OFF, 2);
		p->frag = ntohs(frag) & (IP_MF | IP_OFFMASK);
		if (ntohs(frag) & IP_OFFMASK)
			l4 = n; /* a later fragment: no ports */
	} else if (type == htons(ETH_P_IPV6) && n >= SLIRP_ETH_HLEN + IP6_HLEN) {
		p->family = AF_INET6;
		p->proto = ip[IP6_NXT_OFF];
		memcpy(p->src, ip + IP6_SRC_OFF, CONNS_ADDR_LEN);
		memcpy(p->dst, ip + IP6_DST_OFF, CONNS_ADDR_LEN);
		l4 = SLIRP_ETH_HLEN + IP6_HLEN;
		p->frag = false; /* libslirp drops IPv6 extension headers, fragments among them */
	} else {
		return false;
	}
	p->sport = p->dport = 0;
	p->icmp_type = 0;
	p->tcp_flags =
		p->proto == IPPROTO_TCP && n > l4 + TCP_FLAGS_OFF ? f[l4 + TCP_FLAGS_OFF] : -1;
	if ((p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP) && n >= l4 + 4) {
		p->sport = (uint16_t)(f[l4] << 8 | f[l4 + 1]);
		p->dport = (uint16_t)(f[l4 + 2] << 8 | f[l4 + 3]);
	} else if ((p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6) && n > l4) {
		p->icmp_type = f[l4];
	}
	return true;
}

/* @p's owner: its source, or with --masq6-subnet the container it counts for. */
static void pkt_owner(const struct conns *c, struct pkt *p)
{
	struct in_addr ip;

	memcpy(p->owner, p->src, CONNS_ADDR_LEN);
	if (!c->masq6)
		return;
	if (p->family == AF_INET) {
		memcpy(&ip, p->src + sizeof(v4mapped), IP4_ADDR_LEN);
		if (masq6_in_subnet(&c->split, ip)) {
			ip = masq6_owner(&c->split, ip);
			map_v4(p->owner, (const uint8_t *)&ip);
		}
	} else if ((p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP) &&
		   !memcmp(p->src, c->guest6, CONNS_ADDR_LEN) &&
		   masq6_port_owner(&c->split, p->sport, &ip)) {
		map_v4(p->owner, (const uint8_t *)&ip);
	}
}

/**
 * conns_init() - Start counting
 * @c:			the state, zeroed
 * @max_sockets:	host sockets the guest may make libslirp hold at once (0: no limit)
 * @max_per_source:	of them, from one guest address (0: no limit)
 * @masq6:		--masq6-subnet's split, or NULL
 *
 * Return: 0, or -ENOMEM (or getrandom()'s negative errno)
 */
int conns_init(struct conns *c, unsigned max_sockets, unsigned max_per_source,
	       const struct masq6_split *masq6)
{
	c->max_sockets = max_sockets;
	c->max_per_source = max_per_source;
	if (masq6) {
		c->masq6 = true;
		c->split = *masq6;
		inet_pton(AF_INET6, SLIRP_GUEST6, c->guest6);
	}
	if (getrandom(&c->seed, sizeof(c->seed), 0) != sizeof(c->seed))
		return -errno;
	c->closing = calloc(CONNS_CLOSING_SLOTS, sizeof(*c->closing));
	return c->closing ? 0 : -ENOMEM;
}

/**
 * conns_free() - Release the state
 * @c:		the state
 */
void conns_free(struct conns *c)
{
	free(c->sources);
	free(c->owners);
	free(c->closing);
}

static struct conns_source *source_find(struct conns *c, const uint8_t *addr)
{
	for (size_t i = 0; i < c->nsources; i++)
		if (!memcmp(c->sources[i].addr, addr, CONNS_ADDR_LEN))
			return &c->sources[i];
	return NULL;
}

static struct conns_source *source_add(struct conns *c, const uint8_t *addr)
{
	struct conns_source *s = source_find(c, addr);

	if (s)
		return s;
	if (c->nsources == c->sources_cap) {
		size_t cap = c->sources_cap + SOURCES_GROW;
		struct conns_source *more = realloc(c->sources, cap * sizeof(*more));

		if (!more)
			return NULL;
		c->sources = more;
		c->sources_cap = cap;
	}
	s = &c->sources[c->nsources++];
	memset(s, 0, sizeof(*s));
	memcpy(s->addr, addr, CONNS_ADDR_LEN);
	return s;
}

/**
 * conns_fd_new() - libslirp opened @fd: the guest frame going in now made it, if any
 * @c:		the state
 * @fd:		its socket
 */
void conns_fd_new(struct conns *c, int fd)
{
	struct conns_source *s;

	if (fd < 0 ||
	    array_grow((void **)&c->owners, &c->nowners, fd, sizeof(*c->owners), OWNERS_GROW))
		return;
	if (c->owners[fd].guest)
		conns_fd_gone(c, fd); /* never told of its end: the number is new now */
	if (!c->in_input || !(s = source_add(c, c->input.addr)))
		return;
	c->owners[fd] = c->input;
	s->count++;
	c->total++;
}

/**
 * conns_fd_gone() - libslirp closed @fd
 * @c:		the state
 * @fd:		its socket
 */
void conns_fd_gone(struct conns *c, int fd)
{
	struct conns_source *s;

	if (fd < 0 || fd >= c->nowners || !c->owners[fd].guest)
		return;
	c->owners[fd].guest = false;
	c->total--;
	s = source_find(c, c->owners[fd].addr);
	if (s && --s->count == 0)
		*s = c->sources[--c->nsources];
}

/* Whether libslirp has a socket for @p's UDP flow already (it keys them by guest source). */
static bool udp_known(const struct conns *c, const struct pkt *p)
{
	for (int fd = 0; fd < c->nowners; fd++) {
		const struct conns_owner *o = &c->owners[fd];

		if (o->guest && o->proto == IPPROTO_UDP && o->sport == p->sport &&
		    !memcmp(o->addr, p->owner, CONNS_ADDR_LEN))
			return true;
	}
	return false;
}

/* Whether a new socket for @p's source is past a limit; the first of a burst is logged. */
static bool over_limit(struct conns *c, const struct pkt *p)
{
	const struct conns_source *s = source_find(c, p->owner);
	bool source = c->max_per_source && s && s->count >= c->max_per_source;
	char text[INET6_ADDRSTRLEN];

	if (!source && !(c->max_sockets && c->total >= c->max_sockets))
		return false;
	/* Looked for only at the limit: a walk of every socket. */
	if (p->proto == IPPROTO_UDP && udp_known(c, p))
		return false;
	c->refused++;
	if (burstlog_due(&c->refusal_log, mono_ms())) {
		bool v4 = !memcmp(p->owner, v4mapped, sizeof(v4mapped));

		inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? p->owner + sizeof(v4mapped) : p->owner,
			  text, sizeof(text));
		log_warn("refusing new connections from %s: %s (%lu refused so far)", text,
			 source ? "it holds --max-sockets-per-source host sockets"
				: "the guest holds --max-sockets host sockets",
			 c->refused);
	}
	return true;
}

/*
 * A TCP header with no options, in an Ethernet frame of its own: @eth's header, @src to @dst
 * (mapped addresses), its checksums done. Returns its length.
 */
static size_t build_tcp(uint8_t *buf, const uint8_t eth[ETH_HLEN_BYTES], int family,
			const uint8_t *src, const uint8_t *dst, uint16_t sport, uint16_t dport,
			uint32_t seq, uint32_t ack, uint8_t flags)
{
	size_t l3 = ETH_HLEN_BYTES, l4, alen = family == AF_INET ? IP4_ADDR_LEN : CONNS_ADDR_LEN;
	const uint8_t *s = family == AF_INET ? src + sizeof(v4mapped) : src;
	const uint8_t *d = family == AF_INET ? dst + sizeof(v4mapped) : dst;
	uint16_t v, csum;
	uint32_t w;
	uint64_t sum;

	memcpy(buf, eth, ETH_HLEN_BYTES);
	if (family == AF_INET) {
		l4 = l3 + IP4_HLEN;
		memset(buf + l3, 0, IP4_HLEN);
		buf[l3] = 0x45;
		v = htons(IP4_HLEN + TCP_HLEN_MIN);
		memcpy(buf + l3 + IP4_TOTLEN_OFF, &v, 2);
		v = htons(IP_DF);
		memcpy(buf + l3 + IP4_FRAG_OFF, &v, 2);
		buf[l3 + IP4_TTL_OFF] = IP_TTL_DEFAULT;
		buf[l3 + IP4_PROTO_OFF] = IPPROTO_TCP;
		memcpy(buf + l3 + IP4_SRC_OFF, s, alen);
		memcpy(buf + l3 + IP4_SRC_OFF + alen, d, alen);
		csum = (uint16_t)~csum_fold(csum_add(buf + l3, IP4_HLEN, 0));
		memcpy(buf + l3 + IP4_CSUM_OFF, &csum, 2);
		v = htons(ETH_P_IP);
	} else {
		l4 = l3 + IP6_HLEN;
		memset(buf + l3, 0, IP6_HLEN);
		buf[l3] = 0x60;
		v = htons(TCP_HLEN_MIN);
		memcpy(buf + l3 + IP6_PLEN_OFF, &v, 2);
		buf[l3 + IP6_NXT_OFF] = IPPROTO_TCP;
		buf[l3 + IP6_HOPS_OFF] = IP_TTL_DEFAULT;
		memcpy(buf + l3 + IP6_SRC_OFF, s, alen);
		memcpy(buf + l3 + IP6_DST_OFF, d, alen);
		v = htons(ETH_P_IPV6);
	}
	memcpy(buf + ETH_TYPE_OFF, &v, 2);
	memset(buf + l4, 0, TCP_HLEN_MIN);
	v = htons(sport);
	memcpy(buf + l4, &v, 2);
	v = htons(dport);
	memcpy(buf + l4 + 2, &v, 2);
	w = htonl(seq);
	memcpy(buf + l4 + TCP_SEQ_OFF, &w, 4);
	w = htonl(ack);
	memcpy(buf + l4 + TCP_ACKSEQ_OFF, &w, 4);
	buf[l4 + TCP_DOFF_OFF] = TCP_DOFF_WORDS;
	buf[l4 + TCP_FLAGS_OFF] = flags;
	sum = csum_add(s, alen, 0);
	sum = csum_add(d, alen, sum);
	sum += htons(IPPROTO_TCP) + htons(TCP_HLEN_MIN);
	csum = (uint16_t)~csum_fold(csum_add(buf + l4, TCP_HLEN_MIN, sum));
	memcpy(buf + l4 + TCP_CSUM_OFF, &csum, 2);
	return l4 + TCP_HLEN_MIN;
}

/* The guest's SYN @s, in @f, refused: a RST as from the peer it asked for. */
static void refuse_syn(const uint8_t *f, const struct seg *s, const struct pkt *p, struct gro *g,
		       int tap_fd)
{
	uint8_t buf[FRAME_RST_MAX], eth[ETH_HLEN_BYTES];

	memcpy(eth, f + ETH_ALEN_BYTES, ETH_ALEN_BYTES);
	memcpy(eth + ETH_ALEN_BYTES, f, ETH_ALEN_BYTES);
	memcpy(eth + ETH_TYPE_OFF, f + ETH_TYPE_OFF, 2);
	gro_send(g, tap_fd, buf,
		 build_tcp(buf, eth, p->family, p->dst, p->src, p->dport, p->sport, 0,
			   s->seq + (uint32_t)s->len + 1, TCP_RST | TCP_ACK));
}

static void flow_key(uint8_t *key, const uint8_t *guest, const uint8_t *remote, uint16_t gport,
		     uint16_t rport)
{
	memcpy(key, guest, CONNS_ADDR_LEN);
	memcpy(key + CONNS_ADDR_LEN, remote, CONNS_ADDR_LEN);
	key[2 * CONNS_ADDR_LEN] = (uint8_t)(gport >> 8);
	key[2 * CONNS_ADDR_LEN + 1] = (uint8_t)gport;
	key[2 * CONNS_ADDR_LEN + 2] = (uint8_t)(rport >> 8);
	key[2 * CONNS_ADDR_LEN + 3] = (uint8_t)rport;
}

static struct conns_closing *slot(struct conns *c, const uint8_t *key)
{
	return &c->closing[fnv1a(c->seed, key, sizeof(c->closing->key)) % CONNS_CLOSING_SLOTS];
}

/* The guest's side of a closing connection: its FIN after libslirp's, or its RST. */
static void closing_from_guest(struct conns *c, const uint8_t *f, const struct seg *s,
			       const struct pkt *p)
{
	uint8_t key[sizeof(c->closing->key)];
	struct conns_closing *e;

	if (!(s->flags & (TCP_FIN | TCP_RST)))
		return;
	flow_key(key, p->src, p->dst, p->sport, p->dport);
	e = slot(c, key);
	if (!e->used || memcmp(e->key, key, sizeof(key)))
		return;
	if (s->flags & TCP_RST) {
		e->used = false;
		return;
	}
	if ((s->flags & TCP_ACK) && (int32_t)(s->ack - e->slirp_fin_end) >= 0) {
		e->guest_fin = true;
		e->guest_fin_end = s->seq + (uint32_t)s->len + 1;
		memcpy(e->eth, f, ETH_HLEN_BYTES);
	}
}

/**
 * conns_to_guest() - A frame libslirp sends the guest: its FINs and the ACKs of the guest's
 * @c:		the state
 * @f:		the Ethernet frame
 * @n:		its length
 */
void conns_to_guest(struct conns *c, const uint8_t *f, size_t n)
{
	uint8_t key[sizeof(c->closing->key)];
	struct conns_closing *e;
	struct pkt p;
	struct seg s;

	if (!seg_parse(f, n, &s) || !pkt_parse(f, n, &p))
		return;
	flow_key(key, p.dst, p.src, p.dport, p.sport);
	e = slot(c, key);
	if (s.flags & TCP_RST) {
		if (e->used && !memcmp(e->key, key, sizeof(key)))
			e->used = false;
		return;
	}
	if (s.flags & TCP_FIN) {
		if (e->used && !memcmp(e->key, key, sizeof(key)))
			return; /* a retransmission */
		memset(e, 0, sizeof(*e));
		e->used = true;
		memcpy(e->key, key, sizeof(key));
		e->family = p.family;
		e->slirp_fin_end = s.seq + (uint32_t)s.len + 1;
		return;
	}
	if (!e->used || memcmp(e->key, key, sizeof(key)) || !e->guest_fin || !(s.flags & TCP_ACK) ||
	    s.ack != e->guest_fin_end)
		return;
	/* libslirp took the guest's FIN after its own was acknowledged: TIME_WAIT. */
	if (c->nreap < CONNS_REAP_MAX) {
		struct conns_reap *r = &c->reap[c->nreap++];

		r->family = e->family;
		memcpy(r->key, e->key, sizeof(r->key));
		memcpy(r->eth, e->eth, sizeof(r->eth));
		r->seq = e->guest_fin_end;
	}
	e->used = false;
}

/**
 * conns_from_guest() - A guest frame about to go to libslirp: whether it may
 * @c:		the state
 * @f:		the Ethernet frame
 * @n:		its length
 * @g:		where a refusal goes to the guest
 * @tap_fd:	the tap
 *
 * Return: true to give it to slirp_input() (and call conns_input_done() after)
 */
bool conns_from_guest(struct conns *c, const uint8_t *f, size_t n, struct gro *g, int tap_fd)
{
	struct pkt p;
	struct seg s;

	c->in_input = false;
	if (!pkt_parse(f, n, &p))
		return true;
	pkt_owner(c, &p);
	c->input = (struct conns_owner){ .guest = true, .proto = p.proto, .sport = p.sport };
	memcpy(c->input.addr, p.owner, CONNS_ADDR_LEN);
	if (p.proto == IPPROTO_TCP) {
		bool parsed = seg_parse(f, n, &s);

		if (parsed)
			closing_from_guest(c, f, &s, &p);
		/*
		 * A SYN opens a socket. So may a frame whose flags are not all here (an IPv4
		 * fragment; fragguard.c drops them before this, kept as a second line), or not
		 * where seg_parse() looks (IP options, which seqguard.c drops, libslirp would
		 * strip): past the limit, those are dropped.
		 */
		if (parsed && !p.frag && (s.flags & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN &&
		    over_limit(c, &p)) {
			refuse_syn(f, &s, &p, g, tap_fd);
			return false;
		}
		if ((!parsed || p.frag) &&
		    (p.frag || p.tcp_flags < 0 || (p.tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN) &&
		    over_limit(c, &p))
			return false;
	} else if (((p.proto == IPPROTO_UDP && p.dport != UDP_PORT_BOOTPS) ||
		    (p.proto == IPPROTO_ICMP && p.icmp_type == ICMP_ECHO_REQ) ||
		    (p.proto == IPPROTO_ICMPV6 && p.icmp_type == ICMP6_ECHO_REQ)) &&
		   over_limit(c, &p)) {
		return false;
	}
	c->in_input = true;
	return true;
}

/**
 * conns_input_done() - The guest's frame went in: end the TIME_WAITs it and others started
 * @c:		the state
 * @slirp:	libslirp
 */
void conns_input_done(struct conns *c, Slirp *slirp)
{
	uint8_t buf[FRAME_RST_MAX];

	c->in_input = false;
	for (int i = 0; i < c->nreap; i++) {
		const struct conns_reap *r = &c->reap[i];
		uint16_t gport = (uint16_t)(r->key[2 * CONNS_ADDR_LEN] << 8 |
					    r->key[2 * CONNS_ADDR_LEN + 1]);
		uint16_t rport = (uint16_t)(r->key[2 * CONNS_ADDR_LEN + 2] << 8 |
					    r->key[2 * CONNS_ADDR_LEN + 3]);

		slirp_input(slirp, buf,
			    (int)build_tcp(buf, r->eth, r->family, r->key, r->key + CONNS_ADDR_LEN,
					   gport, rport, r->seq, 0, TCP_RST));
		c->reaped++;
	}
	c->nreap = 0;
}
