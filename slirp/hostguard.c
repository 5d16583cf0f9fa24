/* Guest frames addressed to the host's own loopback, or the network's edges, never reach libslirp.
 */
#include <string.h>

#include "hostguard.h"
#include "seg.h"

/*
 * libslirp's disable_host_loopback stops only its own translation of the gateway (10.0.2.2,
 * fd00::2) to 127.0.0.1 and ::1. A frame the guest writes to the tap with the host's loopback
 * itself as destination (127.0.0.0/8, ::1, or 0.0.0.0 and ::, which the host's kernel takes
 * as its own loopback when libslirp connects to them) is opened by libslirp as any other
 * destination: a socket of the host's netns connected to a service that listens on loopback
 * only, another user's too. No guest stack sends such a frame on the wire (those addresses
 * are its own loopback's), so it is dropped here whatever the options: with host loopback
 * allowed, the way to the host's loopback is the gateway's address, as in slirp4netns.
 *
 * Nor does a frame to the slirp network's own network address or its broadcast (10.0.2.0 and
 * 10.0.2.255 by default): no host answers there, yet libslirp opened a host socket for them
 * and sent on by the host's own routes, whatever they name that address. (255.255.255.255
 * goes on: the guest's DHCP asks there.) Nor one to an IPv4-mapped IPv6 address, which is
 * each of those again.
 */

#define ETH_HLEN      14
#define ETH_P_IP_HI   0x08
#define ETH_P_IP_LO   0x00
#define ETH_P_IPV6_HI 0x86
#define ETH_P_IPV6_LO 0xdd
#define IP4_DST_OFF   16
#define IP6_DST_OFF   24
#define IP6_ADDR_LEN  16
#define IP4_LOOPNET   127 /* 127.0.0.0/8 */
#define IP4_THISNET   0	  /* 0.0.0.0/8: "this host" */
#define V4MAPPED_FF   10  /* ::ffff:0:0/96: ten zero bytes, then ff ff */

/* Whether an IPv4 destination's first byte names the host itself: 127.0.0.0/8 or 0.0.0.0/8. */
static bool ip4_is_host_itself(uint8_t first)
{
	return first == IP4_LOOPNET || first == IP4_THISNET;
}

/*
 * Whether an IPv6 destination is the unspecified address (::), the loopback (::1), or an
 * IPv4-mapped one (::ffff:0:0/96): only the first two are the host itself, the third is any
 * IPv4 address in another spelling.
 */
static bool ip6_is_unspec_loopback_or_v4mapped(const uint8_t *a)
{
	static const uint8_t zero[IP6_ADDR_LEN];

	/* :: and ::1 */
	if (!memcmp(a, zero, IP6_ADDR_LEN - 1) && a[IP6_ADDR_LEN - 1] <= 1)
		return true;
	/*
	 * ::ffff:0:0/96, IPv4-mapped: an API's spelling of an IPv4 address, never on the wire. To
	 * libslirp's IPv6 socket it is that IPv4 address, past the IPv4 checks here and libslirp's
	 * own (127.x.y.z, the network's edges, the gateway and its DNS): every one is dropped.
	 */
	return !memcmp(a, zero, V4MAPPED_FF) && a[V4MAPPED_FF] == 0xff &&
	       a[V4MAPPED_FF + 1] == 0xff;
}

/* Whether an IPv4 destination (network order) is @net's own address or its broadcast. */
static bool ip4_is_net_edge(const uint8_t *dst, struct in_addr net, struct in_addr mask)
{
	uint32_t a;

	memcpy(&a, dst, sizeof(a));
	return (a & mask.s_addr) == (net.s_addr & mask.s_addr) &&
	       ((a & ~mask.s_addr) == 0 || (a & ~mask.s_addr) == ~mask.s_addr);
}

/**
 * hostguard_drops() - Whether a guest frame is addressed to the host's own loopback, or to
 * the slirp network's own address or broadcast
 * @frame:	an Ethernet frame from the tap
 * @len:	its length
 * @net:	the slirp network (--cidr)
 * @mask:	its mask
 *
 * Return: true to drop it before libslirp sees it
 */
bool hostguard_drops(const uint8_t *frame, size_t len, struct in_addr net, struct in_addr mask)
{
	if (len < ETH_HLEN)
		return false;
	if (frame[ETH_TYPE_OFF] == ETH_P_IP_HI && frame[ETH_TYPE_OFF + 1] == ETH_P_IP_LO)
		return len >= ETH_HLEN + IP4_HLEN &&
		       (ip4_is_host_itself(frame[ETH_HLEN + IP4_DST_OFF]) ||
			ip4_is_net_edge(frame + ETH_HLEN + IP4_DST_OFF, net, mask));
	if (frame[ETH_TYPE_OFF] == ETH_P_IPV6_HI && frame[ETH_TYPE_OFF + 1] == ETH_P_IPV6_LO)
		return len >= ETH_HLEN + IP6_HLEN &&
		       ip6_is_unspec_loopback_or_v4mapped(frame + ETH_HLEN + IP6_DST_OFF);
	return false;
}
