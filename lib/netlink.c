/* Network configuration over rtnetlink (libnl-route-3): link up, addresses, routes, rules. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <netlink/route/rule.h>

#include "netlink.h"

/*
 * Every write rootlet makes to a netns's network goes through here, in the calling thread's
 * netns: rootlet-slirp's --configure (tap up, address, default route) and rootlet-portfwd's
 * --source-ip policy routing; links of shared networks (veth pairs, bridges, moving a link
 * into another netns) in netlink_link.c; reading a netns's links, addresses and routes in
 * netlink_read.c. Each call is one request on a socket netlink_open() made; libnl's error
 * codes, which are not errnos, come back as the errno they stand for (netlink_errno()).
 */

/**
 * netlink_errno() - The negative errno a libnl error code stands for
 * @nlerr:	a libnl return value (0 or a negative NLE_*)
 *
 * Return: 0, or a negative errno; -EIO for a code with no errno of its own
 */
int netlink_errno(int nlerr)
{
	static const struct {
		int nle, err;
	} map[] = {
		{ NLE_NOMEM, ENOMEM },
		{ NLE_EXIST, EEXIST },
		{ NLE_INVAL, EINVAL },
		{ NLE_RANGE, ERANGE },
		{ NLE_OPNOTSUPP, EOPNOTSUPP },
		{ NLE_BUSY, EBUSY },
		{ NLE_OBJ_NOTFOUND, ENOENT },
		{ NLE_NODEV, ENODEV },
		{ NLE_PERM, EPERM },
		{ NLE_NOACCESS, EACCES },
		{ NLE_AF_NOSUPPORT, EAFNOSUPPORT },
		{ NLE_BAD_SOCK, EBADF },
		{ NLE_AGAIN, EAGAIN },
	};

	if (nlerr >= 0)
		return 0;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (-nlerr == map[i].nle)
			return -map[i].err;
	return -EIO;
}

static size_t addr_len(int family)
{
	return family == AF_INET ? sizeof(struct in_addr) : sizeof(struct in6_addr);
}

/* An nl_addr of @family at @addr with @prefix, or NULL. */
static struct nl_addr *addr_build(int family, const void *addr, unsigned prefix)
{
	struct nl_addr *a = nl_addr_build(family, addr, addr_len(family));

	if (a)
		nl_addr_set_prefixlen(a, (int)prefix);
	return a;
}

/**
 * netlink_open() - A NETLINK_ROUTE socket in the calling thread's netns
 * @ret_sk:	the socket; netlink_close() it
 *
 * Return: 0 on success, negative errno
 */
int netlink_open(struct nl_sock **ret_sk)
{
	struct nl_sock *sk = nl_socket_alloc();
	int err;

	if (!sk)
		return -ENOMEM;
	if ((err = nl_connect(sk, NETLINK_ROUTE)) < 0) {
		nl_socket_free(sk);
		return netlink_errno(err);
	}
	*ret_sk = sk;
	return 0;
}

/**
 * netlink_close() - Close a socket from netlink_open()
 * @sk:		the socket, or NULL
 */
void netlink_close(struct nl_sock *sk)
{
	if (sk)
		nl_socket_free(sk);
}

/**
 * netlink_link_up() - Bring a link up, setting its MTU and MAC address if given
 * @sk:		from netlink_open()
 * @ifindex:	the link
 * @mtu:	its MTU, or 0 to leave it
 * @mac:	its hardware address, or NULL to leave it
 * @mac_len:	the address's length
 *
 * Return: 0 on success, negative errno
 */
int netlink_link_up(struct nl_sock *sk, int ifindex, unsigned mtu, const uint8_t *mac,
		    size_t mac_len)
{
	struct rtnl_link *link = rtnl_link_alloc(), *change = rtnl_link_alloc();
	struct nl_addr *lladdr = NULL;
	int err = -ENOMEM;

	if (!link || !change)
		goto out;
	rtnl_link_set_ifindex(link, ifindex);
	rtnl_link_set_flags(change, IFF_UP);
	if (mtu)
		rtnl_link_set_mtu(change, mtu);
	if (mac) {
		if (!(lladdr = nl_addr_build(AF_LLC, mac, mac_len)))
			goto out;
		rtnl_link_set_addr(change, lladdr);
	}
	err = netlink_errno(rtnl_link_change(sk, link, change, 0));
out:
	nl_addr_put(lladdr);
	rtnl_link_put(change);
	rtnl_link_put(link);
	return err;
}

