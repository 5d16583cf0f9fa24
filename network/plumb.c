/* A container's link to its network: a veth from the infra's bridge to eth0 in its netns. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netlink.h"
#include "network.h"
#include "nsfd.h"
#include "state.h"
#include "statedir.h"

#define MAC_LEN		     NETLINK_MAC_LEN
#define SYSCTL_PORT_IPV6_FMT "/proc/sys/net/ipv6/conf/%s/disable_ipv6"

/*
 * Theory of operation. The network's infra netns belongs to the network's user namespace, the
 * infra holder's, and each container's netns to a user namespace of its own below it (or, an
 * older build's, to the network's itself): only a process with CAP_NET_ADMIN over both ends
 * may make a veth across them, and root of the network's user namespace has it over its
 * descendants' netns. A child of ours joins the network's user namespace (we own it: we are
 * its root there), then the infra's netns, makes the veth there with its peer
 * born in the container's netns, puts the infra's end on the bridge, then moves itself into
 * the container's netns to give eth0 its address, MAC and default route. The child reports a
 * struct err on a pipe; nothing of it outlives the call.
 */

/*
 * In the container's netns: an eth0 left from an infra that died. Its netns is destroyed by
 * the kernel in the background, so the old pair may still be there when a new infra plumbs the
 * container again; deleting our end takes the other with it.
 */
static int drop_old_eth0(struct err *e)
{
	struct nl_sock *sk = NULL;
	int err, ifindex;

	if ((err = netlink_open(&sk)))
		return err_errno(e, err, "netlink");
	err = netlink_link_index(sk, NET_IFNAME, &ifindex);
	if (!err)
		err = netlink_link_del(sk, ifindex);
	netlink_close(sk);
	return err == -ENODEV ? 0 : err ? err_errno(e, err, "deleting an old %s", NET_IFNAME) : 0;
}

/*
 * A bridge port takes no IPv6 itself: a frame to a link-local group (01:80:c2:00:00:0X) is
 * passed up on the port before any bridge hook sees it, and IPv6 (which has no reverse-path
 * filter) would take it there from any source address, the gateway's answers going to whoever
 * it names. Done before eth0 is up: nothing comes from the container before.
 */
static int port_no_ipv6(const char *veth, struct err *e)
{
	char path[sizeof(SYSCTL_PORT_IPV6_FMT) + IFNAMSIZ];

	snprintf(path, sizeof(path), SYSCTL_PORT_IPV6_FMT, veth);
	return write_sysctl(path, "1", e);
}

/* In the infra: the bridge's options asserted, the veth at the network's MTU, its end on the
 * bridge and up, eth0 born in the container's netns with its MAC. */
static int make_veth(const char *veth, int cnet_fd, unsigned mtu, const uint8_t mac[MAC_LEN],
		     struct err *e)
{
	struct netlink_veth v = { .name = veth,
				  .peer = NET_IFNAME,
				  .peer_ns_fd = cnet_fd,
				  .mtu = mtu,
				  .peer_mac = mac,
				  .up = true };
	struct nl_sock *sk = NULL;
	int err;

	if ((err = netlink_open(&sk)))
		return err_errno(e, err, "netlink");
	if ((err = netlink_link_index(sk, NET_BRIDGE, &v.master)) == -ENODEV)
		err_make(e, err,
			 "the infra's bridge %s is gone (deleted by hand?); 'rootlet-network gc' "
			 "makes the infra again",
			 NET_BRIDGE);
	else if (err)
		err_errno(e, err, "the infra's bridge %s", NET_BRIDGE);
	/* An infra an older build made lives on with its bridge: given today's options here. */
	else if ((err = netlink_bridge_set_options(sk, v.master)))
		err_errno(e, err, "the infra's bridge %s: its options", NET_BRIDGE);
	else if ((err = netlink_veth_add(sk, &v)) == -EEXIST)
		err_make(e, err,
			 "making veth %s: the container's netns has an %s already (attached to "
			 "another network?); dealloc it there first",
			 veth, NET_IFNAME);
	else if (err)
		err_errno(e, err, "making veth %s on %s", veth, NET_BRIDGE);
	netlink_close(sk);
	return err ? err : port_no_ipv6(veth, e);
}

/* eth0's IPv6 address (no DAD: the network's IPAM made it unique) and default route (none on
 * an internal network, as podman's have none: nothing is reached through the gateway). */
static int set_up_ipv6(struct nl_sock *sk, const struct net_record *r, int eth0,
		       const struct in6_addr *ip6, struct err *e)
{
	struct netlink_route route = { .family = AF_INET6, .gw = &r->gateway6, .ifindex = eth0 };
	int err;

	if ((err = netlink_addr_add(sk, eth0, AF_INET6, ip6, r->prefix6)))
		return err_errno(e, err, "configuring %s's IPv6 address", NET_IFNAME);
	if (!r->internal && (err = netlink_route_add(sk, &route)))
		return err_errno(e, err, "adding the IPv6 default route via %s's gateway on %s",
				 r->name, NET_IFNAME);
	return 0;
}

