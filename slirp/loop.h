/* rootlet-slirp on lib/evloop: the tap, libslirp's sockets and timers. */
#ifndef ROOTLET_SLIRP_LOOP_H
#define ROOTLET_SLIRP_LOOP_H

#include <libslirp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conns.h"
#include "fragguard.h"
#include "seqguard.h"
#include "evloop.h"

struct slirp_cfg;
struct apiserver;
struct gro;
struct hostfwd_table;

/* One of libslirp's fds: what it asked for and what epoll said. */
struct loop_fd {
	uint32_t gen;	     /* pollfds_fill round that last asked for it */
	int want;	     /* SLIRP_POLL_* asked for */
	uint32_t registered; /* epoll events it is registered with, 0 if not */
	int revents;	     /* SLIRP_POLL_* seen this round */
};

/* One of libslirp's timers on the loop. */
struct loop_timer {
	struct evloop_timer t;
	SlirpTimerId id;
	void *cb_opaque;
	SlirpTimerCb cb; /* legacy timer_new() timers */
	struct loop_timer *next;
};

/* libslirp's log lines, a burst at most logged (glog.c) */
struct glog_limit {
	bool debug;
	int64_t window_ms;
	unsigned lines, left_out;
	unsigned total; /* lines logged in all */
};

void glog_limit_install(struct glog_limit *g, bool debug);

struct loop {
	struct evloop ev;
	int tap_fd;
	int owner_fd; /* pidfd of the holder keeping a rootlet netns, or -1 */
	unsigned mtu;
	struct in_addr net, mask; /* the slirp network (--cidr) */
	bool vnet;		  /* frames on the tap start with a struct virtio_net_hdr */
	Slirp *slirp;
	struct apiserver *api;
	struct hostfwd_table *fwd; /* what API requests act on */
	struct loop_fd *fds;	   /* indexed by fd, for libslirp's sockets */
	int nfds;
	uint32_t gen;
	uint32_t slirp_timeout; /* libslirp's, from this round's pollfds_fill */
	struct loop_timer *timers;
	bool debug;
	uint8_t *frame;		/* one tap frame */
	struct gro *gro;	/* frames to the guest, held to merge */
	struct conns conns;	/* the host sockets the guest holds */
	struct fragguard frags; /* the guest's IP fragments, dropped */
	struct seqguard seqs;	/* the guest's TCP segments, in order */
	int diag_fd;		/* NETLINK_SOCK_DIAG, for udploop.c's replies; -1 if none */
	uint8_t guest_mac[6];	/* the last guest frame's source, for frames of our own */
	bool guest_mac_known;
	unsigned trim_peak; /* most sockets held since the heap was last trimmed */
	int64_t trimmed_ms; /* when it was */
	struct glog_limit glog;
};

int loop_init(struct loop *l, int tap_fd, int exit_fd, unsigned mtu, bool vnet);
void loop_slirp_fd_gone(struct loop *l, int fd);
void loop_timer_fire(struct evloop *ev, struct evloop_timer *t);
void loop_free(struct loop *l);

Slirp *stack_new(const struct slirp_cfg *cfg, struct loop *l);

struct gro *gro_new(bool vnet);
void gro_free(struct gro *g);
void gro_send(struct gro *g, int tap_fd, const void *f, size_t n);
void gro_flush(struct gro *g, int tap_fd);
bool gro_data_out(struct gro *g);

#endif