/**
 * netlink_addr_add() - Add an address to a link
 * @sk:		from netlink_open()
 * @ifindex:	the link
 * @family:	AF_INET or AF_INET6
 * @addr:	a struct in_addr or in6_addr
 * @prefix:	its prefix length
 *
 * An IPv6 address skips duplicate address detection: rootlet's links are point-to-point (a
 * tap with one peer), where nobody else could hold it.
 *
 * Return: 0 on success, negative errno
 */
int netlink_addr_add(struct nl_sock *sk, int ifindex, int family, const void *addr, unsigned prefix)
{
	struct rtnl_addr *a = rtnl_addr_alloc();
	struct nl_addr *local = addr_build(family, addr, prefix);
	int err = -ENOMEM;

	if (!a || !local)
		goto out;
	rtnl_addr_set_ifindex(a, ifindex);
	rtnl_addr_set_local(a, local);
	if (family == AF_INET6)
		rtnl_addr_set_flags(a, IFA_F_NODAD);
	err = netlink_errno(rtnl_addr_add(sk, a, 0));
out:
	nl_addr_put(local);
	rtnl_addr_put(a);
	return err;
}

/**
 * netlink_route_add() - Add a route to every address of a family (prefix 0)
 * @sk:		from netlink_open()
 * @route:	the route: a default route via a gateway, or a table's local route
 *
 * Return: 0 on success, negative errno
 */
int netlink_route_add(struct nl_sock *sk, const struct netlink_route *route)
{
	static const uint8_t any[sizeof(struct in6_addr)];
	struct rtnl_route *r = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *dst = addr_build(route->family, any, 0), *gw = NULL;
	int err = -ENOMEM;

	if (!r || !nh || !dst ||
	    (route->gw &&
	     !(gw = addr_build(route->family, route->gw, 8 * addr_len(route->family)))))
		goto out;
	rtnl_route_set_family(r, (uint8_t)route->family);
	rtnl_route_set_dst(r, dst);
	if (route->table)
		rtnl_route_set_table(r, route->table);
	if (route->type)
		rtnl_route_set_type(r, route->type);
	if (route->host_scope)
		rtnl_route_set_scope(r, RT_SCOPE_HOST);
	if (gw)
		rtnl_route_nh_set_gateway(nh, gw);
	rtnl_route_nh_set_ifindex(nh, route->ifindex);
	rtnl_route_add_nexthop(r, nh);
	nh = NULL; /* the route owns it now */
	err = rtnl_route_add(sk, r, NLM_F_CREATE | NLM_F_EXCL);
	err = err == -NLE_EXIST && route->exist_ok ? 0 : netlink_errno(err);
out:
	if (nh)
		rtnl_route_nh_free(nh);
	nl_addr_put(dst);
	nl_addr_put(gw);
	rtnl_route_put(r);
	return err;
}

/**
 * netlink_rule_add() - Add a policy routing rule: from @src, in on @iif, look up @table
 * @sk:		from netlink_open()
 * @family:	AF_INET or AF_INET6
 * @src:	the source network's address (struct in_addr or in6_addr)
 * @prefix:	its prefix length
 * @iif:	the incoming link's name ("lo": made in this netns)
 * @table:	the table to look up
 * @prio:	the rule's priority
 *
 * The same rule there already is success: rules outlive the daemons that add them.
 *
 * Return: 0 on success, negative errno
 */
int netlink_rule_add(struct nl_sock *sk, int family, const void *src, unsigned prefix,
		     const char *iif, uint32_t table, uint32_t prio)
{
	struct rtnl_rule *rule = rtnl_rule_alloc();
	struct nl_addr *from = addr_build(family, src, prefix);
	int err = -ENOMEM;

	if (!rule || !from)
		goto out;
	rtnl_rule_set_family(rule, family);
	rtnl_rule_set_prio(rule, prio);
	rtnl_rule_set_src(rule, from);
	rtnl_rule_set_iif(rule, iif);
	rtnl_rule_set_table(rule, table);
	rtnl_rule_set_action(rule, FR_ACT_TO_TBL);
	err = rtnl_rule_add(sk, rule, NLM_F_CREATE | NLM_F_EXCL);
	err = err == -NLE_EXIST ? 0 : netlink_errno(err);
out:
	nl_addr_put(from);
	rtnl_rule_put(rule);
	return err;
}
