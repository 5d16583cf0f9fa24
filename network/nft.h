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

#endif
