/* TCP relay: a connection accepted on the host, one made inside the netns, spliced together. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "portfwd.h"
#include "sockaddr.h"

/*
 * Theory of operation
 *
 * Each direction has a pipe: splice() moves bytes from the source socket into it and from it
 * into the destination socket without copying them through user space. Both sockets are in
 * the epoll set edge-triggered. Each direction remembers whether its source may have data
 * and its destination may take some: an edge sets the flag, EAGAIN clears it, and an event
 * pumps until no direction with both moves. So a 64-byte message costs three splices (in,
 * out, and the EAGAIN that proves the source dry), not a try of every socket each time. A
 * full pipe or a destination that takes no more stops reading (backpressure), and the next
 * EPOLLOUT resumes it. End of file on one side, once its pipe is drained, becomes a shutdown
 * of the other side's write half, so half-closed connections work. A reset on one side
 * resets the other.
 */

#define RELAY_EVENTS (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET)
#ifndef RELAY_PIPE_SIZE
#define RELAY_PIPE_SIZE (256 * 1024)
#endif

struct relay_dir {
	int pipe[2];
	size_t queued; /* bytes in the pipe */
	bool readable; /* the source may have data: no EAGAIN since its last edge */
	bool writable; /* the destination may take some */
	bool eof;      /* the source said end of file */
	bool shut;     /* the destination's write side is shut */
};

struct relay_conn {
	int cfd; /* client, host side */
	int sfd; /* server side, in the netns */
	bool connecting;
	struct relay_dir up;   /* client to server */
	struct relay_dir down; /* server to client */
};

static int pipe_new(struct relay_dir *d)
{
	if (pipe2(d->pipe, O_NONBLOCK | O_CLOEXEC) < 0)
		return -errno;
	/* Larger pipes move more per splice; past the user's pipe quota the default stays. */
	fcntl(d->pipe[1], F_SETPIPE_SZ, RELAY_PIPE_SIZE);
	return 0;
}

/* A pipe for one direction, from the pool when it has one. */
static int pipe_take(struct pf_state *st, struct relay_dir *d)
{
	if (!st->n_pipes)
		return pipe_new(d);
	st->n_pipes--;
	d->pipe[0] = st->pipes[st->n_pipes][0];
	d->pipe[1] = st->pipes[st->n_pipes][1];
	return 0;
}

/* An empty pipe goes back to the pool while it has room; one with bytes in it is closed. */
static void pipe_give(struct pf_state *st, struct relay_dir *d)
{
	if (d->pipe[0] < 0)
		return;
	if (!d->queued && st->n_pipes < PF_PIPE_POOL) {
		st->pipes[st->n_pipes][0] = d->pipe[0];
		st->pipes[st->n_pipes][1] = d->pipe[1];
		st->n_pipes++;
		return;
	}
	close(d->pipe[0]);
	close(d->pipe[1]);
}

static void conn_free(struct pf_state *st, struct relay_conn *c, bool reset)
{
	static const struct linger rst = { .l_onoff = 1, .l_linger = 0 };

	if (reset) {
		setsockopt(c->cfd, SOL_SOCKET, SO_LINGER, &rst, sizeof(rst));
		setsockopt(c->sfd, SOL_SOCKET, SO_LINGER, &rst, sizeof(rst));
	}
	/* Closing them takes them out of the epoll set: nothing else holds them. */
	evloop_forget(&st->ev, c->cfd);
	evloop_forget(&st->ev, c->sfd);
	if (c->cfd >= 0)
		close(c->cfd);
	if (c->sfd >= 0)
		close(c->sfd);
	pipe_give(st, &c->up);
	pipe_give(st, &c->down);
	free(c);
}

/* Moves what it can from @src to @dst; returns 1 on progress, 0 if none, negative errno. */
static int dir_pump(struct relay_dir *d, int src, int dst, size_t *relayed)
{
	int moved = 0;
	ssize_t n;

	if (!d->eof && d->readable) {
		n = splice(src, NULL, d->pipe[1], NULL, 1 << 20, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n > 0) {
			d->queued += (size_t)n;
			moved = 1;
		} else if (n == 0) {
			d->eof = true;
			moved = 1;
		} else if (errno == EAGAIN) {
			/* Dry, or the pipe is full: an edge, or the pipe's draining below, says
			 * retry. */
			d->readable = false;
		} else {
			return -errno;
		}
	}
	if (d->queued && d->writable) {
		n = splice(d->pipe[0], NULL, dst, NULL, d->queued,
			   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n > 0) {
			d->queued -= (size_t)n;
			*relayed += (size_t)n;
			d->readable = true; /* room in the pipe again */
			moved = 1;
		} else if (n < 0 && errno == EAGAIN) {
			d->writable = false;
		} else if (n < 0) {
			return -errno;
		}
	}
	if (d->eof && !d->queued && !d->shut) {
		shutdown(dst, SHUT_WR);
		d->shut = true;
		moved = 1;
	}
	return moved;
}

