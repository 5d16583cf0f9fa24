/* One nftables transaction through libnftnl and libmnl: begun, filled, ended, sent, and
 * acknowledged; what network/masq.c and network/spoofguard.c write goes through it. */
/* glibc's first: it tells the kernel's headers which of their definitions to leave out. */
#include <netinet/in.h>

#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "nft.h"

/**
 * nft_begin() - A transaction of @family's tables, its begin message written
 * @nb:		the batch; nft_free() frees it, also on failure
 * @family:	NFPROTO_IPV6, NFPROTO_BRIDGE, ...
 * @size:	room for its messages (the caller's bound of them)
 *
 * Return: 0, or -ENOMEM
 */
int nft_begin(struct nft_batch *nb, uint16_t family, size_t size)
{
	*nb = (struct nft_batch){ .family = family, .size = size, .seq = (uint32_t)time(NULL) };
	/* libmnl's batch wants room for one message past its limit. */
	if (!(nb->buf = malloc(size + MNL_SOCKET_BUFFER_SIZE)) ||
	    !(nb->b = mnl_nlmsg_batch_start(nb->buf, size)))
		return -ENOMEM;
	nftnl_batch_begin(mnl_nlmsg_batch_current(nb->b), nb->seq++);
	mnl_nlmsg_batch_next(nb->b);
	return 0;
}

/* The next message's header, for the caller's payload; nft_next() then closes it. */
static struct nlmsghdr *nft_msg(struct nft_batch *nb, uint16_t type, uint16_t flags)
{
	return nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(nb->b), type, nb->family, flags,
				     nb->seq++);
}

/* A table message (NFT_MSG_NEWTABLE, NFT_MSG_DELTABLE). */
static void nft_table(struct nft_batch *nb, uint16_t type, uint16_t flags,
		      const struct nftnl_table *t)
{
	nftnl_table_nlmsg_build_payload(nft_msg(nb, type, flags), t);
	mnl_nlmsg_batch_next(nb->b);
}

/* A new chain. */
static void nft_chain(struct nft_batch *nb, const struct nftnl_chain *c)
{
	nftnl_chain_nlmsg_build_payload(nft_msg(nb, NFT_MSG_NEWCHAIN, NLM_F_CREATE), c);
	mnl_nlmsg_batch_next(nb->b);
}

/**
 * nft_table_start() - A table and its base chain made; with @replace, whatever an older one
 * held goes: it is made (so that its delete cannot fail), deleted, and made again
 * @nb:		the batch
 * @bc:		the table and its chain
 * @replace:	written whole, rather than added to
 *
 * Return: 0, or -ENOMEM
 */
int nft_table_start(struct nft_batch *nb, const struct nft_base_chain *bc, bool replace)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nftnl_chain *c = nftnl_chain_alloc();

	if (!t || !c) {
		if (t)
			nftnl_table_free(t);
		if (c)
			nftnl_chain_free(c);
		return -ENOMEM;
	}
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, bc->table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, bc->table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, bc->chain);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, bc->type);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, bc->hook);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, bc->prio);
	nft_table(nb, NFT_MSG_NEWTABLE, NLM_F_CREATE, t);
	if (replace) {
		nft_table(nb, NFT_MSG_DELTABLE, 0, t);
		nft_table(nb, NFT_MSG_NEWTABLE, NLM_F_CREATE, t);
	}
	nft_chain(nb, c);
	nftnl_table_free(t);
	nftnl_chain_free(c);
	return 0;
}

/**
 * nft_rule() - A rule appended to its chain
 * @nb:		the batch
 * @flags:	NLM_F_ACK for the last one: an error in any of them comes back on its own
 * @r:		the rule (the caller's to free)
 */
void nft_rule(struct nft_batch *nb, uint16_t flags, struct nftnl_rule *r)
{
	nftnl_rule_nlmsg_build_payload(
		nft_msg(nb, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND | flags), r);
	mnl_nlmsg_batch_next(nb->b);
}

/**
 * nft_commit() - End the transaction, send it whole, and read its acknowledgement: all of it
 * is applied, or none
 * @nb:		the batch
 *
 * Return: 0, or the kernel's (or the socket's) negative errno
 */
int nft_commit(struct nft_batch *nb)
{
	struct mnl_socket *nl;
	/* The whole batch is one message of the socket: SO_SNDBUF bounds it (wmem_max). */
	int err = 0, sndbuf = (int)nb->size;
	unsigned portid;
	ssize_t n;

	nftnl_batch_end(mnl_nlmsg_batch_current(nb->b), nb->seq++);
	mnl_nlmsg_batch_next(nb->b);
	if (!(nl = mnl_socket_open(NETLINK_NETFILTER)))
		return -errno;
	if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)) ||
	    mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_sendto(nl, mnl_nlmsg_batch_head(nb->b), mnl_nlmsg_batch_size(nb->b)) < 0) {
		err = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	n = mnl_socket_recvfrom(nl, nb->buf, nb->size + MNL_SOCKET_BUFFER_SIZE);
	if (n < 0 || mnl_cb_run(nb->buf, (size_t)n, 0, portid, NULL, NULL) < 0)
		err = -errno;
out:
	mnl_socket_close(nl);
	return err;
}

/**
 * nft_free() - Free a batch
 * @nb:		from nft_begin()
 */
void nft_free(struct nft_batch *nb)
{
	if (nb->b)
		mnl_nlmsg_batch_stop(nb->b);
	free(nb->buf);
	nb->b = NULL;
	nb->buf = NULL;
}
