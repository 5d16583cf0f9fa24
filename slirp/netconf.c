/* -c/--configure inside the netns, through lib/netlink: lo and tap up, address, MTU, routes. */
#include <errno.h>
#include <net/if.h>
#include <sys/socket.h>

#include "netlink.h"
#include "slirp.h"

/*
 * Brings @name up, with @mtu and @mac when given; returns its ifindex in *ret_ifindex. The
 * index comes from an ioctl, not from the kernel's whole description of the link, which
 * rtnl_link_get_kernel() would fetch only for its index: start-up waits on each round trip.
 */
static int link_up(struct nl_sock *sk, const char *name, unsigned mtu, const uint8_t *mac,
		   int *ret_ifindex)
{
	unsigned ifindex = if_nametoindex(name);

	if (!ifindex)
		return -ENODEV;
	*ret_ifindex = (int)ifindex;
	return netlink_link_up(sk, (int)ifindex, mtu, mac, mac ? SLIRP_MAC_LEN : 0);
}

/* The default route of @family through @gw on the tap. */
static int default_route(struct nl_sock *sk, int ifindex, int family, const void *gw)
{
	const struct netlink_route r = { .family = family, .ifindex = ifindex, .gw = gw };

	return netlink_route_add(sk, &r);
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
	if ((err = netlink_open(&sk)))
		return err;
	if ((err = link_up(sk, "lo", 0, NULL, &lo_index)) ||
	    (err = link_up(sk, cfg->tapname, cfg->mtu, cfg->have_mac ? cfg->mac : NULL,
			   &tap_index)) ||
	    (err = netlink_addr_add(sk, tap_index, AF_INET, &a.guest, cfg->prefix)) ||
	    (err = default_route(sk, tap_index, AF_INET, &a.host)))
		goto out;
	if (cfg->enable_ipv6 &&
	    ((err = netlink_addr_add(sk, tap_index, AF_INET6, &a.guest6, SLIRP_PREFIX6)) ||
	     (err = default_route(sk, tap_index, AF_INET6, &a.host6))))
		goto out;
out:
	netlink_close(sk);
	return err;
}
