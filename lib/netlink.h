/* Network configuration over rtnetlink (libnl-route-3): links, addresses, routes, rules. */
#ifndef ROOTLET_NETLINK_H
#define ROOTLET_NETLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nl_sock;
struct nl_cache;

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

int netlink_errno(int nlerr);
int netlink_open(struct nl_sock **ret_sk);
void netlink_close(struct nl_sock *sk);
int netlink_link_up(struct nl_sock *sk, int ifindex, unsigned mtu, const uint8_t *mac,
		    size_t mac_len);
int netlink_addr_add(struct nl_sock *sk, int ifindex, int family, const void *addr,
		     unsigned prefix);
int netlink_route_add(struct nl_sock *sk, const struct netlink_route *route);
int netlink_rule_add(struct nl_sock *sk, int family, const void *src, unsigned prefix,
		     const char *iif, uint32_t table, uint32_t prio);

/* Links of shared networks (netlink_link.c). */
int netlink_link_index(struct nl_sock *sk, const char *name, int *ret_ifindex);
int netlink_link_down(struct nl_sock *sk, int ifindex);
int netlink_link_del(struct nl_sock *sk, int ifindex);
#define NETLINK_MAC_LEN 6 /* an Ethernet address */

/* A veth pair as netlink_veth_add() makes it, all in one request. */
struct netlink_veth {
	const char *name;	 /* this end, made here */
	const char *peer;	 /* the other end's name ... */
	int peer_ns_fd;		 /* ... in the netns of this fd, or -1 for this one */
	int master;		 /* this end's bridge, or 0 */
	unsigned mtu;		 /* both ends' MTU, or 0 for the kernel's */
	const uint8_t *peer_mac; /* the other end's MAC (6 bytes), or NULL for a random one */
	bool up;		 /* this end up from the start (the peer cannot be: libnl's
				    request with a peer's flags fails, "Unspecific failure") */
};
int netlink_veth_add(struct nl_sock *sk, const struct netlink_veth *v);
int netlink_bridge_add(struct nl_sock *sk, const char *name, const uint8_t *mac);
int netlink_bridge_set_options(struct nl_sock *sk, int ifindex);
int netlink_link_set_master(struct nl_sock *sk, int ifindex, int master_ifindex);
int netlink_link_move(struct nl_sock *sk, int ifindex, int ns_fd);

/* What a netns has: its links, addresses and routes, as libnl caches (netlink_read.c). */
struct netlink_view {
	struct nl_cache *links;
	struct nl_cache *addrs;
	struct nl_cache *routes;
};

int netlink_view_read(struct nl_sock *sk, struct netlink_view *ret);
void netlink_view_free(struct netlink_view *v);

#endif
