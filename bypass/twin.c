/* The caller's socket and its twin in the host's netns: made alike, put in its place. */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bypass.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

static int sock_int(int fd, int level, int name, int *ret)
{
	socklen_t len = sizeof(*ret);

	return getsockopt(fd, level, name, ret, &len) < 0 ? -errno : 0;
}

/* Bound to a port, or an address, of its own: the caller chose its source; keep it inside. */
static bool sock_bound(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)ss;

		return in->sin_port || in->sin_addr.s_addr != htonl(INADDR_ANY);
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)ss;

		return in6->sin6_port || !IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr);
	}
	return true;
}

/**
 * twin_sock_get() - The caller's socket @c->fd, and what a twin of it must be
 * @st:		the daemon (its callers' pidfds, the host's netns cookie)
 * @c:		the call
 * @ret:	filled; ret->fd is ours to close
 *
 * The caller's fd is taken with pidfd_getfd(): the same open file, so its family, type,
 * protocol, netns and options are read from it directly: what a decision needs, and no more
 * (a call continued inside is answered sooner so). twin_sock_flags() adds what a twin needs.
 *
 * Return: 0 on success, -ENOTSOCK if the fd is no socket, -ETIMEDOUT if its copy was not had in
 *	   time (reader.c), negative errno (the caller or its fd gone)
 */
int twin_sock_get(struct bp_state *st, const struct bp_call *c, struct bp_sock *ret)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	uint64_t cookie;
	int err;

	memset(ret, 0, sizeof(*ret));
	if (st->fetched_err != -ECANCELED) {
		/* Copied with the address (notify.c), in the same round to the reader. */
		ret->fd = st->fetched_fd;
		err = st->fetched_err;
		st->fetched_fd = -1;
		st->fetched_err = -ECANCELED;
		if (err)
			return err;
	} else if ((err = procs_getfd(st, c->pid, c->fd, &ret->fd))) {
		return err;
	}
	if (getsockname(ret->fd, (struct sockaddr *)&ss, &len) < 0) {
		err = -errno;
		goto fail;
	}
	ret->family = ss.ss_family;
	if ((err = sock_int(ret->fd, SOL_SOCKET, SO_TYPE, &ret->type)) ||
	    (err = sock_int(ret->fd, SOL_SOCKET, SO_PROTOCOL, &ret->protocol)))
		goto fail;
	len = sizeof(cookie);
	ret->host = !getsockopt(ret->fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) &&
		    cookie == st->host_cookie;
	ret->bound = sock_bound(&ss);
	return 0;
fail:
	sock_release(ret->fd);
	ret->fd = -1;
	return err == -ENOPROTOOPT ? -ENOTSOCK : err;
}

/**
 * twin_sock_unknown() - Answer a call whose socket twin_sock_get() could not have
 * @st:		the daemon
 * @c:		the call
 * @err:	twin_sock_get()'s error
 *
 * Never continued while its caller waits: by the time the kernel ran the call, a twin may hold
 * that fd number (a thread dup2()ing one over it shows its /proc entry missing, ESRCH, now and
 * then). An fd that is no socket, or none, is answered as the kernel answers it (ENOTSOCK,
 * EBADF); a copy not had in time (-ETIMEDOUT, reader.c) EFAULT; anything else EAGAIN. A call
 * whose caller is gone is continued: no one waits for it, the kernel drops it.
 *
 * Return: 0 when answered, negative errno if the caller went away
 */
int twin_sock_unknown(struct bp_state *st, const struct bp_call *c, int err)
{
	if (err == -ENOTSOCK || err == -EBADF)
		return respond(st, c, err, false);
	if (!notif_pending(c->notify_fd, c->id))
		return respond(st, c, 0, true);
	st->n.refused++;
	return respond(st, c, err == -ETIMEDOUT ? -EFAULT : -EAGAIN, false);
}

/**
 * twin_sock_flags() - What a twin of @s must keep: O_NONBLOCK, and the fd's close-on-exec flag
 * @st:		the daemon
 * @c:		the call
 * @s:		from twin_sock_get(); its nonblock and cloexec set
 *
 * The close-on-exec flag belongs to the caller's fd table, not to the file: procs.c reads it
 * from /proc/PID/fdinfo.
 *
 * Return: 0 on success, negative errno
 */
int twin_sock_flags(struct bp_state *st, const struct bp_call *c, struct bp_sock *s)
{
	int fl = fcntl(s->fd, F_GETFL);

	if (fl < 0)
		return -errno;
	s->nonblock = fl & O_NONBLOCK;
	return procs_cloexec(st, c->pid, c->fd, &s->cloexec);
}

