/* Links of shared networks over rtnetlink (libnl-route-3): veth pairs, bridges, moving links. */
#include <errno.h>
#include <linux/if.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>

#include "netlink.h"

/* A link object naming @ifindex, for requests about it. */
static struct rtnl_link *link_ref(int ifindex)
{
	struct rtnl_link *link = rtnl_link_alloc();

	if (link)
		rtnl_link_set_ifindex(link, ifindex);
	return link;
}

/* Applies @change (its fields set by the caller) to @ifindex. */
static int link_change(struct nl_sock *sk, int ifindex, struct rtnl_link *change)
{
	struct rtnl_link *link = link_ref(ifindex);
	int err = -ENOMEM;

	if (link && change)
		err = netlink_errno(rtnl_link_change(sk, link, change, 0));
	rtnl_link_put(link);
	rtnl_link_put(change);
	return err;
}

/**
 * netlink_link_index() - The index of the link named @name in the socket's netns
 * @sk:		from netlink_open()
 * @name:	the link's name
 * @ret_ifindex: its index
 *
 * Return: 0 on success, -ENODEV if there is no such link, negative errno
 */
int netlink_link_index(struct nl_sock *sk, const char *name, int *ret_ifindex)
{
	struct rtnl_link *link = NULL;
	int err = rtnl_link_get_kernel(sk, 0, name, &link);

	if (err < 0)
		return err == -NLE_OBJ_NOTFOUND ? -ENODEV : netlink_errno(err);
	*ret_ifindex = rtnl_link_get_ifindex(link);
	rtnl_link_put(link);
	return 0;
}

/**
 * netlink_link_down() - Take a link down
 * @sk:		from netlink_open()
 * @ifindex:	the link
 *
 * Return: 0 on success, negative errno
 */
int netlink_link_down(struct nl_sock *sk, int ifindex)
{
	struct rtnl_link *change = rtnl_link_alloc();

	if (change)
		rtnl_link_unset_flags(change, IFF_UP);
	return link_change(sk, ifindex, change);
}

/**
 * netlink_link_del() - Delete a link (a veth's peer goes with it)
 * @sk:		from netlink_open()
 * @ifindex:	the link
 *
 * Return: 0 on success, negative errno
 */
int netlink_link_del(struct nl_sock *sk, int ifindex)
{
	struct rtnl_link *link = link_ref(ifindex);
	int err = link ? netlink_errno(rtnl_link_delete(sk, link)) : -ENOMEM;

	rtnl_link_put(link);
	return err;
}

/**
 * netlink_veth_add() - Make a veth pair: v->name here, v->peer in the netns of v->peer_ns_fd,
 * with its master, MTU, the peer's MAC and this end up as @v asks
 * @sk:		from netlink_open()
 * @v:		the pair
 *
 * Made in one request, so that no half-made pair is left behind for anyone to clean up, and
 * with nothing left to set one by one afterwards.
 *
 * Return: 0 on success, -EEXIST if a name is taken, negative errno
 */
int netlink_veth_add(struct nl_sock *sk, const struct netlink_veth *v)
{
	struct rtnl_link *link = rtnl_link_veth_alloc(), *other;
	struct nl_addr *mac = NULL;
	int err = -ENOMEM;

	if (!link)
		return err;
	other = rtnl_link_veth_get_peer(link);
	rtnl_link_set_name(link, v->name);
	rtnl_link_set_name(other, v->peer);
	if (v->peer_ns_fd >= 0)
		rtnl_link_set_ns_fd(other, v->peer_ns_fd);
	if (v->master)
		rtnl_link_set_master(link, v->master);
	if (v->mtu) {
		rtnl_link_set_mtu(link, v->mtu);
		rtnl_link_set_mtu(other, v->mtu);
	}
	if (v->up)
		rtnl_link_set_flags(link, IFF_UP);
	if (v->peer_mac && !(mac = nl_addr_build(AF_LLC, v->peer_mac, NETLINK_MAC_LEN)))
		goto out;
	if (mac)
		rtnl_link_set_addr(other, mac);
	err = netlink_errno(rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL));
out:
	nl_addr_put(mac);
	rtnl_link_put(other);
	rtnl_link_veth_release(link);
	return err;
}

