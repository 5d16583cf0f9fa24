/* --source-ip: connect inside the netns from the client's own address, and get the replies. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/route.h>
#include <netlink/route/rule.h>
#include <string.h>

#include "portfwd.h"

/*
 * Theory of operation
 *
 * With --source-ip, a relay's socket inside the netns is IP_TRANSPARENT and bound to the
 * outside client's address, and connects to the service on the netns's loopback address. The
 * service answers from loopback to the client's address, which the netns would route out of
 * its default route. One rule turns that around: packets made in the netns (iif lo) from a
 * loopback address look up a table where every address is local, so they come back in to the
 * relay's socket. Loopback-sourced packets never leave a netns anyway, so the rule changes
 * nothing else in it; it stays when the daemon exits, and adding it again is a no-op. This is
 * the policy routing that Cloudflare's mmproxy documents; the netns's own root (the userns
 * the daemon joined) may set it, and the thread keeps only CAP_NET_RAW afterwards, what
 * IP_TRANSPARENT asks for.
 */

#define SRCIP_TABLE	21068 /* "RL": clear of the kernel's tables 253-255 */
#define SRCIP_RULE_PRIO 1000  /* after the local table (0), before main (32766) */

/* The rule: from the loopback net, made here, look up SRCIP_TABLE. */
static int srcip_rule(struct nl_sock *sk, int family)
{
	static const uint8_t lo6[16] = { [15] = 1 };
	const uint32_t lo4 = htonl(INADDR_LOOPBACK);
	struct rtnl_rule *rule = rtnl_rule_alloc();
	struct nl_addr *src;
	int err;

	if (!rule)
		return -ENOMEM;
	src = family == AF_INET ? nl_addr_build(AF_INET, &lo4, sizeof(lo4))
				: nl_addr_build(AF_INET6, lo6, sizeof(lo6));
	if (!src) {
		rtnl_rule_put(rule);
		return -ENOMEM;
	}
	nl_addr_set_prefixlen(src, family == AF_INET ? 8 : 128);
	rtnl_rule_set_family(rule, family);
	rtnl_rule_set_prio(rule, SRCIP_RULE_PRIO);
	rtnl_rule_set_src(rule, src);
	rtnl_rule_set_iif(rule, "lo");
	rtnl_rule_set_table(rule, SRCIP_TABLE);
	rtnl_rule_set_action(rule, FR_ACT_TO_TBL);
	err = rtnl_rule_add(sk, rule, NLM_F_CREATE | NLM_F_EXCL);
	nl_addr_put(src);
	rtnl_rule_put(rule);
	return err == -NLE_EXIST ? 0 : err < 0 ? -EIO : 0;
}

/* The table: every address is local, on lo. */
static int srcip_table(struct nl_sock *sk, int family, int lo_index)
{
	static const uint8_t any[16];
	struct rtnl_route *r = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *dst = NULL;
	int err = -ENOMEM;

	if (!r || !nh)
		goto out;
	dst = nl_addr_build(family, any, family == AF_INET ? 4 : 16);
	if (!dst)
		goto out;
	nl_addr_set_prefixlen(dst, 0);
	rtnl_route_set_family(r, (uint8_t)family);
	rtnl_route_set_table(r, SRCIP_TABLE);
	rtnl_route_set_type(r, RTN_LOCAL);
	rtnl_route_set_scope(r, RT_SCOPE_HOST);
	rtnl_route_set_dst(r, dst);
	rtnl_route_nh_set_ifindex(nh, lo_index);
	rtnl_route_add_nexthop(r, nh);
	nh = NULL;
	err = rtnl_route_add(sk, r, NLM_F_CREATE | NLM_F_EXCL);
	err = err == -NLE_EXIST ? 0 : err < 0 ? -EIO : 0;
out:
	nl_addr_put(dst);
	if (nh)
		rtnl_route_nh_free(nh);
	rtnl_route_put(r);
	return err;
}

/**
 * srcip_setup() - Policy routing for transparent relays, in the calling thread's netns
 * @has4:	set if IPv4 relays can keep the client's address
 * @has6:	set if IPv6 relays can
 *
 * A family the netns lacks (IPv6 disabled) is left out, not an error.
 *
 * Return: 0 on success, negative errno on failure
 */
int srcip_setup(bool *has4, bool *has6)
{
	static const int families[] = { AF_INET, AF_INET6 };
	struct nl_sock *sk = nl_socket_alloc();
	int err = 0, lo_index;
	bool *has[] = { has4, has6 };

	*has4 = *has6 = false;
	if (!sk)
		return -ENOMEM;
	if (nl_connect(sk, NETLINK_ROUTE) < 0) {
		err = -EIO;
		goto out;
	}
	lo_index = (int)if_nametoindex("lo");
	if (!lo_index) {
		err = -ENODEV;
		goto out;
	}
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		int e = srcip_table(sk, families[i], lo_index);

		if (!e)
			e = srcip_rule(sk, families[i]);
		if (!e)
			*has[i] = true;
		else if (families[i] == AF_INET)
			err = e;
	}
out:
	nl_socket_free(sk);
	return err;
}