/*
 * Options a caller sets before connect() or bind() that change what the twin does; the few a
 * program sets at all. Buffer sizes go only when the caller set them: a default copied over
 * would count as set, and a set buffer size stops the kernel's autotuning.
 */
static const struct {
	int level, name;
	socklen_t len;
	int type; /* 0: any, else SOCK_STREAM or SOCK_DGRAM alone */
	int family;
} copied[] = {
	{ SOL_SOCKET, SO_REUSEADDR, sizeof(int), SOCK_STREAM, 0 }, /* never a UDP port shared */
	{ SOL_SOCKET, SO_KEEPALIVE, sizeof(int), SOCK_STREAM, 0 },
	{ SOL_SOCKET, SO_BROADCAST, sizeof(int), SOCK_DGRAM, 0 },
	{ SOL_SOCKET, SO_PRIORITY, sizeof(int), 0, 0 },
	{ SOL_SOCKET, SO_LINGER, sizeof(struct linger), SOCK_STREAM, 0 },
	{ SOL_SOCKET, SO_RCVTIMEO, sizeof(struct timeval), 0, 0 },
	{ SOL_SOCKET, SO_SNDTIMEO, sizeof(struct timeval), 0, 0 },
	{ SOL_SOCKET, SO_SNDBUF, sizeof(int), 0, 0 },
	{ SOL_SOCKET, SO_RCVBUF, sizeof(int), 0, 0 },
	{ IPPROTO_TCP, TCP_NODELAY, sizeof(int), SOCK_STREAM, 0 },
	{ IPPROTO_TCP, TCP_KEEPIDLE, sizeof(int), SOCK_STREAM, 0 },
	{ IPPROTO_TCP, TCP_KEEPINTVL, sizeof(int), SOCK_STREAM, 0 },
	{ IPPROTO_TCP, TCP_KEEPCNT, sizeof(int), SOCK_STREAM, 0 },
	{ IPPROTO_TCP, TCP_USER_TIMEOUT, sizeof(int), SOCK_STREAM, 0 },
	{ IPPROTO_IP, IP_TOS, sizeof(int), 0, AF_INET },
	{ IPPROTO_IPV6, IPV6_V6ONLY, sizeof(int), 0, AF_INET6 },
};

_Static_assert(sizeof(copied) / sizeof(copied[0]) <= BP_OPTS_MAX, "bp_defaults too small");

/**
 * twin_defaults_init() - Read a fresh twin's options once, per family and type
 * @st:		the daemon
 *
 * A caller's option equal to it needs no setting: the twin is made with it already. A set
 * buffer size reads back doubled; so does the default it is compared with.
 *
 * Return: 0 on success, negative errno
 */
int twin_defaults_init(struct bp_state *st)
{
	for (int v6 = 0; v6 < 2; v6++)
		for (int dgram = 0; dgram < 2; dgram++) {
			struct bp_defaults *d = &st->defaults[v6][dgram];
			int family = v6 ? AF_INET6 : AF_INET,
			    type = dgram ? SOCK_DGRAM : SOCK_STREAM;
			int fd = socket(family, type | SOCK_CLOEXEC, 0);

			if (fd < 0)
				return -errno;
			d->n = 0;
			for (size_t i = 0; i < sizeof(copied) / sizeof(copied[0]); i++) {
				socklen_t len = copied[i].len;

				if ((copied[i].type && copied[i].type != type) ||
				    (copied[i].family && copied[i].family != family) ||
				    getsockopt(fd, copied[i].level, copied[i].name,
					       d->opt[d->n].value, &len) < 0 ||
				    len != copied[i].len)
					continue;
				d->opt[d->n].level = copied[i].level;
				d->opt[d->n].name = copied[i].name;
				d->opt[d->n].len = len;
				d->n++;
			}
			close(fd);
		}
	return 0;
}

static void copy_options(const struct bp_defaults *d, int from, int to)
{
	for (int i = 0; i < d->n; i++) {
		char value[BP_OPTS_MAX];
		socklen_t len = d->opt[i].len;

		if (getsockopt(from, d->opt[i].level, d->opt[i].name, value, &len) < 0 ||
		    len != d->opt[i].len || !memcmp(value, d->opt[i].value, len))
			continue;
		if (d->opt[i].level == SOL_SOCKET &&
		    (d->opt[i].name == SO_SNDBUF || d->opt[i].name == SO_RCVBUF))
			*(int *)value /=
				2; /* the kernel doubles what is set, for its bookkeeping */
		setsockopt(to, d->opt[i].level, d->opt[i].name, value, len);
	}
}

