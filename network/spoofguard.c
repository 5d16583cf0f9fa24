/* A network's bridge ports: a container's frames carry its own addresses only (nftables, bridge).
 */
/* glibc's first: they tell the kernel's headers which of their definitions to leave out. */
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/icmp6.h>

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/if_ether.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter_bridge.h>
#include <string.h>

#include "network.h"
#include "nft.h"

/*
 * Theory of operation. The containers of a network share the infra: its routing to slirp,
 * slirp's per-source socket limit, rootlet-dns. The infra's kernel routes what arrives on the
 * bridge whatever its source address, so a container could send from another container's
 * address (and take that one's share of slirp's sockets) or from an address of tap0's side
 * (10.0.2.3: an answer to rootlet-dns's upstream query). The bridge hook sees the port a frame
 * came in on, which the IP layer does not (it sees the bridge), so the infra holds
 *   table bridge rootlet { chain ports { type filter hook prerouting priority -200;
 *     iifname VETH ether saddr MAC ether type ip ip saddr IP accept
 *     iifname VETH ether saddr MAC ether type arp arp saddr ip IP arp saddr ether MAC accept
 *     (IPv6 networks, each rule starting `iifname VETH ether saddr MAC ether type ip6`)
 *     ... meta l4proto ipv6-icmp icmpv6 type { nd-router-advert, nd-redirect } drop
 *     ... meta l4proto ipv6-icmp icmpv6 type nd-neighbor-advert
 *         @th,64,128 != LL @th,64,128 != IP6 drop
 *     ... ip6 saddr :: meta l4proto ipv6-icmp icmpv6 type nd-neighbor-solicit
 *         @th,64,128 != LL @th,64,128 != IP6 drop
 *     ... ip6 saddr { IP6, LL, :: } accept
 *     drop } }
 * one accept per address of each attachment, pending ones too (a port gets its rules before
 * its veth exists), and a drop for everything else a port sends (other addresses, other ether
 * types, VLAN tags). The MAC is in every rule: a frame under another container's MAC would
 * teach the bridge that MAC on this port, and its frames would come here. RAs and Redirects
 * are the gateway's to send; an NA says where its target is, so a container's NA names its own
 * addresses only; an NS from :: (duplicate address detection) makes a container coming up give
 * its target up, so it too names the sender's own addresses only. LL is the container's
 * link-local address, the EUI-64 one of its MAC (a container that gives itself another is not
 * heard on IPv6 from it). Frames the infra itself sends pass the bridge's output hook, not
 * this one. The table is written whole from the record in one transaction (deleted and made
 * again), at every alloc and dealloc and when an infra is made, as the hosts file is: never
 * half a table.
 */
#define GUARD_TABLE	  "rootlet"
#define GUARD_CHAIN	  "ports"
#define GUARD_TYPE	  "filter"
#define GUARD_PRIO	  NF_BR_PRI_FILTER_BRIDGED
#define ETH_TYPE_OFFSET	  12   /* the ether type in the Ethernet header */
#define IP4_SADDR_OFFSET  12   /* in the IPv4 header */
#define ETH_SADDR_OFFSET  6    /* the source MAC in the Ethernet header */
#define ARP_SHA_OFFSET	  8    /* the sender's MAC in an Ethernet/IPv4 ARP packet */
#define ARP_SPA_OFFSET	  14   /* the sender's IPv4 address in an Ethernet/IPv4 ARP packet */
#define ICMP6_TYPE_OFFSET 0    /* in the ICMPv6 header */
#define ND_TARGET_OFFSET  8    /* a Neighbor Solicitation's or Advertisement's target */
#define IP6_SADDR_OFFSET  8    /* in the IPv6 header */
#define EUI64_UL_BIT	  0x02 /* the universal/local bit, inverted in a modified EUI-64 */
#define GUARD_RULES_FIXED 1    /* the last drop */
#define GUARD_RULES_PER4  2    /* ip, arp */
#define GUARD_RULES_PER6  7    /* RA, redirect, NA, DAD drops; its address, link-local, :: */
#define GUARD_MSGS_FIXED  6    /* begin, table made, deleted, made, chain, end */
#define GUARD_MSG_BYTES	  2048 /* bounds one rule's message: 16 expressions of <= 16 bytes' data */

