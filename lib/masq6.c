/* The split of masqueraded IPv6 source ports among a shared network's containers (masq6.h). */
#include <arpa/inet.h>

#include "masq6.h"

/**
 * masq6_split_init() - The split for a network's IPv4 subnet
 * @s:		filled
 * @net:	the subnet's network address
 * @prefix:	its length, MASQ6_PREFIX_MIN to MASQ6_PREFIX_MAX
 */
void masq6_split_init(struct masq6_split *s, struct in_addr net, unsigned prefix)
{
	uint64_t span = 1ULL << (32 - prefix);

	s->mask = (uint32_t)(~0ULL << (32 - prefix));
	s->net = ntohl(net.s_addr) & s->mask;
	s->slots = span < MASQ6_SLOTS_MAX ? (unsigned)span : MASQ6_SLOTS_MAX;
	s->size = (MASQ6_PORT_END - MASQ6_PORT_BASE) / s->slots;
}

/**
 * masq6_in_subnet() - Whether @ip is in the subnet
 * @s:		the split
 * @ip:		an IPv4 address
 *
 * Return: true if it is
 */
bool masq6_in_subnet(const struct masq6_split *s, struct in_addr ip)
{
	return (ntohl(ip.s_addr) & s->mask) == s->net;
}

static unsigned slot_of(const struct masq6_split *s, struct in_addr ip)
{
	return (ntohl(ip.s_addr) & ~s->mask) % s->slots;
}

/**
 * masq6_ports() - The source ports a container's masqueraded IPv6 leaves with
 * @s:		the split
 * @ip:		the container's IPv4 address, in the subnet
 * @lo:		the first
 * @hi:		the last
 */
void masq6_ports(const struct masq6_split *s, struct in_addr ip, uint16_t *lo, uint16_t *hi)
{
	unsigned first = MASQ6_PORT_BASE + slot_of(s, ip) * s->size;

	*lo = (uint16_t)first;
	*hi = (uint16_t)(first + s->size - 1);
}

/**
 * masq6_owner() - Whose share a source address of the subnet counts in: its range's first
 * address (itself unless the subnet is larger than the split)
 * @s:		the split
 * @ip:		an IPv4 address in the subnet
 *
 * Return: the address
 */
struct in_addr masq6_owner(const struct masq6_split *s, struct in_addr ip)
{
	return (struct in_addr){ .s_addr = htonl(s->net | slot_of(s, ip)) };
}

/**
 * masq6_port_owner() - Whose share a masqueraded IPv6 source port counts in
 * @s:		the split
 * @port:	the port
 * @ret:	the owner, as masq6_owner() gives it
 *
 * Return: false for a port of no container's range (the infra's own, or past the last range)
 */
bool masq6_port_owner(const struct masq6_split *s, uint16_t port, struct in_addr *ret)
{
	unsigned slot;

	if (port < MASQ6_PORT_BASE)
		return false;
	slot = (port - MASQ6_PORT_BASE) / s->size;
	if (slot >= s->slots)
		return false;
	ret->s_addr = htonl(s->net | slot);
	return true;
}
