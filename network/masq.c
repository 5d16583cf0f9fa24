/* A network's outbound IPv6: masqueraded to slirp's guest address by one nftables rule. */
/* glibc's first: it tells the kernel's headers which of their definitions to leave out. */
#include <netinet/in.h>

#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter_ipv6.h>
#include <net/if.h>
#include <string.h>

#include "network.h"
#include "nft.h"
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
static int masq_build(struct nft_batch *nb)
{
	static const struct nft_base_chain bc = { .table = MASQ_TABLE,
						  .chain = MASQ_CHAIN,
						  .type = MASQ_TYPE,
						  .hook = NF_INET_POST_ROUTING,
						  .prio = NF_IP6_PRI_NAT_SRC };
	struct nftnl_rule *r = masq_rule();
	int err;

	if (!r)
		return -ENOMEM;
	if (!(err = nft_table_start(nb, &bc, false)))
		nft_rule(nb, NLM_F_ACK, r); /* acknowledged: an error in any message comes back */
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
	struct nft_batch nb;
	int err;

	if (!(err = nft_begin(&nb, NFPROTO_IPV6, MNL_SOCKET_BUFFER_SIZE)) &&
	    !(err = masq_build(&nb)))
		err = nft_commit(&nb);
	nft_free(&nb);
	return err ? err_errno(e, err, "nftables: masquerading IPv6 on %s", SLIRP_TAP) : 0;
}