static void conn_pump(struct pf_state *st, struct relay_conn *c)
{
	int up, down;

	do {
		up = dir_pump(&c->up, c->cfd, c->sfd, &st->relayed_bytes);
		down = dir_pump(&c->down, c->sfd, c->cfd, &st->relayed_bytes);
		if (up < 0 || down < 0) {
			log_debug(st->debug, "connection reset: %s",
				  strerror(-(up < 0 ? up : down)));
			conn_free(st, c, true);
			return;
		}
	} while (up || down);
	if (c->up.shut && c->down.shut)
		conn_free(st, c, false);
}

/**
 * relay_refill() - Top up what the next connections take: sockets inside, pipes
 * @st:		the daemon
 *
 * The loop calls it once its events are handled, so that a new connection costs neither a
 * round trip to the netns thread nor making two pipes. Nothing is made before the first
 * relayed connection.
 */
void relay_refill(struct pf_state *st)
{
	struct relay_dir d = { .pipe = { -1, -1 } };

	if (!st->relayed)
		return;
	nsock_refill(&st->ns);
	while (st->n_pipes < PF_PIPE_POOL && !pipe_new(&d))
		pipe_give(st, &d);
}

/**
 * pf_target() - Where a listener's connections (or flows) go inside the netns
 * @st:		the daemon
 * @l:		the listener
 * @ret:	the address and port
 * @ret_len:	its length
 *
 * The family of the host address when the netns has an address of it, else the other;
 * IPv4 first for a dual-stack listener.
 *
 * Return: the family
 */
int pf_target(struct pf_state *st, const struct pf_listener *l, struct sockaddr_storage *ret,
	      socklen_t *ret_len)
{
	int family = l->fwd->spec.host.ss_family;

	/* Both families come in on a dual-stack listener: IPv4 inside, as podman's ChildIP. */
	if (l->fwd->spec.dual)
		family = AF_INET;
	if (l->fwd->reverse) {
		/* Reverse: the host's loopback of the listener's family, at PORT. */
		memset(ret, 0, sizeof(*ret));
		if (family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)ret;

			sin->sin_family = AF_INET;
			sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			sin->sin_port = htons(l->port);
			*ret_len = sizeof(*sin);
		} else {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ret;

			sin6->sin6_family = AF_INET6;
			sin6->sin6_addr = in6addr_loopback;
			sin6->sin6_port = htons(l->port);
			*ret_len = sizeof(*sin6);
		}
		return family;
	}
	if (family == AF_INET6 && !st->ns.has6)
		family = AF_INET;
	if (family == AF_INET && !st->ns.has4)
		family = AF_INET6;
	memset(ret, 0, sizeof(*ret));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ret;

		sin->sin_family = AF_INET;
		sin->sin_addr = st->ns.target4;
		sin->sin_port = htons(l->port);
		*ret_len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ret;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = st->ns.target6;
		sin6->sin6_port = htons(l->port);
		*ret_len = sizeof(*sin6);
	}
	return family;
}

/*
 * --source-ip: a client with an address of its own (not loopback, not link-local) is
 * connected from that address, port left to the kernel, to the service on the netns's
 * loopback (srcip.c says why that comes back). Clients on the host's loopback keep the
 * default path: inside, 127.0.0.1 must never stand for somebody outside (podman's
 * CVE-2021-20199). Returns true with *from and *to set for a transparent connection.
 */
static bool source_ip_route(const struct pf_state *st, const struct pf_listener *l,
			    const struct sockaddr_storage *client, struct sockaddr_storage *from,
			    struct sockaddr_storage *to)
{
	const struct sockaddr_in6 *c6 = (const struct sockaddr_in6 *)client;

