/* The TCP flows libslirp holds a host socket for: by that socket and by the flow. */
#ifndef ROOTLET_SLIRP_FLOWS_H
#define ROOTLET_SLIRP_FLOWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* guest and remote address (16 each), guest and remote port, the family (no IPv4 flow is the
 * IPv6 flow of its IPv4-compatible addresses) */
#define FLOW_KEY_LEN 37

enum flow_state {
	FLOW_NONE,	/* no socket of libslirp's at this fd */
	FLOW_UNCLAIMED, /* a socket opened on no guest frame: a forward's, until its SYN */
	FLOW_LIVE,	/* the socket of the flow @key */
};

/* One of libslirp's sockets, and the guard's mark on its flow. */
struct flow {
	uint8_t key[FLOW_KEY_LEN];
	uint8_t state;	 /* enum flow_state */
	bool mark_known; /* the handshake set @next */
	bool edge_known;
	int chain;	  /* the next fd in the same bucket, or -1 */
	uint32_t next;	  /* the end of what went to libslirp, or libslirp's last ACK */
	uint32_t edge;	  /* the right edge of libslirp's window, from its last ACK */
	bool sent_known;  /* libslirp has sent the guest a frame of the flow: @sent, @floor set */
	bool floor_acked; /* a segment acknowledging @floor passed: libslirp's handshake is done */
	uint32_t sent;	  /* the end of what libslirp has sent the guest on the flow */
	uint32_t floor;	  /* the end of libslirp's SYN (or its first frame's start, if no SYN) */
};

struct flows {
	struct flow *byfd; /* indexed by fd */
	int nfd;
	int *buckets; /* first fd of each, or -1 */
	size_t nbuckets;
	size_t live;
	unsigned unclaimed;
	int last_unclaimed; /* the socket that became unclaimed last */
	uint32_t seed;	    /* a secret hash seed: no guest can aim at a bucket */
};

int flows_init(struct flows *t);
void flows_free(struct flows *t);
struct flow *flows_find(const struct flows *t, const uint8_t *key);
struct flow *flows_add(struct flows *t, int fd, const uint8_t *key);
void flows_gone(struct flows *t, int fd);
struct flow *flows_claim(struct flows *t, const uint8_t *key, uint16_t remote_port);

#endif
