/* libslirp: its configuration from ours, and the callbacks it drives the loop with. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "monoclock.h"
#include "slirp.h"

#define SLIRP_MRU_TSO SLIRP_MAX_MTU

/* A frame from libslirp to the guest, written or held to merge (gro.c). */
static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
	struct loop *l = opaque;

	conns_to_guest(&l->conns, buf, len);
	seqguard_to_guest(&l->seqs, buf, len);
	gro_send(l->gro, l->tap_fd, buf, len);
	return (ssize_t)len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
	struct loop *l = opaque;

	log_debug(l->debug, "guest error: %s", msg);
}

static int64_t cb_clock_get_ns(void *opaque)
{
	(void)opaque;
	return mono_ns();
}

static struct loop_timer *timer_add(struct loop *l)
{
	struct loop_timer *t = calloc(1, sizeof(*t));

	if (!t)
		abort(); /* libslirp has no way to hear of this failure */
	t->t.fn = loop_timer_fire;
	t->t.expire_ms = -1;
	t->next = l->timers;
	l->timers = t;
	return t;
}

static void *cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	struct loop_timer *t = timer_add(opaque);

	t->cb = cb;
	t->cb_opaque = cb_opaque;
	return t;
}

static void *cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
	struct loop_timer *t = timer_add(opaque);

	t->id = id;
	t->cb_opaque = cb_opaque;
	return t;
}

static void cb_timer_free(void *timer, void *opaque)
{
	struct loop *l = opaque;

	for (struct loop_timer **p = &l->timers; *p; p = &(*p)->next)
		if (*p == timer) {
			*p = ((struct loop_timer *)timer)->next;
			evloop_timer_remove(&l->ev, &((struct loop_timer *)timer)->t);
			free(timer);
			return;
		}
}

static void cb_timer_mod(void *timer, int64_t expire_time, void *opaque)
{
	struct loop *l = opaque;

	evloop_timer_arm(&l->ev, &((struct loop_timer *)timer)->t, expire_time);
}

/* A new socket of libslirp's: whatever epoll knew of a former fd of that number is void. */
static void cb_register_poll_fd(int fd, void *opaque)
{
	struct loop *l = opaque;

	if (fd >= 0 && fd < l->nfds)
		l->fds[fd].registered = 0;
	conns_fd_new(&l->conns, fd);
	seqguard_fd_new(&l->seqs, fd);
}

static void cb_unregister_poll_fd(int fd, void *opaque)
{
	struct loop *l = opaque;

	conns_fd_gone(&l->conns, fd);
	seqguard_fd_gone(&l->seqs, fd);
	loop_slirp_fd_gone(l, fd);
}

static void cb_notify(void *opaque)
{
	(void)opaque; /* one thread: the loop polls again anyway */
}

static const SlirpCb stack_callbacks = {
	.send_packet = cb_send_packet,
	.guest_error = cb_guest_error,
	.clock_get_ns = cb_clock_get_ns,
	.timer_new = cb_timer_new,
	.timer_free = cb_timer_free,
	.timer_mod = cb_timer_mod,
	.register_poll_fd = cb_register_poll_fd,
	.unregister_poll_fd = cb_unregister_poll_fd,
	.notify = cb_notify,
	.timer_new_opaque = cb_timer_new_opaque,
};

/**
 * stack_new() - Make the libslirp instance for the configuration
 * @cfg:	configuration
 * @l:		the loop, libslirp's callbacks' opaque
 *
 * Return: the instance, or NULL
 */
Slirp *stack_new(const struct slirp_cfg *cfg, struct loop *l)
{
	struct slirp_addrs a;
	SlirpConfig sc = {
		.version = SLIRP_CONFIG_VERSION_MAX < 4 ? SLIRP_CONFIG_VERSION_MAX : 4,
		.restricted = 0,
		.in_enabled = true,
		.vnetwork = cfg->net,
		.vnetmask = cfg->mask,
		.in6_enabled = cfg->enable_ipv6,
		.vprefix_len = SLIRP_PREFIX6,
		.if_mtu = cfg->mtu,
		/* The guest's TSO segments exceed the MTU; libslirp still sends MTU-sized ones. */
		.if_mru = slirp_tap_vnet(cfg) ? SLIRP_MRU_TSO : cfg->mtu,
		.disable_host_loopback = cfg->disable_host_loopback,
		.outbound_addr = cfg->have_outbound ? (struct sockaddr_in *)&cfg->outbound : NULL,
		.outbound_addr6 =
			cfg->have_outbound6 ? (struct sockaddr_in6 *)&cfg->outbound6 : NULL,
		.disable_dns = cfg->disable_dns,
	};

	slirp_addrs_derive(cfg, &a);
	sc.vhost = a.host;
	sc.vdhcp_start = a.dhcp;
	sc.vnameserver = a.dns;
	sc.vprefix_addr6 = a.prefix6;
	sc.vhost6 = a.host6;
	sc.vnameserver6 = a.dns6;
	return slirp_new(&sc, &stack_callbacks, l);
}
