/* Unit tests' Ethernet frames carrying a TCP segment over IPv4 or IPv6, built by hand. */
#ifndef ROOTLET_UNIT_FRAME_H
#define ROOTLET_UNIT_FRAME_H

#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <linux/if_ether.h>

#define FRAME_IP4_LEN	20
#define FRAME_IP6_LEN	40
#define FRAME_TCP_LEN	20
#define FRAME_MAC_FILL	0xaa /* both MAC addresses' every byte */
#define FRAME_HOPS	64
#define FRAME_TCP_FLAGS 13 /* the flags' byte in the TCP header */

/* What frame_tcp() writes: the addresses as text, the payload @len bytes of @fill. */
struct frame_tcp {
	int family; /* AF_INET or AF_INET6 */
	const char *src, *dst;
	uint16_t sport, dport, window;
	uint32_t seq, ack;
	uint8_t flags;
	size_t len;
	uint8_t fill;
	size_t pad; /* bytes after the packet: an Ethernet frame may be longer than its IP packet */
};

/* Where the TCP header of a frame of @family starts. */
static inline size_t frame_l4(int family)
{
	return ETH_HLEN + (family == AF_INET ? FRAME_IP4_LEN : FRAME_IP6_LEN);
}

/*
 * The ones' complement sum (RFC 1071) of @len bytes at @p onto @sum, folded to 16 bits: a
 * header whose checksum is right sums to 0xffff. The tests' own, not rootlet-slirp's.
 */
static inline uint32_t frame_sum(const uint8_t *p, size_t len, uint32_t sum)
{
	uint16_t w;

	for (; len >= 2; p += 2, len -= 2) {
		memcpy(&w, p, 2);
		sum += w;
	}
	if (len)
		sum += htons((uint16_t)(*p << 8));
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* The sum of the pseudo-header of the TCP segment of @tcp_len bytes in @f. */
static inline uint32_t frame_pseudo_sum(const uint8_t *f, int family, uint16_t tcp_len)
{
	uint32_t sum = family == AF_INET ? frame_sum(f + ETH_HLEN + 12, 8, 0)
					 : frame_sum(f + ETH_HLEN + 8, 32, 0);

	return sum + htons(IPPROTO_TCP) + htons(tcp_len);
}

/*
 * frame_tcp() - Write into @f the frame @s describes, its checksums right
 *
 * Headers are built aligned and copied in: after Ethernet's 14 bytes they are not.
 *
 * Return: the frame's length
 */
static inline size_t frame_tcp(uint8_t *f, const struct frame_tcp *s)
{
	size_t l4 = frame_l4(s->family), tl = FRAME_TCP_LEN + s->len;
	uint16_t type = htons(s->family == AF_INET ? ETH_P_IP : ETH_P_IPV6), check;
	struct tcphdr th = { .source = htons(s->sport),
			     .dest = htons(s->dport),
			     .seq = htonl(s->seq),
			     .ack_seq = htonl(s->ack),
			     .doff = FRAME_TCP_LEN / 4,
			     .window = htons(s->window) };

	memset(f, 0, l4 + tl + s->pad);
	memset(f, FRAME_MAC_FILL, 2 * ETH_ALEN);
	memcpy(f + 2 * ETH_ALEN, &type, 2);
	if (s->family == AF_INET) {
		struct iphdr ip = { .version = 4,
				    .ihl = FRAME_IP4_LEN / 4,
				    .ttl = FRAME_HOPS,
				    .protocol = IPPROTO_TCP,
				    .tot_len = htons((uint16_t)(FRAME_IP4_LEN + tl)) };

		inet_pton(AF_INET, s->src, &ip.saddr);
		inet_pton(AF_INET, s->dst, &ip.daddr);
		ip.check = (uint16_t)~frame_sum((const uint8_t *)&ip, sizeof(ip), 0);
		memcpy(f + ETH_HLEN, &ip, sizeof(ip));
	} else {
		struct ip6_hdr ip6 = { 0 };

		ip6.ip6_vfc = 0x60;
		ip6.ip6_nxt = IPPROTO_TCP;
		ip6.ip6_hlim = FRAME_HOPS;
		ip6.ip6_plen = htons((uint16_t)tl);
		inet_pton(AF_INET6, s->src, &ip6.ip6_src);
		inet_pton(AF_INET6, s->dst, &ip6.ip6_dst);
		memcpy(f + ETH_HLEN, &ip6, sizeof(ip6));
	}
	memcpy(f + l4, &th, sizeof(th));
	f[l4 + FRAME_TCP_FLAGS] = s->flags;
	memset(f + l4 + FRAME_TCP_LEN, s->fill, s->len);
	check = (uint16_t)~frame_sum(f + l4, tl, frame_pseudo_sum(f, s->family, (uint16_t)tl));
	memcpy(f + l4 + offsetof(struct tcphdr, check), &check, 2);
	return l4 + tl + s->pad;
}

#endif
