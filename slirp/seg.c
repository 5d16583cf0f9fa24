/* TCP segments in the Ethernet frames between libslirp and the guest: where their parts are. */
#include <arpa/inet.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <string.h>
#include <linux/if_ether.h>

#include "seg.h"
#include "slirp.h"

#define IP_VERSION_SHIFT 4 /* the version is the first byte's high nibble */
#define IP6_VERSION	 6

/**
 * seg_parse() - Whether @f is a TCP segment over IPv4 (no options, unfragmented) or IPv6 (no
 * extension header, version 6: libslirp drops any other), and where its parts are
 * @f:		an Ethernet frame
 * @n:		its length
 * @s:		the segment's layout, filled in when it is one
 *
 * Return: true if it is one
 */
bool seg_parse(const uint8_t *f, size_t n, struct seg *s)
{
	uint16_t type;
	size_t tcp_len;

	if (n < SLIRP_ETH_HLEN)
		return false;
	memcpy(&type, f + ETH_TYPE_OFF, 2);
	s->l3 = SLIRP_ETH_HLEN;
	if (type == htons(ETH_P_IP)) {
		uint16_t frag, tot;

		if (n < s->l3 + IP4_HLEN || f[s->l3] != 0x45 ||
		    f[s->l3 + IP4_PROTO_OFF] != IPPROTO_TCP)
			return false; /* IPv4 without options only */
		memcpy(&frag, f + s->l3 + IP4_FRAG_OFF, 2);
		memcpy(&tot, f + s->l3 + IP4_TOTLEN_OFF, 2);
		if (ntohs(frag) & (IP_MF | IP_OFFMASK) || ntohs(tot) != n - s->l3)
			return false;
		s->family = AF_INET;
		s->l4 = s->l3 + IP4_HLEN;
	} else if (type == htons(ETH_P_IPV6)) {
		uint16_t plen;

		if (n < s->l3 + IP6_HLEN || f[s->l3] >> IP_VERSION_SHIFT != IP6_VERSION ||
		    f[s->l3 + IP6_NXT_OFF] != IPPROTO_TCP)
			return false;
		memcpy(&plen, f + s->l3 + IP6_PLEN_OFF, 2);
		if (ntohs(plen) != n - s->l3 - IP6_HLEN)
			return false;
		s->family = AF_INET6;
		s->l4 = s->l3 + IP6_HLEN;
	} else {
		return false;
	}
	if (n < s->l4 + sizeof(struct tcphdr))
		return false;
	tcp_len = (size_t)(f[s->l4 + TCP_DOFF_OFF] >> 4) * 4; /* in 32-bit words */
	s->flags = f[s->l4 + TCP_FLAGS_OFF];
	if (tcp_len < sizeof(struct tcphdr) || n < s->l4 + tcp_len)
		return false;
	s->payload = s->l4 + tcp_len;
	s->len = n - s->payload;
	memcpy(&s->seq, f + s->l4 + TCP_SEQ_OFF, 4);
	s->seq = ntohl(s->seq);
	memcpy(&s->ack, f + s->l4 + TCP_ACKSEQ_OFF, 4);
	s->ack = ntohl(s->ack);
	return true;
}
