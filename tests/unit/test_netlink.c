/* Unit tests of lib/netlink against the kernel, in namespaces of a child's own. */
#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/if.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>

#include "netlink.h"
#include "unit.h"

/* libnl's codes come back as the errnos they stand for. */
TEST(libnl_codes_become_errnos)
{
	CHECK(netlink_errno(0) == 0);
	CHECK(netlink_errno(5) == 0);
	CHECK(netlink_errno(-NLE_EXIST) == -EEXIST);
	CHECK(netlink_errno(-NLE_OBJ_NOTFOUND) == -ENOENT);
	CHECK(netlink_errno(-NLE_PERM) == -EPERM);
	CHECK(netlink_errno(-NLE_FAILURE) == -EIO);
}

/* Namespaces A (current) and B, both in a user namespace of the calling process's own. */
static int two_netns(int *ret_a, int *ret_b)
{
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
		return -errno;
	*ret_a = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*ret_a < 0 || unshare(CLONE_NEWNET) < 0)
		return -errno;
	*ret_b = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*ret_b < 0 || setns(*ret_a, CLONE_NEWNET) < 0)
		return -errno;
	return 0;
}

static int index_of(struct nl_sock *sk, const char *name)
{
	int ifindex = 0, err = netlink_link_index(sk, name, &ifindex);

	return err ? err : ifindex;
}

/* The link's master and flags, as a fresh dump of the netns has them. */
static struct rtnl_link *dumped(struct nl_sock *sk, struct netlink_view *v, const char *name)
{
	if (netlink_view_read(sk, v))
		return NULL;
	return rtnl_link_get(v->links, rtnl_link_name2i(v->links, name));
}

static void link_ops(int *failed)
{
	struct netlink_view v;
	struct rtnl_link *l;
	struct nl_sock *sk, *sk_b;
	const uint8_t peer_mac[NETLINK_MAC_LEN] = { 0x02, 0x42, 0x0a, 0x59, 0x00, 0x07 };
	const uint8_t bridge_mac[NETLINK_MAC_LEN] = { 0x02, 0x00, 0x0a, 0x59, 0x00, 0x01 };
	int a, b, br, v0, m1;

	if (two_netns(&a, &b)) {
		fprintf(stderr, "  cannot make namespaces: %s\n", strerror(errno));
		*failed = 1;
		return;
	}
	CHECK(netlink_open(&sk) == 0);
	CHECK(netlink_bridge_add(sk, "rb0", bridge_mac) == 0);
	CHECK(netlink_bridge_add(sk, "rb0", bridge_mac) == -EEXIST);
	CHECK((br = index_of(sk, "rb0")) > 0);
	CHECK(index_of(sk, "nosuch0") == -ENODEV);

	/* A pair across namespaces, one end on the bridge. */
	CHECK(netlink_veth_add(sk, &(struct netlink_veth){
					   .name = "rv0", .peer = "rv1", .peer_ns_fd = b }) == 0);
	CHECK((v0 = index_of(sk, "rv0")) > 0);
	CHECK(index_of(sk, "rv1") == -ENODEV);
	CHECK(netlink_link_set_master(sk, v0, br) == 0);
	CHECK(netlink_link_up(sk, v0, 1400, NULL, 0) == 0);
	l = dumped(sk, &v, "rv0");
	CHECK(l && rtnl_link_get_master(l) == br && (rtnl_link_get_flags(l) & IFF_UP) &&
	      rtnl_link_get_mtu(l) == 1400);
	rtnl_link_put(l);
	netlink_view_free(&v);
	/* The bridge keeps the MAC it was made with, whatever its ports' are. */
	l = dumped(sk, &v, "rb0");
	CHECK(l && rtnl_link_get_addr(l) &&
	      nl_addr_get_len(rtnl_link_get_addr(l)) == NETLINK_MAC_LEN &&
	      !memcmp(nl_addr_get_binary_addr(rtnl_link_get_addr(l)), bridge_mac, NETLINK_MAC_LEN));
	rtnl_link_put(l);
	netlink_view_free(&v);

	/* The same in one request: on the bridge and up, both ends at an MTU, the peer's MAC set.
	 */
	CHECK(netlink_veth_add(sk, &(struct netlink_veth){ .name = "ro0",
							   .peer = "ro1",
							   .peer_ns_fd = b,
							   .master = br,
							   .mtu = 1300,
							   .peer_mac = peer_mac,
							   .up = true }) == 0);
	l = dumped(sk, &v, "ro0");
	CHECK(l && rtnl_link_get_master(l) == br && (rtnl_link_get_flags(l) & IFF_UP) &&
	      rtnl_link_get_mtu(l) == 1300);
	rtnl_link_put(l);
	netlink_view_free(&v);
	CHECK(netlink_link_down(sk, v0) == 0);
	l = dumped(sk, &v, "rv0");
	CHECK(l && !(rtnl_link_get_flags(l) & IFF_UP));
	rtnl_link_put(l);
	netlink_view_free(&v);

	/* A pair made here, one end moved. */
	CHECK(netlink_veth_add(sk, &(struct netlink_veth){
					   .name = "rm0", .peer = "rm1", .peer_ns_fd = -1 }) == 0);
	CHECK((m1 = index_of(sk, "rm1")) > 0);
	CHECK(netlink_link_move(sk, m1, b) == 0);
	CHECK(index_of(sk, "rm1") == -ENODEV);

	CHECK(setns(b, CLONE_NEWNET) == 0);
	CHECK(netlink_open(&sk_b) == 0);
	CHECK(index_of(sk_b, "rv1") > 0);
	l = dumped(sk_b, &v, "ro1");
	CHECK(l && rtnl_link_get_mtu(l) == 1300);
	CHECK(l && rtnl_link_get_addr(l) &&
	      !memcmp(nl_addr_get_binary_addr(rtnl_link_get_addr(l)), peer_mac, sizeof(peer_mac)));
	rtnl_link_put(l);
	netlink_view_free(&v);
	l = dumped(sk_b, &v, "rm1");
	CHECK(l != NULL);
	rtnl_link_put(l);
	netlink_view_free(&v);

	/* Deleting one end takes its peer in the other netns with it. */
	CHECK(netlink_link_del(sk, v0) == 0);
	CHECK(index_of(sk, "rv0") == -ENODEV);
	CHECK(index_of(sk_b, "rv1") == -ENODEV);
	CHECK(netlink_link_del(sk, v0) == -ENODEV);
	netlink_close(sk_b);
	netlink_close(sk);
}

/* Bridge, veth across namespaces, master, up/down, move and delete, in a child's namespaces. */
TEST(links_of_shared_networks)
{
	int status = 0;
	pid_t pid = fork();

	if (pid == 0) {
		int child_failed = 0;

		link_ops(&child_failed);
		_exit(child_failed);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

UNIT_MAIN("netlink", T(libnl_codes_become_errnos), T(links_of_shared_networks))
