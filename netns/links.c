/* Interfaces, addresses and routes of the current netns, read through lib/netlink, as JSON. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>

#include "strfmt.h"
#include "netlink.h"
#include "netns.h"

#define NL_TEXT_MAX 128

/* "10.0.2.100/24", with the prefix length even where nl_addr2str() leaves a full one out. */
static const char *addr_text(struct nl_addr *addr, char *buf, size_t len)
{
	size_t used;

	nl_addr2str(addr, buf, len);
	used = strlen(buf);
	/* Shown without its length when that does not fit: never with a cut one. */
	if (!strchr(buf, '/') &&
	    str_fmt(buf + used, len - used, "/%u", nl_addr_get_prefixlen(addr)))
		buf[used] = '\0';
	return buf;
}

static json_t *links_addresses(struct nl_cache *addrs, int ifindex)
{
	json_t *arr = json_array();
	char buf[NL_TEXT_MAX];

	for (struct nl_object *o = nl_cache_get_first(addrs); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		struct nl_addr *local = rtnl_addr_get_local(a);

		if (rtnl_addr_get_ifindex(a) != ifindex || !local)
			continue;
		json_array_append_new(
			arr, json_pack("{s:s, s:s}", "family",
				       rtnl_addr_get_family(a) == AF_INET6 ? "inet6" : "inet",
				       "address", addr_text(local, buf, sizeof(buf))));
	}
	return arr;
}

static json_t *links_interfaces(struct nl_cache *links, struct nl_cache *addrs)
{
	json_t *arr = json_array();
	char flags[NL_TEXT_MAX], state[NL_TEXT_MAX];

	for (struct nl_object *o = nl_cache_get_first(links); o; o = nl_cache_get_next(o)) {
		struct rtnl_link *l = (struct rtnl_link *)o;
		int ifindex = rtnl_link_get_ifindex(l);

		rtnl_link_flags2str(rtnl_link_get_flags(l), flags, sizeof(flags));
		rtnl_link_operstate2str(rtnl_link_get_operstate(l), state, sizeof(state));
		json_array_append_new(arr,
				      json_pack("{s:i, s:s, s:s, s:i, s:s, s:o}", "index", ifindex,
						"name", rtnl_link_get_name(l), "flags", flags,
						"mtu", (int)rtnl_link_get_mtu(l), "state", state,
						"addresses", links_addresses(addrs, ifindex)));
	}
	return arr;
}

static json_t *links_routes(struct nl_cache *routes, struct nl_cache *links)
{
	json_t *arr = json_array();
	char dst[NL_TEXT_MAX], gw[NL_TEXT_MAX], dev[NL_TEXT_MAX];

	for (struct nl_object *o = nl_cache_get_first(routes); o; o = nl_cache_get_next(o)) {
		struct rtnl_route *r = (struct rtnl_route *)o;
		struct rtnl_nexthop *nh;
		struct nl_addr *d = rtnl_route_get_dst(r);
		bool has_gw = false;

		/* As `ip route` does: the main table only, not the kernel's local table. */
		if (rtnl_route_get_table(r) != RT_TABLE_MAIN)
			continue;
		if (!d || nl_addr_get_prefixlen(d) == 0)
			snprintf(dst, sizeof(dst), "default");
		else
			nl_addr2str(d, dst, sizeof(dst));
		dev[0] = '\0';
		if (rtnl_route_get_nnexthops(r) > 0) {
			nh = rtnl_route_nexthop_n(r, 0);
			if (rtnl_route_nh_get_gateway(nh)) {
				nl_addr2str(rtnl_route_nh_get_gateway(nh), gw, sizeof(gw));
				has_gw = true;
			}
			rtnl_link_i2name(links, rtnl_route_nh_get_ifindex(nh), dev, sizeof(dev));
		}
		json_array_append_new(
			arr, json_pack("{s:s, s:s, s:s?, s:s}", "family",
				       rtnl_route_get_family(r) == AF_INET6 ? "inet6" : "inet",
				       "dst", dst, "gateway", has_gw ? gw : NULL, "dev", dev));
	}
	return arr;
}

/**
 * links_read() - Read interfaces (with addresses) and main-table routes of the current netns
 * @ret_interfaces:	set to a JSON array of interfaces
 * @ret_routes:		set to a JSON array of routes
 *
 * Return: 0 on success, negative errno on failure
 */
int links_read(json_t **ret_interfaces, json_t **ret_routes)
{
	struct netlink_view v;
	struct nl_sock *sk;
	int err;

	if ((err = netlink_open(&sk)))
		return err;
	if (!(err = netlink_view_read(sk, &v))) {
		*ret_interfaces = links_interfaces(v.links, v.addrs);
		*ret_routes = links_routes(v.routes, v.links);
		netlink_view_free(&v);
	}
	netlink_close(sk);
	return err;
}