/* A bridge port and the one MAC its container's frames may carry. */
struct port {
	const char *veth;
	uint8_t mac[ETH_ALEN];
};

/*
 * One match of a rule: `<@len bytes at @offset of header @base> [& @mask] @op @data`; a NULL
 * @data ends a list of them.
 */
struct match {
	uint32_t base, offset, len, op;
	const void *data, *mask;
};

static bool add_match(struct nftnl_rule *r, const struct match *m)
{
	return nft_add_payload(r, m->base, m->offset, m->len) &&
	       (!m->mask || nft_add_mask(r, m->mask, m->len)) &&
	       nft_add_cmp(r, m->op, m->data, m->len);
}

/* `iifname @p->veth ether saddr @p->mac ether type @type` */
static bool add_port_type(struct nftnl_rule *r, const struct port *p, uint16_t type)
{
	char ifname[IFNAMSIZ] = { 0 }; /* compared whole, zeros after the name */
	uint16_t be_type = htons(type);

	strncpy(ifname, p->veth, sizeof(ifname) - 1);
	return nft_add_meta(r, NFT_META_IIFNAME) && nft_add_eq(r, ifname, sizeof(ifname)) &&
	       nft_add_payload(r, NFT_PAYLOAD_LL_HEADER, ETH_SADDR_OFFSET, ETH_ALEN) &&
	       nft_add_eq(r, p->mac, ETH_ALEN) &&
	       nft_add_payload(r, NFT_PAYLOAD_LL_HEADER, ETH_TYPE_OFFSET, sizeof(be_type)) &&
	       nft_add_eq(r, &be_type, sizeof(be_type));
}

/* Appends @r to the batch (the last rule acknowledged by the caller's flags); frees it. */
static void batch_rule(struct nft_batch *gb, struct nftnl_rule *r, uint16_t flags)
{
	nft_rule(gb, flags, r);
	nftnl_rule_free(r);
}

static struct nftnl_rule *rule_new(void)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (r) {
		nftnl_rule_set_str(r, NFTNL_RULE_TABLE, GUARD_TABLE);
		nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, GUARD_CHAIN);
		nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_BRIDGE);
	}
	return r;
}

/*
 * `iifname VETH ether saddr MAC ether type @type [meta l4proto ipv6-icmp] @m... @verdict`;
 * the l4proto (the kernel's, past any extension headers) when @icmp6, for a transport header.
 */
static int port_rule(struct nft_batch *gb, const struct port *p, uint16_t type, bool icmp6,
		     const struct match *m, int verdict)
{
	struct nftnl_rule *r = rule_new();
	const uint8_t l4 = IPPROTO_ICMPV6;
	bool ok;

	if (!r)
		return -ENOMEM;
	ok = add_port_type(r, p, type) &&
	     (!icmp6 || (nft_add_meta(r, NFT_META_L4PROTO) && nft_add_eq(r, &l4, sizeof(l4))));
	for (; ok && m->data; m++)
		ok = add_match(r, m);
	if (!ok || !nft_add_verdict(r, verdict)) {
		nftnl_rule_free(r);
		return -ENOMEM;
	}
	batch_rule(gb, r, 0);
	return 0;
}

/* One address accepted: `... <@len bytes at @offset of the network header> [& @mask] == @addr` */
static int addr_rule(struct nft_batch *gb, const struct port *p, uint16_t type, uint32_t offset,
		     const void *addr, const void *mask, uint32_t len)
{
	const struct match m[] = {
		{ NFT_PAYLOAD_NETWORK_HEADER, offset, len, NFT_CMP_EQ, addr, mask }, { 0 }
	};

	return port_rule(gb, p, type, false, m, NF_ACCEPT);
}

/* `... icmpv6 type @type drop` */
static int icmp6_drop(struct nft_batch *gb, const struct port *p, uint8_t type)
{
	const struct match m[] = { { NFT_PAYLOAD_TRANSPORT_HEADER, ICMP6_TYPE_OFFSET, sizeof(type),
				     NFT_CMP_EQ, &type, NULL },
				   { 0 } };

	return port_rule(gb, p, ETH_P_IPV6, true, m, NF_DROP);
}

