/* The caller's socket and its twin in the host's netns: made alike, put in its place. */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bypass.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL /* Linux 6.9: a pidfd of a thread that is not the leader */
#endif
#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif
#define FDINFO_MAX 256

/*
 * The caller's fd is taken with pidfd_getfd(): the same open file, so its family, type,
 * protocol, O_NONBLOCK and options are read from it directly. Its close-on-exec flag belongs
 * to the caller's fd table, not to the file: that one is read from /proc/PID/fdinfo, through
 * the /proc the daemon kept an fd of before its filesystem went.
 */
static int caller_cloexec(const struct bp_state *st, const struct bp_call *c, bool *ret)
{
	char path[64], text[FDINFO_MAX], *flags;
	unsigned long value;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%d/fdinfo/%d", c->pid, c->fd);
	fd = openat(st->proc_fd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	text[n] = '\0';
	flags = strstr(text, "flags:");
	if (!flags || sscanf(flags, "flags: %lo", &value) != 1)
		return -EIO;
	*ret = value & O_CLOEXEC;
	return 0;
}

static int sock_int(int fd, int level, int name, int *ret)
{
	socklen_t len = sizeof(*ret);

	return getsockopt(fd, level, name, ret, &len) < 0 ? -errno : 0;
}

/* Bound to a port, or an address, of its own: the caller chose its source; keep it inside. */
static bool sock_bound(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return true;
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)&ss;

		return in->sin_port || in->sin_addr.s_addr != htonl(INADDR_ANY);
	}
	if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)&ss;

		return in6->sin6_port || !IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr);
	}
	return true;
}

/**
 * twin_sock_get() - The caller's socket @c->fd, and what a twin of it must be
 * @st:		the daemon (its /proc, the host's netns cookie)
 * @c:		the call
 * @ret:	filled; ret->fd is ours to close
 *
 * Return: 0 on success, -ENOTSOCK if the fd is no socket, negative errno (the caller or its fd
 *	   gone)
 */
int twin_sock_get(struct bp_state *st, const struct bp_call *c, struct bp_sock *ret)
{
	uint64_t cookie;
	socklen_t len = sizeof(cookie);
	int pidfd, fl, err;

	memset(ret, 0, sizeof(*ret));
	pidfd = pidfd_open(c->pid, PIDFD_THREAD);
	if (pidfd < 0 && errno == EINVAL)
		pidfd = pidfd_open(c->pid, 0);
	if (pidfd < 0)
		return -errno;
	ret->fd = pidfd_getfd(pidfd, c->fd, 0);
	err = ret->fd < 0 ? -errno : 0;
	close(pidfd);
	if (err)
		return err;
	if ((err = sock_int(ret->fd, SOL_SOCKET, SO_DOMAIN, &ret->family)) ||
	    (err = sock_int(ret->fd, SOL_SOCKET, SO_TYPE, &ret->type)) ||
	    (err = sock_int(ret->fd, SOL_SOCKET, SO_PROTOCOL, &ret->protocol)))
		goto fail;
	if ((fl = fcntl(ret->fd, F_GETFL)) < 0) {
		err = -errno;
		goto fail;
	}
	ret->nonblock = fl & O_NONBLOCK;
	ret->host = !getsockopt(ret->fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) &&
		    cookie == st->host_cookie;
	ret->bound = sock_bound(ret->fd);
	if ((err = caller_cloexec(st, c, &ret->cloexec)))
		goto fail;
	return 0;
fail:
	close(ret->fd);
	ret->fd = -1;
	return err == -ENOPROTOOPT ? -ENOTSOCK : err;
}

