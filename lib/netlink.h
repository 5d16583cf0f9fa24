/* Network configuration over rtnetlink (libnl-route-3): links, addresses, routes, rules. */
#ifndef ROOTLET_NETLINK_H
#define ROOTLET_NETLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nl_sock;

/* A route to every address of its family (prefix 0): a default route, or a whole table's. */
struct netlink_route {
	int family;	 /* AF_INET or AF_INET6 */
	int ifindex;	 /* the nexthop's link */
	const void *gw;	 /* the nexthop's gateway, or NULL for none */
	uint32_t table;	 /* 0: the main table */
	uint8_t type;	 /* 0: unicast */
	bool host_scope; /* RT_SCOPE_HOST, as a local route has */
	bool exist_ok;	 /* the same route there already is success */
};

int netlink_open(struct nl_sock **ret_sk);
void netlink_close(struct nl_sock *sk);
int netlink_link_up(struct nl_sock *sk, int ifindex, unsigned mtu, const uint8_t *mac,
		    size_t mac_len);
int netlink_addr_add(struct nl_sock *sk, int ifindex, int family, const void *addr,
		     unsigned prefix);
int netlink_route_add(struct nl_sock *sk, const struct netlink_route *route);
int netlink_rule_add(struct nl_sock *sk, int family, const void *src, unsigned prefix,
		     const char *iif, uint32_t table, uint32_t prio);

#endif
