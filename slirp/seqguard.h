/* The guest's TCP segments reach libslirp in order: a segment past a gap is dropped. */
#ifndef ROOTLET_SLIRP_SEQGUARD_H
#define ROOTLET_SLIRP_SEQGUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* guest and remote address (16 each), guest and remote port, the family (no IPv4 flow is the
 * IPv6 flow of its IPv4-compatible addresses) */
#define SEQGUARD_KEY_LEN 37

/* One TCP flow: where the guest's next byte must start. */
struct seqflow {
	uint8_t key[SEQGUARD_KEY_LEN];
	bool used;
	uint32_t next; /* the end of what went to libslirp, or libslirp's last ACK */
	uint32_t edge; /* the right edge of libslirp's window, from its last ACK */
	bool edge_known;
	uint32_t used_at; /* seqguard's clock when last seen: the least recent goes first */
};

struct seqguard {
	struct seqflow *flows; /* SEQGUARD_BUCKETS x SEQGUARD_WAYS */
	uint32_t seed;	       /* a secret hash seed: no guest can aim at a bucket */
	uint32_t clock;
	unsigned long dropped;
	int64_t last_ms; /* the last drop: a burst is logged once */
	unsigned mtu;	 /* libslirp's: it drops a longer IPv6 packet */
};

int seqguard_init(struct seqguard *g, unsigned mtu);
void seqguard_free(struct seqguard *g);
bool seqguard_from_guest(struct seqguard *g, const uint8_t *f, size_t n, bool csum_done);
void seqguard_to_guest(struct seqguard *g, const uint8_t *f, size_t n);

#endif
