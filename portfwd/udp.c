/* UDP forwards: a flow per client address, each with a connected socket inside the netns. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "portfwd.h"

/*
 * Theory of operation
 *
 * A UDP "connection" is the client's address: the first datagram from it makes a flow, whose
 * socket is made inside the netns and connected to the target, so replies come back on it
 * alone and the service sees the netns's address as the source. Datagrams move in batches of
 * UDP_BATCH with recvmmsg() and sendmmsg(). A flow idle for UDP_IDLE_MS is closed.
 */

#define UDP_BATCH   32
#define UDP_DGRAM   65536
#define UDP_IDLE_MS 60000

struct udp_flow {
	int fd;
	struct pf_listener *l;
	struct sockaddr_storage client;
	socklen_t client_len;
	int64_t last;
	struct udp_flow *next;
};

struct udp_batch {
	struct mmsghdr msgs[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	struct sockaddr_storage addrs[UDP_BATCH];
	uint8_t *bufs;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct udp_batch *batch_get(struct pf_state *st)
{
	struct udp_batch *b = st->udp_batch;

	if (b)
		return b;
	b = calloc(1, sizeof(*b));
	if (!b || !(b->bufs = malloc((size_t)UDP_BATCH * UDP_DGRAM))) {
		free(b);
		return NULL;
	}
	st->udp_batch = b;
	return b;
}

static void batch_reset(struct udp_batch *b, bool with_names)
{
	for (int i = 0; i < UDP_BATCH; i++) {
		b->iov[i] = (struct iovec){ .iov_base = b->bufs + (size_t)i * UDP_DGRAM,
					    .iov_len = UDP_DGRAM };
		b->msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &b->iov[i], .msg_iovlen = 1 };
		if (with_names) {
			b->msgs[i].msg_hdr.msg_name = &b->addrs[i];
			b->msgs[i].msg_hdr.msg_namelen = sizeof(b->addrs[i]);
		}
	}
}

static void flow_close(struct pf_state *st, struct udp_flow *f)
{
	for (struct udp_flow **p = (struct udp_flow **)&st->udp_flows; *p; p = &(*p)->next)
		if (*p == f) {
			*p = f->next;
			break;
		}
	pf_unwatch(st, f->fd);
	close(f->fd);
	free(f);
}

static struct udp_flow *flow_find(struct pf_state *st, struct pf_listener *l,
				  const struct sockaddr_storage *a, socklen_t alen)
{
	for (struct udp_flow *f = st->udp_flows; f; f = f->next)
		if (f->l == l && f->client_len == alen && !memcmp(&f->client, a, alen))
			return f;
	return NULL;
}

static struct udp_flow *flow_new(struct pf_state *st, struct pf_listener *l,
				 const struct sockaddr_storage *a, socklen_t alen)
{
	struct sockaddr_storage to;
	socklen_t tolen;
	struct udp_flow *f;
	int family = pf_target(st, l, &to, &tolen);

	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	if (l->fwd->reverse)
		f->fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	else
		f->fd = nsock_socket(&st->ns, family, SOCK_DGRAM, NSOCK_CONNECT);
	if (f->fd < 0 || connect(f->fd, (struct sockaddr *)&to, tolen) < 0 ||
	    pf_watch(st, f->fd, PF_UDP_FLOW, f, EPOLLIN)) {
		if (f->fd >= 0)
			close(f->fd);
		free(f);
		return NULL;
	}
	f->l = l;
	f->client = *a;
	f->client_len = alen;
	f->next = st->udp_flows;
	st->udp_flows = f;
	return f;
}

/**
 * udp_listener_event() - Datagrams from clients: into their flows, new flows as needed
 * @st:		the daemon
 * @l:		the UDP listener
 */
void udp_listener_event(struct pf_state *st, struct pf_listener *l)
{
	struct udp_batch *b = batch_get(st);
	int64_t now = now_ms();
	int n;

	if (!b)
		return;
	batch_reset(b, true);
	n = recvmmsg(l->fd, b->msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
	for (int i = 0; i < n; i++) {
		struct msghdr *h = &b->msgs[i].msg_hdr;
		struct udp_flow *f = flow_find(st, l, h->msg_name, h->msg_namelen);

		if (!f && !(f = flow_new(st, l, h->msg_name, h->msg_namelen)))
			continue;
		f->last = now;
		/* A full queue inside drops the datagram, as a network would. */
		if (send(f->fd, h->msg_iov->iov_base, b->msgs[i].msg_len, MSG_DONTWAIT) < 0)
			continue;
	}
}

/**
 * udp_flow_event() - Replies from inside: back to the flow's client, through the listener
 * @st:		the daemon
 * @flow:	the flow
 */
void udp_flow_event(struct pf_state *st, void *flow)
{
	struct udp_batch *b = batch_get(st);
	struct udp_flow *f = flow;
	int n;

	if (!b)
		return;
	batch_reset(b, false);
	n = recvmmsg(f->fd, b->msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return;
	for (int i = 0; i < n; i++) {
		b->iov[i].iov_len = b->msgs[i].msg_len;
		b->msgs[i].msg_hdr.msg_name = &f->client;
		b->msgs[i].msg_hdr.msg_namelen = f->client_len;
	}
	f->last = now_ms();
	sendmmsg(f->l->fd, b->msgs, (unsigned)n, MSG_DONTWAIT);
}

/**
 * udp_expire() - Close flows idle for UDP_IDLE_MS, and those of a closed listener
 * @st:		the daemon
 * @l:		close the flows of this listener whatever their age, or NULL
 *
 * Return: ms until the next flow would expire, or -1 if there is none
 */
int64_t udp_expire(struct pf_state *st, struct pf_listener *l)
{
	int64_t now = now_ms(), next = -1;
	struct udp_flow *f = st->udp_flows, *following;

	for (; f; f = following) {
		following = f->next;
		if (f->l == l || now - f->last >= UDP_IDLE_MS) {
			flow_close(st, f);
			continue;
		}
		if (next < 0 || f->last + UDP_IDLE_MS - now < next)
			next = f->last + UDP_IDLE_MS - now;
	}
	return next;
}

/**
 * udp_free() - Close every flow and the batch buffers
 * @st:		the daemon
 */
void udp_free(struct pf_state *st)
{
	while (st->udp_flows)
		flow_close(st, st->udp_flows);
	if (st->udp_batch) {
		free(((struct udp_batch *)st->udp_batch)->bufs);
		free(st->udp_batch);
		st->udp_batch = NULL;
	}
}
