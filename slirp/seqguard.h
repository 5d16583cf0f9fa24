/* The guest's TCP segments reach libslirp in order: a segment past a gap is dropped. */
#ifndef ROOTLET_SLIRP_SEQGUARD_H
#define ROOTLET_SLIRP_SEQGUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "burstlog.h"
#include "flows.h"

struct seqguard {
	struct flows flows; /* the flows libslirp holds a socket for, and their marks */
	bool in_input;	    /* a guest frame is in slirp_input(): new sockets are its flow's */
	bool pending;	    /* the frame is a SYN: a socket it opens is the flow's ... */
	uint8_t pending_key[FLOW_KEY_LEN];
	uint32_t pending_next; /* ... and this its mark */
	unsigned long dropped;
	struct burstlog log; /* a burst of drops is logged once */
	unsigned mtu;	     /* libslirp's: it drops a longer IPv6 packet */
};

int seqguard_init(struct seqguard *g, unsigned mtu);
void seqguard_free(struct seqguard *g);
bool seqguard_from_guest(struct seqguard *g, const uint8_t *f, size_t n, bool csum_done);
void seqguard_to_guest(struct seqguard *g, const uint8_t *f, size_t n);
void seqguard_input(struct seqguard *g, bool in);
void seqguard_fd_new(struct seqguard *g, int fd);
void seqguard_fd_gone(struct seqguard *g, int fd);

#endif
