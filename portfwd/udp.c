/* UDP forwards: a flow per client address, each with a connected socket inside the netns. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "monoclock.h"
#include "portfwd.h"
#include "sockaddr.h"
#include "sockdiag.h"

/*
 * Theory of operation
 *
 * A UDP "connection" is the client's address: the first datagram from it makes a flow, whose
 * socket is made inside the netns and connected to the target, so replies come back on it
 * alone and the service sees the netns's address as the source. Datagrams move in batches of
 * UDP_BATCH with recvmmsg() and sendmmsg().
 *
 * Flows are found by a hash of listener and client address (seeded at random, so that clients
 * cannot line up on one chain), and kept in a list from least to most recently used: a flow
 * idle for UDP_IDLE_MS is at the head, so expiry looks at the expired ones only. At
 * UDP_FLOWS_MAX flows the least recently used one makes room, as a NAT's table does: a flood
 * of source addresses costs a bounded number of sockets. Only the client's datagrams keep a
 * flow: the container's, however many, do not, so a flow its client left ends.
 *
 * A client is its address and port, and the port is free again once the client closes its
 * socket: whoever binds it next (another user's loopback-only service) would get the
 * container's datagrams, from the published port. So a flow of a published port (not of a
 * --reverse one, whose clients are inside) also knows its client's socket: when the flow is
 * made, the kernel is asked (NETLINK_SOCK_DIAG's exact UDP lookup, lib/sockdiag.c, the one
 * delivery makes on lo) which socket a datagram from the listener's address, as routing picks
 * it for the client, to the client's address would reach, and its cookie is kept (0: none, a
 * client that is not on this host, or that left already). Before each batch of replies the
 * same lookup is made: a different answer means the client's socket is gone (or another took the
 * port), and the flow is closed with its replies. A client's datagram to a flow is checked
 * the same way (once a batch): a new socket that was given a port a flow's client left, as
 * ephemeral ports are, gets a flow of its own rather than a closed one. The netlink socket is
 * opened before the sandbox (daemon.c); sendto and recvfrom are in the allow-list.
 */

#define UDP_BATCH	  32
#define UDP_DGRAM	  65536
#define UDP_IDLE_MS	  60000
#define UDP_FLOWS_MAX	  4096
#define UDP_BUCKETS_FIRST 64
#define UDP_LOAD	  2 /* flows per bucket before the table doubles */
#define FNV_OFFSET	  0xcbf29ce484222325ULL
#define FNV_PRIME	  0x100000001b3ULL

struct udp_flow {
	int fd;
	struct pf_listener *l;
	struct sockaddr_storage client;
	socklen_t client_len;
	int64_t last;		       /* the client's last datagram */
	bool guarded;		       /* replies go only to the socket below */
	uint64_t receiver;	       /* the cookie of the socket replies reach; 0: none */
	struct sockaddr_storage reply; /* where replies come from, for the lookup */
	uint64_t checked;	       /* the listener batch that last found it the same */
	uint64_t hash;
	struct udp_flow *chain;		/* next in the hash bucket */
	struct udp_flow *older, *newer; /* the use list */
};

struct udp_table {
	struct udp_flow **buckets;
	size_t nbuckets; /* a power of two */
	size_t count;
	uint64_t seed;
	struct udp_flow *oldest, *newest;
	uint64_t batch; /* the listeners' batches, counted */
	struct mmsghdr msgs[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	struct sockaddr_storage addrs[UDP_BATCH];
	uint8_t *bufs;
};

static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * FNV_PRIME;
	return h;
}

static uint64_t flow_hash(const struct udp_table *t, const struct pf_listener *l,
			  const struct sockaddr_storage *a, socklen_t alen)
{
	return fnv(fnv(FNV_OFFSET ^ t->seed, &l, sizeof(l)), a, alen);
}

static struct udp_flow **bucket(const struct udp_table *t, uint64_t hash)
{
	return &t->buckets[hash & (t->nbuckets - 1)];
}

