/* How a shared network's infra splits the source ports of its containers' masqueraded IPv6
 * among them, so that rootlet-slirp can tell them apart behind its one guest address. */
#ifndef ROOTLET_MASQ6_H
#define ROOTLET_MASQ6_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * The fixed split both sides know (rootlet-network writes it into the masquerade rules,
 * rootlet-slirp --masq6-subnet counts by it): ports MASQ6_PORT_BASE..65535 are cut into
 * `slots` equal ranges, one for each host number of the network's IPv4 subnet (the whole
 * subnet, network and broadcast addresses too), at most MASQ6_SLOTS_MAX; a container whose
 * IPv4 host number is H has range H mod slots. The infra's own IPv6 takes
 * MASQ6_PORT_INFRA_LO..MASQ6_PORT_INFRA_HI. On a subnet larger than a /26, containers whose
 * host numbers are equal modulo 64 share one range, and rootlet-slirp counts them as one.
 *
 * Why 64: a range bounds a container's IPv6 connections to one destination (address and
 * port) at once, and those lately closed (conntrack keeps a closed one's tuple a while): 992
 * ports is more than a container's share of rootlet-slirp's sockets at its default limits
 * (at most 800), so it meets its share first. 256 ranges (248 ports) left a /24 without
 * shared ranges, but a container's 249th connection to one destination waited for ever.
 */
#define MASQ6_PORT_INFRA_LO 1024
#define MASQ6_PORT_INFRA_HI 2047
#define MASQ6_PORT_BASE	    2048
#define MASQ6_PORT_END	    65536 /* one past the last port */
#define MASQ6_SLOTS_MAX	    64	  /* 992 ports each */
#define MASQ6_PREFIX_MIN    8	  /* what rootlet-network's subnets may be */
#define MASQ6_PREFIX_MAX    30

/* A network's IPv4 subnet and its split. */
struct masq6_split {
	uint32_t net;	/* host order */
	uint32_t mask;	/* host order */
	unsigned slots; /* ranges */
	unsigned size;	/* ports in each */
};

void masq6_split_init(struct masq6_split *s, struct in_addr net, unsigned prefix);
bool masq6_in_subnet(const struct masq6_split *s, struct in_addr ip);
void masq6_ports(const struct masq6_split *s, struct in_addr ip, uint16_t *lo, uint16_t *hi);
struct in_addr masq6_owner(const struct masq6_split *s, struct in_addr ip);
bool masq6_port_owner(const struct masq6_split *s, uint16_t port, struct in_addr *ret);

#endif