/*
 * A Neighbor Advertisement (@type ND_NEIGHBOR_ADVERT), or a Neighbor Solicitation from ::
 * (ND_NEIGHBOR_SOLICIT: duplicate address detection's), for any address but @ip6 (none when ::)
 * and the port's link-local @ll dropped. An NA says where its target is, and a DAD probe
 * answered by no one but the target's owner makes a container coming up give its address up:
 * so a container says where its own addresses are, and probes for them, not the gateway's or
 * another container's (another's link-local address included).
 */
static int nd_target_drop(struct nft_batch *gb, const struct port *p, uint8_t type,
			  const struct in6_addr *ip6, const struct in6_addr *ll)
{
	static const struct in6_addr any6 = IN6ADDR_ANY_INIT;
	const struct match m[] = { { NFT_PAYLOAD_NETWORK_HEADER, IP6_SADDR_OFFSET, sizeof(any6),
				     NFT_CMP_EQ, &any6, NULL },
				   { NFT_PAYLOAD_TRANSPORT_HEADER, ICMP6_TYPE_OFFSET, sizeof(type),
				     NFT_CMP_EQ, &type, NULL },
				   { NFT_PAYLOAD_TRANSPORT_HEADER, ND_TARGET_OFFSET, sizeof(*ll),
				     NFT_CMP_NEQ, ll, NULL },
				   { NFT_PAYLOAD_TRANSPORT_HEADER, ND_TARGET_OFFSET, sizeof(*ip6),
				     NFT_CMP_NEQ, ip6, NULL },
				   { 0 } };

	/* Only a solicitation is checked by its source: an NA from anywhere names its target. */
	return port_rule(gb, p, ETH_P_IPV6, true, type == ND_NEIGHBOR_SOLICIT ? m : m + 1, NF_DROP);
}

/*
 * The link-local address a port's container has: fe80:: and the modified EUI-64 of its MAC
 * (RFC 4291 appendix A), as the kernel makes it in a new netns (addr_gen_mode 0). Tied to the
 * MAC, no container can speak from, or advertise, another's.
 */
static void link_local_of(const uint8_t mac[ETH_ALEN], struct in6_addr *ll)
{
	memset(ll, 0, sizeof(*ll));
	ll->s6_addr[0] = 0xfe;
	ll->s6_addr[1] = 0x80;
	ll->s6_addr[8] = mac[0] ^ EUI64_UL_BIT;
	ll->s6_addr[9] = mac[1];
	ll->s6_addr[10] = mac[2];
	ll->s6_addr[11] = 0xff;
	ll->s6_addr[12] = 0xfe;
	ll->s6_addr[13] = mac[3];
	ll->s6_addr[14] = mac[4];
	ll->s6_addr[15] = mac[5];
}

/* An ARP packet from @p: its sender (IPv4 and MAC) is the container's. */
static int arp_rule(struct nft_batch *gb, const struct port *p, const struct in_addr *a4)
{
	const struct match m[] = {
		{ NFT_PAYLOAD_NETWORK_HEADER, ARP_SPA_OFFSET, sizeof(*a4), NFT_CMP_EQ, a4, NULL },
		{ NFT_PAYLOAD_NETWORK_HEADER, ARP_SHA_OFFSET, ETH_ALEN, NFT_CMP_EQ, p->mac, NULL },
		{ 0 }
	};

	return port_rule(gb, p, ETH_P_ARP, false, m, NF_ACCEPT);
}

/*
 * One attachment's rules; a corrupt one (no veth, no MAC, an address that is none) gets none
 * for what is corrupt, and its port's frames meet the drop.
 */