/* The table, made on first use with its recvmmsg buffers. */
static struct udp_table *table_get(struct pf_state *st)
{
	struct udp_table *t = st->udp;

	if (t)
		return t;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->nbuckets = UDP_BUCKETS_FIRST;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	t->bufs = malloc((size_t)UDP_BATCH * UDP_DGRAM);
	if (!t->buckets || !t->bufs) {
		free(t->buckets);
		free(t->bufs);
		free(t);
		return NULL;
	}
	if (getrandom(&t->seed, sizeof(t->seed), GRND_NONBLOCK) != sizeof(t->seed))
		t->seed = (uint64_t)mono_ms();
	st->udp = t;
	return t;
}

/* Twice the buckets once the chains grow long; without memory, the chains just stay long. */
static void table_grow(struct udp_table *t)
{
	size_t n = t->nbuckets * 2;
	struct udp_flow **b = calloc(n, sizeof(*b));

	if (!b)
		return;
	for (size_t i = 0; i < t->nbuckets; i++)
		while (t->buckets[i]) {
			struct udp_flow *f = t->buckets[i];

			t->buckets[i] = f->chain;
			f->chain = b[f->hash & (n - 1)];
			b[f->hash & (n - 1)] = f;
		}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = n;
}

static void use_unlink(struct udp_table *t, struct udp_flow *f)
{
	if (f->older)
		f->older->newer = f->newer;
	else
		t->oldest = f->newer;
	if (f->newer)
		f->newer->older = f->older;
	else
		t->newest = f->older;
	f->older = f->newer = NULL;
}

static void use_append(struct udp_table *t, struct udp_flow *f)
{
	f->older = t->newest;
	f->newer = NULL;
	if (t->newest)
		t->newest->newer = f;
	else
		t->oldest = f;
	t->newest = f;
}

/* @f was used now: it goes to the young end of the list. */
static void flow_touch(struct udp_table *t, struct udp_flow *f, int64_t now)
{
	f->last = now;
	if (t->newest != f) {
		use_unlink(t, f);
		use_append(t, f);
	}
}

static void flow_close(struct pf_state *st, struct udp_table *t, struct udp_flow *f)
{
	struct udp_flow **p = bucket(t, f->hash);

	while (*p && *p != f)
		p = &(*p)->chain;
	if (*p)
		*p = f->chain;
	use_unlink(t, f);
	t->count--;
	evloop_unwatch(&st->ev, f->fd);
	close(f->fd);
	free(f);
}

static struct udp_flow *flow_find(struct udp_table *t, struct pf_listener *l,
				  const struct sockaddr_storage *a, socklen_t alen)
{
	uint64_t hash = flow_hash(t, l, a, alen);

	for (struct udp_flow *f = *bucket(t, hash); f; f = f->chain)
		if (f->hash == hash && f->l == l && f->client_len == alen &&
		    !memcmp(&f->client, a, alen))
			return f;
	return NULL;
}

/*
 * Where the listener's datagrams to @client come from: its own address, or the one routing
 * picks for @client when it is bound to a wildcard (a connected socket's, the same pick).
 */
static int reply_source(const struct pf_listener *l, const struct sockaddr_storage *client,
			struct sockaddr_storage *ret)
{
	static const struct in6_addr any6 = IN6ADDR_ANY_INIT;
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)ret;
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)ret;
	struct sockaddr_storage probe_addr;
	socklen_t len = sizeof(*ret);
	uint16_t port;
	int fd, err = 0;

	if (getsockname(l->fd, (struct sockaddr *)ret, &len) < 0)
		return -errno;
	if (ret->ss_family != client->ss_family)
		return -EAFNOSUPPORT;
	if ((ret->ss_family == AF_INET && a4->sin_addr.s_addr != htonl(INADDR_ANY)) ||
	    (ret->ss_family == AF_INET6 && memcmp(&a6->sin6_addr, &any6, sizeof(any6))))
		return 0;
	port = sockaddr_port(ret);
	fd = socket(client->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	len = sizeof(probe_addr);
	if (fd < 0 || connect(fd, (const struct sockaddr *)client, sockaddr_len(client)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&probe_addr, &len) < 0)
		err = -errno;
	if (fd >= 0)
		close(fd);
	if (err)
		return err;
	*ret = probe_addr;
	sockaddr_set_port(ret, port);
	return 0;
}