/* The protocol a socket of @type gets by default: pooled twins have it. */
static int default_protocol(int type)
{
	return type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
}

/**
 * twin_pool_refill() - Make the twins the next calls will take, once a call is answered
 * @st:		the daemon
 *
 * Only of the kinds the policy makes twins of (UDP with host loopback allowed, TCP when
 * allowed or guarded): a socket of the host's netns held for nothing is one more thing to
 * steal, should anyone reach into us (isolate_undumpable() says why nobody can).
 */
void twin_pool_refill(struct bp_state *st)
{
	for (int v6 = 0; v6 < 2; v6++)
		for (int dgram = 0; dgram < 2; dgram++)
			while ((dgram ? st->pol.loopback : st->pol.tcp) &&
			       st->npool[v6][dgram] < BP_POOL) {
				int fd = socket(v6 ? AF_INET6 : AF_INET,
						(dgram ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK |
							SOCK_CLOEXEC,
						0);

				if (fd < 0)
					return;
				st->pool[v6][dgram][st->npool[v6][dgram]++] = fd;
			}
}

void twin_pool_free(struct bp_state *st)
{
	for (int v6 = 0; v6 < 2; v6++)
		for (int dgram = 0; dgram < 2; dgram++)
			while (st->npool[v6][dgram] > 0)
				close(st->pool[v6][dgram][--st->npool[v6][dgram]]);
}

/**
 * twin_make() - A socket of the host's netns like @s: family, type, protocol, options
 * @st:		the daemon (its pool, a fresh twin's options)
 * @s:		the caller's socket
 * @ret_fd:	the twin, non-blocking (connect() is waited for in the loop)
 *
 * Return: 0 on success, negative errno
 */
int twin_make(struct bp_state *st, const struct bp_sock *s, int *ret_fd)
{
	bool v6 = s->family == AF_INET6, dgram = s->type == SOCK_DGRAM;
	int fd;

	if (s->protocol == default_protocol(s->type) && st->npool[v6][dgram] > 0)
		fd = st->pool[v6][dgram][--st->npool[v6][dgram]];
	else
		fd = socket(s->family, s->type | SOCK_NONBLOCK | SOCK_CLOEXEC, s->protocol);
	if (fd < 0)
		return -errno;
	copy_options(&st->defaults[v6][dgram], s->fd, fd);
	*ret_fd = fd;
	return 0;
}

/**
 * twin_install() - Put @twin in the caller's table as @c->fd, replacing its socket
 * @c:		the call, whose notification must still be pending
 * @s:		the caller's socket: its blocking mode and close-on-exec flag are kept
 * @twin:	ours, still ours to close after
 *
 * The kernel installs the fd only while the call is pending (its id valid), under the same
 * lock as the answer: a caller interrupted or gone since gets nothing.
 *
 * Return: 0 on success, -ENOENT if the call is no longer pending, negative errno
 */
int twin_install(const struct bp_call *c, const struct bp_sock *s, int twin)
{
	struct seccomp_notif_addfd add = {
		.id = c->id,
		.flags = SECCOMP_ADDFD_FLAG_SETFD,
		.srcfd = (uint32_t)twin,
		.newfd = (uint32_t)c->fd,
		.newfd_flags = s->cloexec ? O_CLOEXEC : 0,
	};

	/* A socket's status flags are O_RDWR and O_NONBLOCK alone: 0 makes it blocking. */
	if (!s->nonblock && fcntl(twin, F_SETFL, 0) < 0)
		return -errno;
	return ioctl(c->notify_fd, SECCOMP_IOCTL_NOTIF_ADDFD, &add) < 0 ? -errno : 0;
}

/* Whether call @id still waits for our answer on @fd: its caller is the one it named. */
bool notif_pending(int fd, uint64_t id)
{
	return ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

/**
 * respond() - Answer a call: continue it into the netns, or return @error (0: success)
 * @st:		the daemon, for its counters (a continued call counts as passed)
 * @c:		the call
 * @error:	a negative errno, or 0
 * @cont:	let the call run in the caller, untouched
 *
 * Return: 0, or -ENOENT if the caller went away meanwhile (nothing to answer then)
 */
int respond(struct bp_state *st, const struct bp_call *c, int error, bool cont)
{
	struct seccomp_notif_resp resp = { .id = c->id };

	if (cont) {
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		st->n.passed++;
	} else {
		resp.error = error;
	}
	return ioctl(c->notify_fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 ? -errno : 0;
}
