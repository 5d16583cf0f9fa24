/* A network's outbound IPv6: masqueraded to slirp's guest address, each container to its own
 * range of source ports (nftables). */
/* glibc's first: it tells the kernel's headers which of their definitions to leave out. */
#include <netinet/in.h>

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter_ipv6.h>
#include <net/if.h>
#include <string.h>

#include "masq6.h"
#include "network.h"
#include "nft.h"
#include "slirpnet.h"

/*
 * Why NAT for IPv6 when IPv4 is routed (ARCHITECTURE.md): libslirp learns a neighbour from a
 * Neighbor Advertisement's source address, which the kernel sets to its own address when it
 * answers for another (proxy NDP), and its neighbour table holds 16 entries. So the infra
 * rewrites the containers' IPv6 source addresses to the one slirp knows, tap0's:
 *   table ip6 rootlet { chain postrouting { type nat hook postrouting priority srcnat;
 *     ip6 saddr IP6 oifname "tap0" masquerade to :LO-HI      (one a container)
 *     oifname "tap0" masquerade to :1024-2047 } }            (the infra's own)
 * Each container's range is lib/masq6's fixed split of the ports by its IPv4 host number, which
 * rootlet-slirp --masq6-subnet knows too: it counts a masqueraded connection in the share of
 * the container whose range its port is in, with that container's IPv4 ones. The container
 * cannot choose: conntrack keeps its port only if it is in the range and free, else picks one
 * of the range, and with none free the connection fails (it never takes another range). The
 * table is written whole from the record, with the bridge's (spoofguard.c), at every alloc and
 * dealloc and when an infra is made. Conntrack takes the answers back to the container;
 * traffic between containers never reaches tap0.
 */
#define MASQ_TABLE	 "rootlet"
#define MASQ_CHAIN	 "postrouting"
#define MASQ_TYPE	 "nat"
#define IP6_SADDR_OFFSET 8    /* in the IPv6 header */
#define MASQ_MSGS_FIXED	 6    /* begin, table made, deleted, made, chain, end */
#define MASQ_MSG_BYTES	 1024 /* bounds one rule's message: 6 expressions of <= 16 bytes' data */

/* `ip6 saddr @ip6` */
static bool add_saddr(struct nftnl_rule *r, const struct in6_addr *ip6)
{
	return nft_add_payload(r, NFT_PAYLOAD_NETWORK_HEADER, IP6_SADDR_OFFSET, sizeof(*ip6)) &&
	       nft_add_eq(r, ip6, sizeof(*ip6));
}

/* `oifname "tap0"` */
static bool add_oifname(struct nftnl_rule *r)
{
	char ifname[IFNAMSIZ] = SLIRP_TAP; /* compared whole, zeros after the name */

	return nft_add_meta(r, NFT_META_OIFNAME) && nft_add_eq(r, ifname, sizeof(ifname));
}

/* @reg = @port, in network order, as the masquerade reads it */
static bool add_port(struct nftnl_rule *r, uint32_t reg, uint16_t port)
{
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");
	uint16_t be = htons(port);

	if (!e)
		return false;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, reg);
	nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, &be, sizeof(be));
	return nft_add_expr(r, e);
}

/* `masquerade to :@lo-@hi` */
static bool add_masq(struct nftnl_rule *r, uint16_t lo, uint16_t hi)
{
	struct nftnl_expr *e;

	if (!add_port(r, NFT_REG_1, lo) || !add_port(r, NFT_REG_2, hi) ||
	    !(e = nftnl_expr_alloc("masq")))
		return false;
	nftnl_expr_set_u32(e, NFTNL_EXPR_MASQ_FLAGS, NF_NAT_RANGE_PROTO_SPECIFIED);
	nftnl_expr_set_u32(e, NFTNL_EXPR_MASQ_REG_PROTO_MIN, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_MASQ_REG_PROTO_MAX, NFT_REG_2);
	return nft_add_expr(r, e);
}

/* One rule into the batch: [ip6 saddr @ip6] oifname "tap0" masquerade to :@lo-@hi */
static int masq_rule(struct nft_batch *nb, const struct in6_addr *ip6, uint16_t lo, uint16_t hi,
		     uint16_t flags)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	bool ok;

	if (!r)
		return -ENOMEM;
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, MASQ_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, MASQ_CHAIN);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_IPV6);
	ok = (!ip6 || add_saddr(r, ip6)) && add_oifname(r) && add_masq(r, lo, hi);
	if (ok)
		nft_rule(nb, flags, r);
	nftnl_rule_free(r);
	return ok ? 0 : -ENOMEM;
}

/* The table written whole: every attachment's rule, then the infra's own. */
static int masq_build(struct nft_batch *nb, const struct net_record *rec)
{
	static const struct nft_base_chain bc = { .table = MASQ_TABLE,
						  .chain = MASQ_CHAIN,
						  .type = MASQ_TYPE,
						  .hook = NF_INET_POST_ROUTING,
						  .prio = NF_IP6_PRI_NAT_SRC };
	struct masq6_split split;
	uint16_t lo, hi;
	int err;

	masq6_split_init(&split, rec->subnet, rec->prefix);
	if ((err = nft_table_start(nb, &bc, true)))
		return err;
	for (size_t i = 0; i < rec->attached; i++) {
		const struct net_attach *a = &rec->att[i];

		if (!a->has_ip || !a->has_ip6 || !masq6_in_subnet(&split, a->ip))
			continue; /* no IPv6 through tap0: the last rule's ports are not its */
		masq6_ports(&split, a->ip, &lo, &hi);
		if ((err = masq_rule(nb, &a->ip6, lo, hi, 0)))
			return err;
	}
	/* The last one acknowledged: an error in any of them comes back on its own. */
	return masq_rule(nb, NULL, MASQ6_PORT_INFRA_LO, MASQ6_PORT_INFRA_HI, NLM_F_ACK);
}

/**
 * masq_write() - In the infra's netns (a child joined to it): each container's IPv6 leaves
 * tap0 with tap0's address and a source port of its own range, from the record (every
 * attachment, pending ones too)
 * @rec:	the network (IPv6, not internal)
 * @e:		why not
 *
 * Return: 0, or a negative errno
 */
int masq_write(const struct net_record *rec, struct err *e)
{
	size_t size = (rec->attached + 1 + MASQ_MSGS_FIXED) * MASQ_MSG_BYTES;
	struct nft_batch nb;
	int err;

	if (!(err = nft_begin(&nb, NFPROTO_IPV6, size)) && !(err = masq_build(&nb, rec)))
		err = nft_commit(&nb);
	nft_free(&nb);
	return err ? err_errno(e, err, "nftables: masquerading IPv6 on %s", SLIRP_TAP) : 0;
}
