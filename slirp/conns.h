/* The host sockets the guest makes libslirp hold: counted by guest source, bounded, reaped. */
#ifndef ROOTLET_SLIRP_CONNS_H
#define ROOTLET_SLIRP_CONNS_H

#include <libslirp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "burstlog.h"
#include "masq6.h"

#define CONNS_ADDR_LEN	    16 /* IPv6, or IPv4 mapped into it */
#define CONNS_CLOSING_SLOTS 1024
#define CONNS_REAP_MAX	    64

struct gro;

/* One guest address with host sockets, and how many. */
struct conns_source {
	uint8_t addr[CONNS_ADDR_LEN];
	unsigned count;
};

/* What made one of libslirp's fds: the guest's flow (by source), if a guest frame did. */
struct conns_owner {
	bool guest;
	uint8_t proto;
	uint16_t sport;
	uint8_t addr[CONNS_ADDR_LEN];
};

/* A TCP connection that libslirp closed first: what ends its TIME_WAIT early. */
struct conns_closing {
	bool used;
	bool guest_fin; /* the guest's FIN, acknowledging libslirp's, was seen */
	uint8_t key[2 * CONNS_ADDR_LEN +
		    4];	 /* guest address, remote address, guest and remote port */
	uint8_t eth[14]; /* the guest's Ethernet header, as it sends */
	int family;
	uint32_t slirp_fin_end; /* sequence after libslirp's FIN */
	uint32_t guest_fin_end; /* sequence after the guest's FIN */
};

struct conns_reap {
	int family;
	uint8_t key[2 * CONNS_ADDR_LEN + 4];
	uint8_t eth[14];
	uint32_t seq;
};

struct conns {
	unsigned max_sockets, max_per_source; /* 0: no limit */
	bool masq6; /* --masq6-subnet: sources counted by the shared network's split */
	struct masq6_split split;
	uint8_t guest6[CONNS_ADDR_LEN]; /* the infra's tap0, which its containers' IPv6 leaves as */
	unsigned total;			/* host sockets guest frames made, held now */
	struct conns_source *sources;
	size_t nsources, sources_cap;
	struct conns_owner *owners; /* by fd */
	int nowners;
	bool in_input; /* a guest frame is in slirp_input(): new sockets are its source's */
	struct conns_owner input;
	struct burstlog refusal_log; /* a burst of refusals is logged once */
	unsigned long refused;
	struct conns_closing *closing; /* CONNS_CLOSING_SLOTS, by hash of the flow */
	uint32_t seed;		       /* that hash's secret: no guest can aim at one slot */
	struct conns_reap reap[CONNS_REAP_MAX];
	int nreap;
	unsigned long reaped;
};

int conns_init(struct conns *c, unsigned max_sockets, unsigned max_per_source,
	       const struct masq6_split *masq6);
void conns_free(struct conns *c);
bool conns_from_guest(struct conns *c, const uint8_t *f, size_t n, struct gro *g, int tap_fd);
void conns_input_done(struct conns *c, Slirp *slirp);
void conns_to_guest(struct conns *c, const uint8_t *f, size_t n);
void conns_fd_new(struct conns *c, int fd);
void conns_fd_gone(struct conns *c, int fd);

#endif
