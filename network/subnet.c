/* Subnets of shared networks: parsing, overlaps, and picking one that is free. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/route/route.h>

#include "netlink.h"
#include "network.h"
#include "slirpnet.h"

/*
 * Without --subnet a network takes the first 10.89.N.0/24 (as podman numbers its own networks)
 * that overlaps no route of the host, no other rootlet network and not slirp's 10.0.2.0/24;
 * with --ipv6 and no --subnet6, the first fd89:0:0:N::/64 that no other network has and that
 * is not slirp's fd00::/64.
 */
#define PICK4_BASE   "10.89.0.0"
#define PICK4_COUNT  256
#define PICK6_BASE   "fd89::"
#define PICK6_COUNT  65536
#define PICK4_PREFIX 24
#define PICK6_PREFIX 64

static uint32_t mask4(unsigned prefix)
{
	return prefix ? ~0U << (32 - prefix) : 0;
}

/* Splits "ADDR/PREFIX" at the slash, into @addr (of @len bytes) and the prefix length. */
static int split(const char *text, char *addr, size_t len, unsigned max, unsigned *ret_prefix)
{
	const char *slash = strchr(text, '/');
	char *end;
	unsigned long p;

	if (!slash || (size_t)(slash - text) >= len || !slash[1])
		return -EINVAL;
	memcpy(addr, text, (size_t)(slash - text));
	addr[slash - text] = '\0';
	/* Digits only, no leading zero: "/024" is no prefix length. */
	if (strspn(slash + 1, "0123456789") != strlen(slash + 1) || (slash[1] == '0' && slash[2]))
		return -EINVAL;
	errno = 0;
	p = strtoul(slash + 1, &end, 10);
	if (errno || *end || p > max)
		return -EINVAL;
	*ret_prefix = (unsigned)p;
	return 0;
}

/**
 * subnet_parse4() - Parse an IPv4 subnet "10.89.3.0/24": a network address, /8 to /30
 * @text:	the text
 * @ret_net:	the network address
 * @ret_prefix:	its prefix length
 * @e:		why it was refused
 *
 * Return: 0, or -EINVAL
 */
int subnet_parse4(const char *text, struct in_addr *ret_net, unsigned *ret_prefix, struct err *e)
{
	char addr[INET_ADDRSTRLEN];
	struct in_addr net;
	unsigned prefix;

	if (split(text, addr, sizeof(addr), 32, &prefix) || inet_pton(AF_INET, addr, &net) != 1)
		return err_make(e, -EINVAL, "'%s' is not ADDRESS/PREFIX (IPv4)", text);
	if (prefix < NET_PREFIX_MIN || prefix > NET_PREFIX_MAX)
		return err_make(e, -EINVAL, "'%s': the prefix must be %d to %d", text,
				NET_PREFIX_MIN, NET_PREFIX_MAX);
	if (ntohl(net.s_addr) & ~mask4(prefix))
		return err_make(e, -EINVAL, "'%s' is not a network address (host bits set)", text);
	*ret_net = net;
	*ret_prefix = prefix;
	return 0;
}

static bool host_bits6(const struct in6_addr *a, unsigned prefix)
{
	for (unsigned bit = prefix; bit < 128; bit++)
		if (a->s6_addr[bit / 8] & (0x80 >> (bit % 8)))
			return true;
	return false;
}

/**
 * subnet_parse6() - Parse an IPv6 subnet "fd89:0:0:3::/64": a network address, /48 to /120
 * @text:	the text
 * @ret_net:	the network address
 * @ret_prefix:	its prefix length
 * @e:		why it was refused
 *
 * Return: 0, or -EINVAL
 */
int subnet_parse6(const char *text, struct in6_addr *ret_net, unsigned *ret_prefix, struct err *e)
{
	char addr[INET6_ADDRSTRLEN];
	struct in6_addr net;
	unsigned prefix;

	if (split(text, addr, sizeof(addr), 128, &prefix) || inet_pton(AF_INET6, addr, &net) != 1)
		return err_make(e, -EINVAL, "'%s' is not ADDRESS/PREFIX (IPv6)", text);
	if (prefix < NET_PREFIX6_MIN || prefix > NET_PREFIX6_MAX)
		return err_make(e, -EINVAL, "'%s': the prefix must be %d to %d", text,
				NET_PREFIX6_MIN, NET_PREFIX6_MAX);
	if (host_bits6(&net, prefix))
		return err_make(e, -EINVAL, "'%s' is not a network address (host bits set)", text);
	*ret_net = net;
	*ret_prefix = prefix;
	return 0;
}

/**
 * subnet_overlap4() - Whether two IPv4 subnets share an address
 * @a:		one network
 * @pa:		its prefix length
 * @b:		the other
 * @pb:		its prefix length
 *
 * Return: true if so
 */
