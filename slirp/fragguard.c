/* IP fragments from the guest never reach libslirp: dropped, counted, logged once a burst. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <string.h>
#include <linux/if_ether.h>

#include "fragguard.h"
#include "log.h"
#include "monoclock.h"
#include "seg.h"
#include "slirp.h"

/*
 * libslirp 4.7's IPv4 reassembly (ip_reass) is unsafe to offer a guest: one 42-byte fragment
 * (offset 8, MF clear, nothing before it) makes it crash the helper, and first fragments with
 * distinct IP IDs are each kept with their payload, with no bound and no socket counted (a
 * guest took the helper to 780 MB in 10 s). On a shared network that is every container's
 * network. So no IPv4 fragment reaches it, as in passt, which does not handle fragments
 * either: the guest's link has an MTU of 65520 and its TCP sets DF, so its own traffic is
 * never fragmented; a datagram larger than the link's MTU is the guest's to fragment, and
 * lost. IPv6 fragments (a Fragment header first) are dropped too: libslirp frees them
 * unread (its ip6_input knows no extension header), so nothing is lost by dropping them here,
 * and they are counted with the rest.
 */

#define IP4_VERSION  4
#define IP6_NXT_FRAG 44 /* IPPROTO_FRAGMENT */

static bool is_fragment(const uint8_t *f, size_t n)
{
	uint16_t type, frag;

	if (n < SLIRP_ETH_HLEN + IP4_HLEN)
		return false;
	memcpy(&type, f + ETH_TYPE_OFF, 2);
	if (type == htons(ETH_P_IP)) {
		if (f[SLIRP_ETH_HLEN] >> 4 != IP4_VERSION)
			return false;
		memcpy(&frag, f + SLIRP_ETH_HLEN + IP4_FRAG_OFF, 2);
		return (ntohs(frag) & (IP_MF | IP_OFFMASK)) != 0;
	}
	if (type == htons(ETH_P_IPV6))
		return n >= SLIRP_ETH_HLEN + IP6_HLEN &&
		       f[SLIRP_ETH_HLEN + IP6_NXT_OFF] == IP6_NXT_FRAG;
	return false;
}

/**
 * fragguard_drops() - Whether a guest frame is an IP fragment, to drop before libslirp
 * @g:		the count of drops
 * @frame:	an Ethernet frame from the tap
 * @len:	its length
 *
 * Return: true to drop it
 */
bool fragguard_drops(struct fragguard *g, const uint8_t *frame, size_t len)
{
	if (!is_fragment(frame, len))
		return false;
	g->dropped++;
	if (burstlog_due(&g->log, mono_ms()))
		log_warn("dropping IP fragments from the guest (%lu dropped so far)", g->dropped);
	return true;
}