/* In the container's netns: eth0 (its MTU and MAC set already) and lo up, the address, the
 * default route unless the network is internal. */
static int set_up_eth0(const struct net_record *r, const struct net_attach *a, struct err *e)
{
	struct netlink_route route = { .family = AF_INET, .gw = &r->gateway };
	struct nl_sock *sk = NULL;
	int err, eth0, lo;

	if (!a->has_ip)
		return err_make(e, -EBADMSG, "the attachment's address is corrupt");
	if ((err = netlink_open(&sk)))
		return err_errno(e, err, "netlink");
	if ((err = netlink_link_index(sk, NET_IFNAME, &eth0)) ||
	    (err = netlink_link_up(sk, eth0, 0, NULL, 0)) ||
	    (err = netlink_addr_add(sk, eth0, AF_INET, &a->ip, r->prefix)))
		err_errno(e, err, "configuring %s", NET_IFNAME);
	else if ((err = netlink_link_index(sk, "lo", &lo)) ||
		 (err = netlink_link_up(sk, lo, 0, NULL, 0)))
		err_errno(e, err, "bringing lo up");
	else if (!r->internal && ((route.ifindex = eth0), (err = netlink_route_add(sk, &route))))
		err_errno(e, err, "adding the default route via %s's gateway on %s", r->name,
			  NET_IFNAME);
	if (!err && r->ipv6 && a->has_ip6)
		err = set_up_ipv6(sk, r, eth0, &a->ip6, e);
	netlink_close(sk);
	return err;
}

static int join_fd(int fd, const char *netns, struct err *e)
{
	return ns_join(fd, CLONE_NEWNET) ? err_errno(e, -errno, "joining %s", netns) : 0;
}

/* What plumb() is given: the attachment, and its netns when the caller has it open. */
struct plumb_job {
	const struct net_attach *a;
	int net_fd; /* or -1: the attachment's netns path is opened */
};

static int plumb(struct net_cfg *cfg, const struct net_record *r, void *arg, struct err *e)
{
	const struct plumb_job *job = arg;
	const struct net_attach *a = job->a;
	const char *netns = a->netns;
	/* Only a ready attachment is plumbed again (a repair); a new one leaves eth0 alone. */
	bool again = a->state == ATT_READY;
	int cnet_fd = job->net_fd, err;

	(void)cfg;
	if (!a->has_mac)
		return err_make(e, -EBADMSG, "the attachment's MAC is corrupt");
	/* Opened here, before we leave the host's mount and user namespaces behind. */
	if (!netns[0] || !a->veth[0] ||
	    (cnet_fd < 0 && (err = state_ns_open_holder_checked(netns, CLONE_NEWNET, &cnet_fd))))
		return err_make(e, -ENOENT, "the container's netns %s is gone",
				netns[0] ? netns : "(none)");
	if ((err = join_infra_ns(r, CLONE_NEWUSER, e)))
		goto out;
	if (again && ((err = join_fd(cnet_fd, netns, e)) || (err = drop_old_eth0(e))))
		goto out;
	if ((err = join_infra_ns(r, CLONE_NEWNET, e)) ||
	    (err = make_veth(a->veth, cnet_fd, r->mtu, a->mac, e)) ||
	    (err = join_fd(cnet_fd, netns, e)))
		goto out;
	err = set_up_eth0(r, a, e);
out:
	close(cnet_fd);
	return err;
}

static int unplumb(struct net_cfg *cfg, const struct net_record *r, void *arg, struct err *e)
{
	const struct net_attach *a = arg;
	const char *veth = a->veth;
	struct nl_sock *sk = NULL;
	int err, ifindex;

	(void)cfg;
	if (!veth[0] || (err = join_infra(r, e)))
		return veth[0] ? err : 0;
	if ((err = netlink_open(&sk)))
		return err_errno(e, err, "netlink");
	err = netlink_link_index(sk, veth, &ifindex);
	if (!err)
		err = netlink_link_del(sk, ifindex);
	netlink_close(sk);
	return err == -ENODEV ? 0 : err ? err_errno(e, err, "deleting %s", veth) : 0;
}

/**
 * plumb_container() - Join a container's netns to the network's bridge, eth0 configured
 * @cfg:	the state root; cfg->err on failure
 * @r:		the network, its infra up
 * @a:		the attachment: netns, veth, ip, mac
 * @net_fd:	its netns, open (alloc's, not yet published), or -1: its netns path is opened
 *
 * Return: 0, or a negative errno
 */
int plumb_container(struct net_cfg *cfg, const struct net_record *r, const struct net_attach *a,
		    int net_fd)
{
	struct plumb_job job = { .a = a, .net_fd = net_fd };

	return net_in_child(cfg, plumb, r, &job);
}

/**
 * unplumb_container() - Delete a container's veth (its eth0 goes with it); none is success
 * @cfg:	the state root; cfg->err on failure
 * @r:		the network
 * @a:		the attachment
 *
 * Return: 0, or a negative errno
 */
int unplumb_container(struct net_cfg *cfg, const struct net_record *r, const struct net_attach *a)
{
	return net_in_child(cfg, unplumb, r, (void *)a);
}