bool subnet_overlap4(struct in_addr a, unsigned pa, struct in_addr b, unsigned pb)
{
	uint32_t m = mask4(pa < pb ? pa : pb);

	return (ntohl(a.s_addr) & m) == (ntohl(b.s_addr) & m);
}

/**
 * subnet_overlap6() - Whether two IPv6 subnets share an address
 * @a:		one network
 * @pa:		its prefix length
 * @b:		the other
 * @pb:		its prefix length
 *
 * Return: true if so
 */
bool subnet_overlap6(const struct in6_addr *a, unsigned pa, const struct in6_addr *b, unsigned pb)
{
	unsigned p = pa < pb ? pa : pb;

	for (unsigned bit = 0; bit < p; bit++) {
		uint8_t m = 0x80 >> (bit % 8);

		if ((a->s6_addr[bit / 8] & m) != (b->s6_addr[bit / 8] & m))
			return false;
	}
	return true;
}

/**
 * subnet_contains4() - Whether @addr is a host address of the subnet (not its network or
 * broadcast address)
 * @net:	the network
 * @prefix:	its prefix length
 * @addr:	the address
 *
 * Return: true if so
 */
bool subnet_contains4(struct in_addr net, unsigned prefix, struct in_addr addr)
{
	uint32_t a = ntohl(addr.s_addr), n = ntohl(net.s_addr), m = mask4(prefix);

	return (a & m) == n && a != n && a != (n | ~m);
}

/**
 * subnet_slirp_overlap4() - Whether an IPv4 subnet meets slirp's 10.0.2.0/24, which the
 * network's own rootlet-slirp uses
 * @net:	the network
 * @prefix:	its prefix length
 *
 * Return: true if so
 */
bool subnet_slirp_overlap4(struct in_addr net, unsigned prefix)
{
	struct in_addr slirp;

	inet_pton(AF_INET, SLIRP_NET4, &slirp);
	return subnet_overlap4(net, prefix, slirp, SLIRP_PREFIX4);
}

/**
 * subnet_slirp_overlap6() - Whether an IPv6 subnet meets slirp's fd00::/64
 * @net:	the network
 * @prefix:	its prefix length
 *
 * Return: true if so
 */
bool subnet_slirp_overlap6(const struct in6_addr *net, unsigned prefix)
{
	struct in6_addr slirp;

	inet_pton(AF_INET6, SLIRP_NET6, &slirp);
	return subnet_overlap6(net, prefix, &slirp, SLIRP_PREFIX6);
}

/* Ranges no container can use as its subnet: what each is, for the refusal. */
static const struct {
	const char *net;
	unsigned prefix;
	const char *what;
} reserved4[] = {
	{ "0.0.0.0", 8, "0.0.0.0/8, 'this network'" },
	{ "127.0.0.0", 8,
	  "127.0.0.0/8, loopback: the gateway and DNS would be the container's own" },
	{ "169.254.0.0", 16, "169.254.0.0/16, link-local" },
	{ "224.0.0.0", 4, "224.0.0.0/4, multicast" },
	{ "240.0.0.0", 4, "240.0.0.0/4, reserved, with the broadcast address 255.255.255.255" },
};

static const struct {
	const char *net;
	unsigned prefix;
	const char *what;
} reserved6[] = {
	{ "::", 127, "::/127, the unspecified address and ::1, loopback" },
	{ "::ffff:0:0", 96, "::ffff:0:0/96, IPv4-mapped addresses" },
	/* The kernel takes ::a.b.c.d for sit's IPv4-compatible tunnel addresses (RFC 4291:
	 * deprecated), and ::/96 holds ::1 */
	{ "::", 96, "::/96, IPv4-compatible addresses (deprecated)" },
	/* Meant for a NAT64 translator (RFC 6052, RFC 8215): a resolver's DNS64 answers there. */
	{ "64:ff9b::", 96, "64:ff9b::/96, NAT64's well-known prefix" },
	{ "64:ff9b:1::", 48, "64:ff9b:1::/48, NAT64's local-use prefix" },

	{ "fe80::", 10, "fe80::/10, link-local" },
	{ "ff00::", 8, "ff00::/8, multicast" },
};

/**
 * subnet_reserved4() - What an IPv4 subnet meets that no container can use: loopback,
 * multicast, link-local, 0.0.0.0/8, 240.0.0.0/4 (and its broadcast address)
 * @net:	the network
 * @prefix:	its prefix length
 *
 * Return: the range met, in words, or NULL when none
 */
const char *subnet_reserved4(struct in_addr net, unsigned prefix)
{
	for (size_t i = 0; i < sizeof(reserved4) / sizeof(reserved4[0]); i++) {
		struct in_addr r;

		inet_pton(AF_INET, reserved4[i].net, &r);
		if (subnet_overlap4(net, prefix, r, reserved4[i].prefix))
			return reserved4[i].what;
	}
	return NULL;
}