static int port_rules(struct nft_batch *gb, const struct net_record *rec,
		      const struct net_attach *a)
{
	static const struct in6_addr any6 = IN6ADDR_ANY_INIT;
	struct port p = { .veth = a->veth };
	bool has6 = a->has_ip6;
	struct in6_addr ll;
	int err;

	if (!a->veth[0] || !a->has_mac)
		return 0;
	memcpy(p.mac, a->mac, sizeof(p.mac));
	if (a->has_ip &&
	    ((err = addr_rule(gb, &p, ETH_P_IP, IP4_SADDR_OFFSET, &a->ip, NULL, sizeof(a->ip))) ||
	     (err = arp_rule(gb, &p, &a->ip))))
		return err;
	if (!rec->ipv6)
		return 0;
	/* Router Advertisements and Redirects: the gateway's to send, never a container's. */
	link_local_of(p.mac, &ll);
	if ((err = icmp6_drop(gb, &p, ND_ROUTER_ADVERT)) ||
	    (err = icmp6_drop(gb, &p, ND_REDIRECT)) ||
	    (err = nd_target_drop(gb, &p, ND_NEIGHBOR_ADVERT, has6 ? &a->ip6 : &any6, &ll)) ||
	    (err = nd_target_drop(gb, &p, ND_NEIGHBOR_SOLICIT, has6 ? &a->ip6 : &any6, &ll)))
		return err;
	if (has6 &&
	    (err = addr_rule(gb, &p, ETH_P_IPV6, IP6_SADDR_OFFSET, &a->ip6, NULL, sizeof(a->ip6))))
		return err;
	if ((err = addr_rule(gb, &p, ETH_P_IPV6, IP6_SADDR_OFFSET, &ll, NULL, sizeof(ll))) ||
	    (err = addr_rule(gb, &p, ETH_P_IPV6, IP6_SADDR_OFFSET, &any6, NULL, sizeof(any6))))
		return err;
	return 0;
}

static const struct nft_base_chain guard_chain = { .table = GUARD_TABLE,
						   .chain = GUARD_CHAIN,
						   .type = GUARD_TYPE,
						   .hook = NF_BR_PRE_ROUTING,
						   .prio = GUARD_PRIO };

/* The table written whole (made, deleted, made again with its chain), every port's rules, the
 * drop. */
static int guard_build(struct nft_batch *gb, const struct net_record *rec)
{
	struct nftnl_rule *drop = rule_new();
	int err;

	if (!drop || !nft_add_verdict(drop, NF_DROP)) {
		if (drop)
			nftnl_rule_free(drop);
		return -ENOMEM;
	}
	if ((err = nft_table_start(gb, &guard_chain, true))) {
		nftnl_rule_free(drop);
		return err;
	}
	for (size_t i = 0; i < rec->attached; i++)
		if ((err = port_rules(gb, rec, &rec->att[i]))) {
			nftnl_rule_free(drop);
			return err;
		}
	/* The last one acknowledged: an error in any of them comes back on its own. */
	batch_rule(gb, drop, NLM_F_ACK);
	return 0;
}

/* In a child joined to the infra: the table, written whole. */
static int guard_write(struct net_cfg *cfg, const struct net_record *rec, void *unused,
		       struct err *e)
{
	size_t rules = GUARD_RULES_FIXED +
		       rec->attached * (GUARD_RULES_PER4 + (rec->ipv6 ? GUARD_RULES_PER6 : 0));
	size_t size = (rules + GUARD_MSGS_FIXED) * GUARD_MSG_BYTES;
	struct nft_batch gb;
	int err;

	(void)cfg;
	(void)unused;
	if ((err = join_infra(rec, e))) {
		if (err != -ENOENT)
			return err;
		/* A dead infra: no bridge to guard; the one made in its place is written anew. */
		err_clear(e);
		return 0;
	}
	if (!(err = nft_begin(&gb, NFPROTO_BRIDGE, size)) && !(err = guard_build(&gb, rec)))
		err = nft_commit(&gb);
	nft_free(&gb);
	if (err)
		return err_errno(e, err, "nftables: the bridge ports' source addresses");
	/* Each container's range of masqueraded IPv6 ports follows the same record. */
	return rec->ipv6 && !rec->internal ? masq_write(rec, e) : 0;
}

/**
 * spoofguard_write() - Each bridge port of network @r's infra passes only its container's own
 * source addresses, from the record (every attachment, pending ones too), and on an IPv6
 * network each container's IPv6 leaves tap0 with its own source ports (masq.c); nothing when
 * the network has no infra
 * @cfg:	the state root; cfg->err on failure
 * @r:		the network
 *
 * Return: 0, or a negative errno
 */
int spoofguard_write(struct net_cfg *cfg, const struct net_record *r)
{
	if (!infra_exists(cfg, r->infra.name))
		return 0;
	return net_in_child(cfg, guard_write, r, NULL);
}