/* The cookie of the socket a reply to @f's client would reach now; 0 if none would. */
static int flow_receiver(const struct pf_state *st, const struct udp_flow *f, uint64_t *ret)
{
	int err = sockdiag_udp_receiver(st->diag_fd, &f->reply, &f->client, ret);

	if (err == -ENOENT) {
		*ret = 0;
		return 0;
	}
	return err;
}

/*
 * Whether a reply still reaches the socket it reached when @f was made (its client's); the
 * kernel's failure to say counts as no.
 */
static bool flow_receiver_same(const struct pf_state *st, const struct udp_flow *f)
{
	uint64_t cookie;

	return !f->guarded || (!flow_receiver(st, f, &cookie) && cookie == f->receiver);
}

/*
 * Whether @f is kept: a reply still reaches its client's socket. If not it is closed, @why
 * logged: another socket took the client's port, and gets none of the flow.
 */
static bool flow_kept(struct pf_state *st, struct udp_table *t, struct udp_flow *f, const char *why)
{
	char text[INET6_ADDRSTRLEN];

	if (flow_receiver_same(st, f))
		return true;
	log_debug(st->debug, "UDP flow of %s port %u: %s",
		  sockaddr_addr_text(&f->client, text, sizeof(text)), sockaddr_port(&f->client),
		  why);
	flow_close(st, t, f);
	return false;
}

static struct udp_flow *flow_new(struct pf_state *st, struct udp_table *t, struct pf_listener *l,
				 const struct sockaddr_storage *a, socklen_t alen)
{
	struct sockaddr_storage to;
	socklen_t tolen;
	struct udp_flow *f;
	int family = pf_target(st, l, &to, &tolen);
	struct udp_flow **b;

	if (t->count >= UDP_FLOWS_MAX)
		flow_close(st, t, t->oldest);
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	if (l->fwd->reverse)
		f->fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	else
		f->fd = nsock_socket(&st->ns, family, SOCK_DGRAM, NSOCK_CONNECT);
	if (f->fd < 0 || connect(f->fd, (struct sockaddr *)&to, tolen) < 0 ||
	    evloop_watch(&st->ev, f->fd, EPOLLIN, udp_flow_event, f)) {
		if (f->fd >= 0)
			close(f->fd);
		free(f);
		return NULL;
	}
	f->l = l;
	f->client = *a;
	f->client_len = alen;
	/* The kernel cannot say which socket the replies reach: no flow, the datagram dropped. */
	f->guarded = !l->fwd->reverse;
	if (f->guarded && (reply_source(l, a, &f->reply) || flow_receiver(st, f, &f->receiver))) {
		evloop_unwatch(&st->ev, f->fd);
		close(f->fd);
		free(f);
		return NULL;
	}
	f->hash = flow_hash(t, l, a, alen);
	if (t->count >= t->nbuckets * UDP_LOAD)
		table_grow(t);
	b = bucket(t, f->hash);
	f->chain = *b;
	*b = f;
	use_append(t, f);
	t->count++;
	return f;
}

static void batch_reset(struct udp_table *t, bool with_names)
{
	for (int i = 0; i < UDP_BATCH; i++) {
		t->iov[i] = (struct iovec){ .iov_base = t->bufs + (size_t)i * UDP_DGRAM,
					    .iov_len = UDP_DGRAM };
		t->msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &t->iov[i], .msg_iovlen = 1 };
		if (with_names) {
			t->msgs[i].msg_hdr.msg_name = &t->addrs[i];
			t->msgs[i].msg_hdr.msg_namelen = sizeof(t->addrs[i]);
		}
	}
}