/*
 * The bridge's options, the same at birth and after (RTM_NEWLINK's IFLA_LINKINFO). libnl-route-3
 * has no setter for them, so the request is put together with libnl's message calls.
 *
 * Frames to the link-local groups (01:80:c2:00:00:0X: LLDP, 802.1X, ...) are taken by the
 * bridge before any nftables bridge hook sees them, and by default it learns their source
 * MAC: a port could claim another port's MAC that way, past spoofguard's checks. So
 * no_linklocal_learn.
 *
 * Multicast snooping (the kernel's default) trusts the ports: a port that sends an MLD or IGMP
 * query (or a PIM hello, a multicast router advertisement) becomes a multicast router port and
 * makes a querier exist, and from then on a group nobody has reported of late (a container's
 * solicited-node group, its membership expired while it waits to answer the query's long
 * response delay) goes to the router ports only: Neighbor Solicitations for a container reached
 * the querying container, not it. So no snooping: the bridge floods multicast to every port,
 * as a small container network wants, and nothing a container sends changes where it goes.
 */
static int bridge_options(struct nl_msg *msg)
{
	struct br_boolopt_multi opts = {
		.optval = 1U << BR_BOOLOPT_NO_LL_LEARN,
		.optmask = 1U << BR_BOOLOPT_NO_LL_LEARN,
	};
	struct nlattr *info, *data;

	if (!(info = nla_nest_start(msg, IFLA_LINKINFO)) ||
	    nla_put_string(msg, IFLA_INFO_KIND, "bridge") < 0 ||
	    !(data = nla_nest_start(msg, IFLA_INFO_DATA)) ||
	    nla_put(msg, IFLA_BR_MULTI_BOOLOPT, sizeof(opts), &opts) < 0 ||
	    nla_put_u8(msg, IFLA_BR_MCAST_SNOOPING, 0) < 0)
		return -ENOMEM;
	nla_nest_end(msg, data);
	nla_nest_end(msg, info);
	return 0;
}

/**
 * netlink_bridge_add() - Make a bridge with its own MAC that learns no address from a
 * link-local frame and snoops no multicast
 * @sk:		from netlink_open()
 * @name:	its name
 * @mac:	its MAC (NETLINK_MAC_LEN bytes)
 *
 * Unlike libnl's rtnl_link_bridge_add(), a name already taken is an error, not a change of
 * that link: two callers racing for one bridge learn which of them made it.
 *
 * A bridge whose MAC is not set takes its lowest port's, and changes it when that port goes:
 * its neighbours' caches then name a MAC nobody has, whose frames the bridge floods to every
 * port (another container reads them). So its MAC is set at birth. Its options:
 * bridge_options().
 *
 * Return: 0 on success, -EEXIST if the name is taken, negative errno
 */
int netlink_bridge_add(struct nl_sock *sk, const char *name, const uint8_t *mac)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct nl_msg *msg;

	msg = nlmsg_alloc_simple(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	if (!msg)
		return -ENOMEM;
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    nla_put_string(msg, IFLA_IFNAME, name) < 0 ||
	    nla_put(msg, IFLA_ADDRESS, NETLINK_MAC_LEN, mac) < 0 || bridge_options(msg)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	/* nl_send_sync() frees the message whatever happens */
	return netlink_errno(nl_send_sync(sk, msg));
}

/**
 * netlink_bridge_set_options() - Give a bridge made before (by an older build) the options
 * netlink_bridge_add() gives a new one
 * @sk:		from netlink_open()
 * @ifindex:	the bridge
 *
 * Return: 0 on success, negative errno
 */
int netlink_bridge_set_options(struct nl_sock *sk, int ifindex)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
	struct nl_msg *msg;

	msg = nlmsg_alloc_simple(RTM_NEWLINK, 0);
	if (!msg)
		return -ENOMEM;
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 || bridge_options(msg)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	return netlink_errno(nl_send_sync(sk, msg));
}

/**
 * netlink_link_set_master() - Attach a link to a bridge
 * @sk:		from netlink_open()
 * @ifindex:	the link
 * @master_ifindex: the bridge; 0 detaches the link
 *
 * Return: 0 on success, negative errno
 */
int netlink_link_set_master(struct nl_sock *sk, int ifindex, int master_ifindex)
{
	return netlink_errno(rtnl_link_enslave_ifindex(sk, master_ifindex, ifindex));
}

/**
 * netlink_link_move() - Move a link into another netns
 * @sk:		from netlink_open()
 * @ifindex:	the link
 * @ns_fd:	an fd of the netns it goes to
 *
 * Return: 0 on success, negative errno
 */
int netlink_link_move(struct nl_sock *sk, int ifindex, int ns_fd)
{
	struct rtnl_link *change = rtnl_link_alloc();

	if (change)
		rtnl_link_set_ns_fd(change, ns_fd);
	return link_change(sk, ifindex, change);
}