/**
 * subnet_reserved6() - What an IPv6 subnet meets that no container can use: ::1 (and ::),
 * IPv4-mapped and IPv4-compatible addresses, NAT64's prefixes, link-local fe80::/10,
 * multicast ff00::/8. The deprecated site-local fec0::/10 works (RFC 3879: unicast as any
 * other; the kernel routes it, slirp's masquerade rewrites it on the way out): it is taken.
 * @net:	the network
 * @prefix:	its prefix length
 *
 * Return: the range met, in words, or NULL when none
 */
const char *subnet_reserved6(const struct in6_addr *net, unsigned prefix)
{
	for (size_t i = 0; i < sizeof(reserved6) / sizeof(reserved6[0]); i++) {
		struct in6_addr r;

		inet_pton(AF_INET6, reserved6[i].net, &r);
		if (subnet_overlap6(net, prefix, &r, reserved6[i].prefix))
			return reserved6[i].what;
	}
	return NULL;
}

/**
 * subnet_pick4() - The first 10.89.N.0/24 that overlaps nothing taken, nor slirp's range
 * @taken:	subnets in use (host routes, other networks)
 * @n:		how many
 * @ret:	the network address; its prefix is 24
 *
 * Return: 0, or -ENOSPC when all 256 are taken
 */
int subnet_pick4(const struct subnet4 *taken, size_t n, struct in_addr *ret)
{
	struct in_addr base, cand;

	inet_pton(AF_INET, PICK4_BASE, &base);
	for (uint32_t i = 0; i < PICK4_COUNT; i++) {
		bool busy = false;

		cand.s_addr = htonl(ntohl(base.s_addr) + (i << (32 - PICK4_PREFIX)));
		busy = subnet_slirp_overlap4(cand, PICK4_PREFIX);
		for (size_t k = 0; k < n && !busy; k++)
			busy = subnet_overlap4(cand, PICK4_PREFIX, taken[k].net, taken[k].prefix);
		if (!busy) {
			*ret = cand;
			return 0;
		}
	}
	return -ENOSPC;
}

/**
 * subnet_pick6() - The first fd89:0:0:N::/64 that overlaps nothing taken, nor slirp's range
 * @taken:	subnets of other networks
 * @n:		how many
 * @ret:	the network address; its prefix is 64
 *
 * Return: 0, or -ENOSPC
 */
int subnet_pick6(const struct subnet6 *taken, size_t n, struct in6_addr *ret)
{
	struct in6_addr cand;

	inet_pton(AF_INET6, PICK6_BASE, &cand);
	for (uint32_t i = 0; i < PICK6_COUNT; i++) {
		bool busy;

		cand.s6_addr[6] = (uint8_t)(i >> 8);
		cand.s6_addr[7] = (uint8_t)i;
		busy = subnet_slirp_overlap6(&cand, PICK6_PREFIX);
		for (size_t k = 0; k < n && !busy; k++)
			busy = subnet_overlap6(&cand, PICK6_PREFIX, &taken[k].net, taken[k].prefix);
		if (!busy) {
			*ret = cand;
			return 0;
		}
	}
	return -ENOSPC;
}

/**
 * subnet_host_routes() - The IPv4 destinations the host routes to (every table but a default
 * route's 0.0.0.0/0), read through lib/netlink in the caller's netns
 * @ret:	a malloc()ed array
 * @ret_n:	its length
 *
 * Return: 0, or a negative errno
 */
int subnet_host_routes(struct subnet4 **ret, size_t *ret_n)
{
	struct netlink_view v;
	struct nl_sock *sk;
	struct subnet4 *out = NULL;
	size_t n = 0;
	int err;

	if ((err = netlink_open(&sk)))
		return err;
	if ((err = netlink_view_read(sk, &v))) {
		netlink_close(sk);
		return err;
	}
	for (struct nl_object *o = nl_cache_get_first(v.routes); o; o = nl_cache_get_next(o)) {
		struct rtnl_route *r = (struct rtnl_route *)o;
		struct nl_addr *d = rtnl_route_get_dst(r);
		struct subnet4 *grown;

		if (rtnl_route_get_family(r) != AF_INET || !d || !nl_addr_get_prefixlen(d) ||
		    nl_addr_get_len(d) != sizeof(struct in_addr))
			continue;
		if (!(grown = realloc(out, (n + 1) * sizeof(*out)))) {
			err = -ENOMEM;
			break;
		}
		out = grown;
		memcpy(&out[n].net, nl_addr_get_binary_addr(d), sizeof(struct in_addr));
		out[n++].prefix = (unsigned)nl_addr_get_prefixlen(d);
	}
	netlink_view_free(&v);
	netlink_close(sk);
	if (err) {
		free(out);
		return err;
	}
	*ret = out;
	*ret_n = n;
	return 0;
}
