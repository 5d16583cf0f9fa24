/* One nftables transaction (network/nft.c), for the infra's tables. */
#ifndef ROOTLET_NETWORK_NFT_H
#define ROOTLET_NETWORK_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mnl_nlmsg_batch;
struct nftnl_rule;

struct nft_batch {
	struct mnl_nlmsg_batch *b;
	char *buf;
	size_t size; /* the batch's limit; buf has room for one message past it */
	uint32_t seq;
	uint16_t family;
};

/* A table and its one base chain: `table FAMILY TABLE { chain CHAIN { type TYPE hook HOOK
 * priority PRIO; } }` */
struct nft_base_chain {
	const char *table, *chain, *type;
	uint32_t hook;
	int32_t prio;
};

int nft_begin(struct nft_batch *nb, uint16_t family, size_t size);
int nft_table_start(struct nft_batch *nb, const struct nft_base_chain *bc, bool replace);
void nft_rule(struct nft_batch *nb, uint16_t flags, struct nftnl_rule *r);
int nft_commit(struct nft_batch *nb);
void nft_free(struct nft_batch *nb);

/* nft_expr.c: each appends one expression to @r; false when it could not be made */
struct nftnl_expr;
bool nft_add_expr(struct nftnl_rule *r, struct nftnl_expr *e);
bool nft_add_payload(struct nftnl_rule *r, uint32_t base, uint32_t offset, uint32_t len);
bool nft_add_mask(struct nftnl_rule *r, const void *mask, uint32_t len);
bool nft_add_cmp(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len);
bool nft_add_eq(struct nftnl_rule *r, const void *data, uint32_t len);
bool nft_add_meta(struct nftnl_rule *r, uint32_t key);
bool nft_add_verdict(struct nftnl_rule *r, int verdict);

#endif