/* Options a caller sets before connect() or bind() that change what the twin does. */
static const struct {
	int level, name;
	socklen_t len;
} copied[] = {
	{ SOL_SOCKET, SO_REUSEADDR, sizeof(int) },
	{ SOL_SOCKET, SO_KEEPALIVE, sizeof(int) },
	{ SOL_SOCKET, SO_BROADCAST, sizeof(int) },
	{ SOL_SOCKET, SO_OOBINLINE, sizeof(int) },
	{ SOL_SOCKET, SO_PRIORITY, sizeof(int) },
	{ SOL_SOCKET, SO_RCVLOWAT, sizeof(int) },
	{ SOL_SOCKET, SO_LINGER, sizeof(struct linger) },
	{ SOL_SOCKET, SO_RCVTIMEO, sizeof(struct timeval) },
	{ SOL_SOCKET, SO_SNDTIMEO, sizeof(struct timeval) },
	{ IPPROTO_TCP, TCP_NODELAY, sizeof(int) },
	{ IPPROTO_TCP, TCP_KEEPIDLE, sizeof(int) },
	{ IPPROTO_TCP, TCP_KEEPINTVL, sizeof(int) },
	{ IPPROTO_TCP, TCP_KEEPCNT, sizeof(int) },
	{ IPPROTO_TCP, TCP_USER_TIMEOUT, sizeof(int) },
	{ IPPROTO_IP, IP_TOS, sizeof(int) },
	{ IPPROTO_IP, IP_TTL, sizeof(int) },
	{ IPPROTO_IPV6, IPV6_V6ONLY, sizeof(int) },
	{ IPPROTO_IPV6, IPV6_TCLASS, sizeof(int) },
	{ IPPROTO_IPV6, IPV6_UNICAST_HOPS, sizeof(int) },
};

#define OPT_MAX 16 /* the largest option of copied[] */

/*
 * Each option is copied only where the caller's value differs from the twin's fresh one: a
 * default copied over would still count as set (a buffer size set stops the kernel's
 * autotuning), so buffer sizes go only when the caller set them.
 */
static void copy_options(int from, int to, int type)
{
	static const int bufs[] = { SO_SNDBUF, SO_RCVBUF };

	for (size_t i = 0; i < sizeof(copied) / sizeof(copied[0]); i++) {
		char a[OPT_MAX], b[OPT_MAX];
		socklen_t la = copied[i].len, lb = copied[i].len;

		if (copied[i].level == IPPROTO_TCP && type != SOCK_STREAM)
			continue;
		/* Shared ports are not for another user's taking: no SO_REUSEADDR on UDP. */
		if (copied[i].name == SO_REUSEADDR && copied[i].level == SOL_SOCKET &&
		    type != SOCK_STREAM)
			continue;
		if (getsockopt(from, copied[i].level, copied[i].name, a, &la) < 0 ||
		    getsockopt(to, copied[i].level, copied[i].name, b, &lb) < 0 || la != lb ||
		    !memcmp(a, b, la))
			continue;
		setsockopt(to, copied[i].level, copied[i].name, a, la);
	}
	for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++) {
		int a, b;

		if (sock_int(from, SOL_SOCKET, bufs[i], &a) ||
		    sock_int(to, SOL_SOCKET, bufs[i], &b) || a == b)
			continue;
		a /= 2; /* the kernel doubles what is set, for its bookkeeping */
		setsockopt(to, SOL_SOCKET, bufs[i], &a, sizeof(a));
	}
}

/**
 * twin_make() - A socket of the host's netns like @s: family, type, protocol, options
 * @s:		the caller's socket
 * @ret_fd:	the twin, non-blocking (connect() is waited for in the loop)
 *
 * Return: 0 on success, negative errno
 */
int twin_make(const struct bp_sock *s, int *ret_fd)
{
	int fd = socket(s->family, s->type | SOCK_NONBLOCK | SOCK_CLOEXEC, s->protocol);

	if (fd < 0)
		return -errno;
	copy_options(s->fd, fd, s->type);
	*ret_fd = fd;
	return 0;
}

/**
 * twin_install() - Put @twin in the caller's table as @c->fd, replacing its socket
 * @c:		the call, whose notification must still be pending
 * @s:		the caller's socket: its blocking mode and close-on-exec flag are kept
 * @twin:	ours, still ours to close after
 *
 * Return: 0 on success, -ENOENT if the call is no longer pending (the caller was interrupted
 *	   or is gone), negative errno
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

	if (!s->nonblock && fcntl(twin, F_SETFL, fcntl(twin, F_GETFL) & ~O_NONBLOCK) < 0)
		return -errno;
	if (!notif_pending(c->notify_fd, c->id))
		return -ENOENT;
	return ioctl(c->notify_fd, SECCOMP_IOCTL_NOTIF_ADDFD, &add) < 0 ? -errno : 0;
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
