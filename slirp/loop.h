/* The one epoll loop of rootlet-slirp: tap, libslirp's sockets and timers, API, exit fd. */
#ifndef ROOTLET_SLIRP_LOOP_H
#define ROOTLET_SLIRP_LOOP_H

#include <libslirp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct slirp_cfg;
struct apiserver;
struct gro;
struct hostfwd_table;

/* What an epoll event is about; the fd travels with it in the low 32 bits. */
enum loop_kind {
	LOOP_TAP = 1,
	LOOP_SLIRP,
	LOOP_API_LISTEN,
	LOOP_API_CLIENT,
	LOOP_EXIT,
	LOOP_SIGNAL
};

struct loop_fd {
	uint32_t gen;	     /* pollfds_fill round that last asked for it */
	int want;	     /* SLIRP_POLL_* asked for */
	uint32_t registered; /* epoll events it is registered with, 0 if not */
	int revents;	     /* SLIRP_POLL_* seen this round */
};

struct loop_timer {
	int64_t expire_ms; /* -1: not armed */
	SlirpTimerId id;
	void *cb_opaque;
	SlirpTimerCb cb; /* legacy timer_new() timers */
	struct loop_timer *next;
};

struct loop {
	int epfd;
	int tap_fd;
	int exit_fd;
	int signal_fd;
	unsigned mtu;
	bool vnet; /* frames on the tap start with a struct virtio_net_hdr */
	Slirp *slirp;
	struct apiserver *api;
	struct hostfwd_table *fwd; /* what API requests act on */
	struct loop_fd *fds;	   /* indexed by fd, for libslirp's sockets */
	int nfds;
	uint32_t gen;
	struct loop_timer *timers;
	bool quit;
	bool debug;
	unsigned busy_poll_us; /* --busy-poll */
	uint8_t *frame;	       /* one tap frame */
	struct gro *gro;       /* frames to the guest, held to merge */
};

int loop_init(struct loop *l, int tap_fd, int exit_fd, unsigned mtu, bool vnet);
int loop_watch(struct loop *l, enum loop_kind kind, int fd, uint32_t events);
void loop_unwatch(struct loop *l, int fd);
int loop_watch_api(void *ctx, int fd, uint32_t events, bool listener);
void loop_unwatch_api(void *ctx, int fd);
int loop_run(struct loop *l);
void loop_free(struct loop *l);

Slirp *stack_new(const struct slirp_cfg *cfg, struct loop *l);

struct gro *gro_new(bool vnet);
void gro_free(struct gro *g);
void gro_send(struct gro *g, int tap_fd, const void *f, size_t n);
void gro_flush(struct gro *g, int tap_fd);
bool gro_data_out(struct gro *g);

#endif