	if (!st->source_ip || l->fwd->reverse)
		return false;
	memset(from, 0, sizeof(*from));
	memset(to, 0, sizeof(*to));
	if (client->ss_family == AF_INET6 && !IN6_IS_ADDR_V4MAPPED(&c6->sin6_addr)) {
		struct sockaddr_in6 *f6 = (struct sockaddr_in6 *)from,
				    *t6 = (struct sockaddr_in6 *)to;

		if (!st->ns.transparent6 || IN6_IS_ADDR_LOOPBACK(&c6->sin6_addr) ||
		    IN6_IS_ADDR_LINKLOCAL(&c6->sin6_addr) ||
		    IN6_IS_ADDR_UNSPECIFIED(&c6->sin6_addr))
			return false;
		f6->sin6_family = t6->sin6_family = AF_INET6;
		f6->sin6_addr = c6->sin6_addr;
		t6->sin6_addr = in6addr_loopback;
		t6->sin6_port = htons(l->port);
	} else {
		struct sockaddr_in *f4 = (struct sockaddr_in *)from, *t4 = (struct sockaddr_in *)to;

		if (client->ss_family == AF_INET)
			f4->sin_addr = ((const struct sockaddr_in *)client)->sin_addr;
		else /* ::ffff:a.b.c.d on a dual-stack listener */
			memcpy(&f4->sin_addr, &c6->sin6_addr.s6_addr[12], sizeof(f4->sin_addr));
		if (!st->ns.transparent4 || !f4->sin_addr.s_addr ||
		    (ntohl(f4->sin_addr.s_addr) >> 24) == IN_LOOPBACKNET)
			return false;
		f4->sin_family = t4->sin_family = AF_INET;
		t4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		t4->sin_port = htons(l->port);
	}
	return true;
}

/**
 * relay_accept() - Take every pending connection of a listener and start relaying each
 * (evloop_fn)
 * @ev:		the daemon's loop
 * @listener:	the listener
 * @fd:		its socket
 * @events:	epoll events
 */
void relay_accept(struct evloop *ev, void *listener, int fd, uint32_t events)
{
	struct pf_state *st = pf_of(ev);
	struct pf_listener *l = listener;
	struct sockaddr_storage client;
	socklen_t clen = sizeof(client);
	int cfd;

	(void)events;
	while ((cfd = accept4(fd, (struct sockaddr *)&client, &clen,
			      SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		struct sockaddr_storage to, from;
		struct relay_conn *c = calloc(1, sizeof(*c));
		bool transparent = source_ip_route(st, l, &client, &from, &to);
		socklen_t tolen = sizeof(to);
		int family = transparent ? to.ss_family : pf_target(st, l, &to, &tolen);

		clen = sizeof(client);

		st->relayed = st->accepted = true;
		if (!c) {
			close(cfd);
			continue;
		}
		c->sfd = -1;
		c->cfd = cfd;
		c->up.pipe[0] = c->up.pipe[1] = c->down.pipe[0] = c->down.pipe[1] = -1;
		if (pipe_take(st, &c->up) || pipe_take(st, &c->down)) {
			conn_free(st, c, true);
			continue;
		}
		if (l->fwd->reverse)
			c->sfd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		else
			c->sfd = nsock_socket(&st->ns, family, SOCK_STREAM,
					      transparent ? NSOCK_TRANSPARENT : NSOCK_CONNECT);
		if (c->sfd < 0) {
			c->sfd = -1;
			conn_free(st, c, true);
			continue;
		}
		if (transparent &&
		    bind(c->sfd, (struct sockaddr *)&from, sockaddr_len(&from)) < 0) {
			log_debug(st->debug, "binding the client's address: %s", strerror(errno));
			conn_free(st, c, true);
			continue;
		}
		if (transparent)
			tolen = sockaddr_len(&to);
		if (connect(c->sfd, (struct sockaddr *)&to, tolen) < 0 && errno != EINPROGRESS) {
			conn_free(st, c, true);
			continue;
		}
		c->connecting = true;
		c->up.readable = c->up.writable = c->down.readable = c->down.writable = true;
		if (evloop_watch(ev, c->cfd, RELAY_EVENTS, relay_event, c) ||
		    evloop_watch(ev, c->sfd, RELAY_EVENTS, relay_event, c))
			conn_free(st, c, true);
	}
}

/**
 * relay_event() - Readiness on either socket of a connection (evloop_fn)
 * @ev:		the daemon's loop
 * @conn:	the connection
 * @fd:		the socket
 * @events:	epoll events
 */
void relay_event(struct evloop *ev, void *conn, int fd, uint32_t events)
{
	struct pf_state *st = pf_of(ev);
	struct relay_conn *c = conn;
	struct relay_dir *from = fd == c->cfd ? &c->up : &c->down;
	struct relay_dir *to = fd == c->cfd ? &c->down : &c->up;
	struct sockaddr_storage peer;
	socklen_t len = sizeof(int), plen = sizeof(peer);
	int err = 0;

	/* An error or hang-up is read as such, by the splice from this socket. */
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		from->readable = true;
	if (events & EPOLLOUT)
		to->writable = true;
	if (c->connecting) {
		if (getsockopt(c->sfd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
			conn_free(st, c, true);
			return;
		}
		/* No peer yet: the event was the client's; its data waits for the connect. */
		if (getpeername(c->sfd, (struct sockaddr *)&peer, &plen) < 0)
			return;
		c->connecting = false;
	}
	conn_pump(st, c);
}
