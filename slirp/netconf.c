/* -c/--configure inside the netns, with libnl-route-3: lo and tap up, address, MTU, routes. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <stdio.h>
#include <string.h>

#include "slirp.h"

/*
 * Brings @name up, with @mtu and @mac when given; returns its ifindex in *ret_ifindex. The
 * index comes from an ioctl, not from the kernel's whole description of the link, which
 * rtnl_link_get_kernel() would fetch only for its index: start-up waits on each round trip.
 */
static int link_up(struct nl_sock *sk, const char *name, unsigned mtu, const uint8_t *mac,
		   int *ret_ifindex)
{
	struct rtnl_link *link = NULL, *change = NULL;
	struct nl_addr *lladdr = NULL;
	unsigned ifindex = if_nametoindex(name);
	int err = -ENOMEM;

	if (!ifindex)
		return -ENODEV;
	link = rtnl_link_alloc();
	change = rtnl_link_alloc();
	if (!link || !change)
		goto out;
	rtnl_link_set_ifindex(link, (int)ifindex);
	rtnl_link_set_flags(change, IFF_UP);
	if (mtu)
		rtnl_link_set_mtu(change, mtu);
	if (mac) {
		lladdr = nl_addr_build(AF_LLC, mac, SLIRP_MAC_LEN);
		if (!lladdr)
			goto out;
		rtnl_link_set_addr(change, lladdr);
	}
	err = rtnl_link_change(sk, link, change, 0) < 0 ? -EIO : 0;
	*ret_ifindex = (int)ifindex;
out:
	nl_addr_put(lladdr);
	rtnl_link_put(change);
	rtnl_link_put(link);
	return err;
}

static int addr_add(struct nl_sock *sk, int ifindex, int family, const void *addr, unsigned plen)
{
	struct rtnl_addr *a = rtnl_addr_alloc();
	struct nl_addr *local;
	int err;

	if (!a)
		return -ENOMEM;
	local = nl_addr_build(family, addr,
			      family == AF_INET ? sizeof(struct in_addr) : sizeof(struct in6_addr));
	if (!local) {
		rtnl_addr_put(a);
		return -ENOMEM;
	}
	nl_addr_set_prefixlen(local, (int)plen);
	rtnl_addr_set_ifindex(a, ifindex);
	rtnl_addr_set_local(a, local);
	/* The address is ours alone on a point-to-point link: no need to wait for DAD. */
	if (family == AF_INET6)
		rtnl_addr_set_flags(a, IFA_F_NODAD);
	err = rtnl_addr_add(sk, a, 0) < 0 ? -EIO : 0;
	nl_addr_put(local);
	rtnl_addr_put(a);
	return err;
}

static int default_route(struct nl_sock *sk, int ifindex, int family, const void *gw)
{
	struct rtnl_route *r = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *dst = NULL, *gwaddr = NULL;
	size_t len = family == AF_INET ? sizeof(struct in_addr) : sizeof(struct in6_addr);
	static const uint8_t any[sizeof(struct in6_addr)];
	int err = -ENOMEM;

	if (!r || !nh)
		goto out;
	dst = nl_addr_build(family, any, len);
	gwaddr = nl_addr_build(family, gw, len);
	if (!dst || !gwaddr)
		goto out;
	nl_addr_set_prefixlen(dst, 0);
	rtnl_route_set_family(r, (uint8_t)family);
	rtnl_route_set_dst(r, dst);
	rtnl_route_nh_set_gateway(nh, gwaddr);
	rtnl_route_nh_set_ifindex(nh, ifindex);
	rtnl_route_add_nexthop(r, nh);
	nh = NULL; /* the route owns it now */
	err = rtnl_route_add(sk, r, NLM_F_CREATE | NLM_F_EXCL) < 0 ? -EIO : 0;
out:
	if (nh)
		rtnl_route_nh_free(nh);
	nl_addr_put(dst);
	nl_addr_put(gwaddr);
	rtnl_route_put(r);
	return err;
}

/**
 * netconf_configure() - Configure lo and the tap of the current netns as slirp4netns -c does
 * @cfg:	configuration: tap name, MTU, MAC, CIDR, IPv6
 *
 * lo up; the tap up with the MTU (and MAC), address network+100 and a default route through
 * network+2; with IPv6, fd00::100/64 and a default route through fd00::2 as well.
 *
 * Return: 0 on success, negative errno on failure
 */
int netconf_configure(const struct slirp_cfg *cfg)
{
	struct slirp_addrs a;
	struct nl_sock *sk;
	int err, lo_index, tap_index;

	slirp_addrs_derive(cfg, &a);
	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	if (nl_connect(sk, NETLINK_ROUTE) < 0) {
		err = -EIO;
		goto out;
	}
	if ((err = link_up(sk, "lo", 0, NULL, &lo_index)) ||
	    (err = link_up(sk, cfg->tapname, cfg->mtu, cfg->have_mac ? cfg->mac : NULL,
			   &tap_index)) ||
	    (err = addr_add(sk, tap_index, AF_INET, &a.guest, cfg->prefix)) ||
	    (err = default_route(sk, tap_index, AF_INET, &a.host)))
		goto out;
	if (cfg->enable_ipv6 &&
	    ((err = addr_add(sk, tap_index, AF_INET6, &a.guest6, SLIRP_IPV6_PREFIXLEN)) ||
	     (err = default_route(sk, tap_index, AF_INET6, &a.host6))))
		goto out;
out:
	nl_socket_free(sk);
	return err;
}