/**
 * udp_listener_event() - Datagrams from clients: into their flows, new flows as needed
 * (evloop_fn)
 * @ev:		the daemon's loop
 * @listener:	the UDP listener
 * @fd:		its socket
 * @events:	epoll events
 */
void udp_listener_event(struct evloop *ev, void *listener, int fd, uint32_t events)
{
	struct pf_state *st = pf_of(ev);
	struct pf_listener *l = listener;
	struct udp_table *t = table_get(st);
	int64_t now = mono_ms();
	int n;

	(void)events;
	if (!t)
		return;
	batch_reset(t, true);
	n = recvmmsg(fd, t->msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
	t->batch++;
	for (int i = 0; i < n; i++) {
		struct msghdr *h = &t->msgs[i].msg_hdr;
		struct udp_flow *f = flow_find(t, l, h->msg_name, h->msg_namelen);

		if (f && f->checked != t->batch &&
		    !flow_kept(st, t, f, "a new socket has its port: a new flow"))
			f = NULL;
		if (!f && !(f = flow_new(st, t, l, h->msg_name, h->msg_namelen)))
			continue;
		f->checked = t->batch;
		flow_touch(t, f, now);
		/* A full queue inside drops the datagram, as a network would. */
		if (send(f->fd, h->msg_iov->iov_base, t->msgs[i].msg_len, MSG_DONTWAIT) < 0)
			continue;
	}
}

/**
 * udp_flow_event() - Replies from inside: back to the flow's client, through the listener
 * (evloop_fn)
 * @ev:		the daemon's loop
 * @flow:	the flow
 * @fd:		its socket
 * @events:	epoll events
 */
void udp_flow_event(struct evloop *ev, void *flow, int fd, uint32_t events)
{
	struct pf_state *st = pf_of(ev);
	struct udp_table *t = st->udp;
	struct udp_flow *f = flow;
	int n;

	(void)events;
	batch_reset(t, false);
	n = recvmmsg(fd, t->msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return;
	/* One batch, one client: a socket that took its port gets none of it. */
	if (!flow_kept(st, t, f,
		       "the socket a reply would reach is no longer its client's: "
		       "flow closed"))
		return;
	for (int i = 0; i < n; i++) {
		t->iov[i].iov_len = t->msgs[i].msg_len;
		t->msgs[i].msg_hdr.msg_name = &f->client;
		t->msgs[i].msg_hdr.msg_namelen = f->client_len;
	}
	/* No flow_touch(): the container's datagrams alone do not keep a flow its client left. */
	sendmmsg(f->l->fd, t->msgs, (unsigned)n, MSG_DONTWAIT);
}

/**
 * udp_expire() - Close flows idle for UDP_IDLE_MS, or every flow of a listener that closes
 * @st:		the daemon
 * @l:		close the flows of this listener whatever their age, or NULL
 *
 * Return: ms until the next flow would expire, or -1 if there is none
 */
int64_t udp_expire(struct pf_state *st, struct pf_listener *l)
{
	struct udp_table *t = st->udp;
	int64_t now;

	if (!t || !t->oldest)
		return -1;
	if (l) {
		for (struct udp_flow *f = t->oldest, *newer; f; f = newer) {
			newer = f->newer;
			if (f->l == l)
				flow_close(st, t, f);
		}
	}
	now = mono_ms();
	while (t->oldest && now - t->oldest->last >= UDP_IDLE_MS)
		flow_close(st, t, t->oldest);
	return t->oldest ? t->oldest->last + UDP_IDLE_MS - now : -1;
}

/**
 * udp_free() - Close every flow, free the table
 * @st:		the daemon
 */
void udp_free(struct pf_state *st)
{
	struct udp_table *t = st->udp;

	if (!t)
		return;
	while (t->oldest)
		flow_close(st, t, t->oldest);
	free(t->buckets);
	free(t->bufs);
	free(t);
	st->udp = NULL;
}
