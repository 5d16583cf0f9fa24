/* TCP segments in the Ethernet frames between libslirp and the guest: where their parts are. */
#ifndef ROOTLET_SLIRP_SEG_H
#define ROOTLET_SLIRP_SEG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ETH_TYPE_OFF 12
/* Offsets into the IP headers: frames are read by offset, their headers being unaligned */
#define IP4_HLEN       20
#define IP4_TOTLEN_OFF 2
#define IP4_FRAG_OFF   6
#define IP4_PROTO_OFF  9
#define IP4_CSUM_OFF   10
#define IP6_HLEN       40
#define IP6_PLEN_OFF   4
#define IP6_NXT_OFF    6
/* ... and of source and destination address, together */
#define IP4_ADDRS_OFF 12
#define IP4_ADDRS_LEN 8
#define IP6_ADDRS_OFF 8
#define IP6_ADDRS_LEN 32
/* Offsets into the TCP header */
#define TCP_PORTS_LEN	4
#define TCP_SEQ_OFF	4
#define TCP_ACKSEQ_OFF	8
#define TCP_ACKSEQ_DOFF 5 /* the acknowledgement number and the data offset byte */
#define TCP_DOFF_OFF	12
#define TCP_FLAGS_OFF	13
#define TCP_WINDOW_OFF	14
#define TCP_CSUM_OFF	16
#define TCP_HLEN_MAX	60
#define TCP_FIN		0x01
#define TCP_SYN		0x02
#define TCP_RST		0x04
#define TCP_PSH		0x08
#define TCP_ACK		0x10

/* Where a TCP segment's headers are, and what it carries. */
struct seg {
	int family;
	size_t l3;	/* IP header offset */
	size_t l4;	/* TCP header offset */
	size_t payload; /* payload offset */
	size_t len;	/* payload length */
	uint32_t seq;
	uint32_t ack;
	uint8_t flags;
};

bool seg_parse(const uint8_t *f, size_t n, struct seg *s);

#endif
