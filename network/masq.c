/* A network's outbound IPv6: masqueraded to slirp's guest address by one nftables rule. */
/* glibc's first: it tells the kernel's headers which of their definitions to leave out. */
#include <netinet/in.h>

#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter_ipv6.h>
#include <net/if.h>
#include <string.h>
#include <time.h>

#include "network.h"
#include "slirpnet.h"

/*
 * Why NAT for IPv6 when IPv4 is routed (ARCHITECTURE.md): libslirp learns a neighbour from a
 * Neighbor Advertisement's source address, which the kernel sets to its own address when it
 * answers for another (proxy NDP), and its neighbour table holds 16 entries. So the infra
 * rewrites the containers' IPv6 source addresses to the one slirp knows, tap0's, in the one
 * rule `table ip6 rootlet { chain postrouting { type nat hook postrouting priority srcnat;
 * oifname "tap0" masquerade } }`, made through libnftnl and libmnl in one batch. Conntrack
 * takes the answers back to the container; traffic between containers never reaches tap0.
 */
#define MASQ_TABLE "rootlet"
#define MASQ_CHAIN "postrouting"
#define MASQ_TYPE  "nat"

struct masq_batch {
	struct mnl_nlmsg_batch *b;
	uint32_t seq;
};

static struct nlmsghdr *batch_msg(struct masq_batch *mb, uint16_t type, uint16_t flags)
{
	return nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(mb->b), type, NFPROTO_IPV6, flags,
				     mb->seq++);
}

/* `oifname "tap0" masquerade` */
static struct nftnl_rule *masq_rule(void)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nftnl_expr *meta = nftnl_expr_alloc("meta"), *cmp = nftnl_expr_alloc("cmp"),
			  *masq = nftnl_expr_alloc("masq");
	char ifname[IFNAMSIZ] = SLIRP_TAP; /* compared whole, zeros after the name */

	if (!r || !meta || !cmp || !masq) {
		nftnl_expr_free(meta);
		nftnl_expr_free(cmp);
		nftnl_expr_free(masq);
		if (r)
			nftnl_rule_free(r);
		return NULL;
	}
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, MASQ_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, MASQ_CHAIN);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_IPV6);
	nftnl_expr_set_u32(meta, NFTNL_EXPR_META_KEY, NFT_META_OIFNAME);
	nftnl_expr_set_u32(meta, NFTNL_EXPR_META_DREG, NFT_REG_1);
	nftnl_expr_set_u32(cmp, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(cmp, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
	nftnl_expr_set(cmp, NFTNL_EXPR_CMP_DATA, ifname, sizeof(ifname));
	nftnl_rule_add_expr(r, meta);
	nftnl_rule_add_expr(r, cmp);
	nftnl_rule_add_expr(r, masq);
	return r;
}

/* The table, the chain and the rule, one transaction: all of them or none. */
static int masq_build(struct masq_batch *mb)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nftnl_rule *r = masq_rule();
	int err = -ENOMEM;

	if (!t || !c || !r)
		goto out;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, MASQ_TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, MASQ_TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, MASQ_CHAIN);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, MASQ_TYPE);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, NF_INET_POST_ROUTING);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, NF_IP6_PRI_NAT_SRC);

	nftnl_batch_begin(mnl_nlmsg_batch_current(mb->b), mb->seq++);
	mnl_nlmsg_batch_next(mb->b);
	nftnl_table_nlmsg_build_payload(batch_msg(mb, NFT_MSG_NEWTABLE, NLM_F_CREATE), t);
	mnl_nlmsg_batch_next(mb->b);
	nftnl_chain_nlmsg_build_payload(batch_msg(mb, NFT_MSG_NEWCHAIN, NLM_F_CREATE), c);
	mnl_nlmsg_batch_next(mb->b);
	/* The last one acknowledged: an error in any of them comes back on its own. */
	nftnl_rule_nlmsg_build_payload(
		batch_msg(mb, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND | NLM_F_ACK), r);
	mnl_nlmsg_batch_next(mb->b);
	nftnl_batch_end(mnl_nlmsg_batch_current(mb->b), mb->seq++);
	mnl_nlmsg_batch_next(mb->b);
	err = 0;
out:
	if (t)
		nftnl_table_free(t);
	if (c)
		nftnl_chain_free(c);
	if (r)
		nftnl_rule_free(r);
	return err;
}

/**
 * masq_ipv6() - In the infra's netns (a child joined to it): its containers' IPv6 leaves tap0
 * with tap0's address
 * @e:		why not
 *
 * Return: 0, or a negative errno
 */
int masq_ipv6(struct err *e)
{
	char buf[2 * MNL_SOCKET_BUFFER_SIZE]; /* libmnl's batch wants twice its limit */
	struct masq_batch mb = { .seq = (uint32_t)time(NULL) };
	struct mnl_socket *nl = NULL;
	unsigned portid;
	ssize_t n;
	int err;

	if (!(mb.b = mnl_nlmsg_batch_start(buf, MNL_SOCKET_BUFFER_SIZE)))
		return err_errno(e, -ENOMEM, "nftables");
	if ((err = masq_build(&mb)))
		goto out;
	if (!(nl = mnl_socket_open(NETLINK_NETFILTER)) ||
	    mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_sendto(nl, mnl_nlmsg_batch_head(mb.b), mnl_nlmsg_batch_size(mb.b)) < 0) {
		err = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0 || mnl_cb_run(buf, (size_t)n, 0, portid, NULL, NULL) < 0)
		err = -errno;
out:
	if (nl)
		mnl_socket_close(nl);
	mnl_nlmsg_batch_stop(mb.b);
	return err ? err_errno(e, err, "nftables: masquerading IPv6 on %s", SLIRP_TAP) : 0;
}
