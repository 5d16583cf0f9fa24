/* The thread that lives in the target netns and makes sockets there for the main thread. */
#include <arpa/inet.h>
#include <cap-ng.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "portfwd.h"

/*
 * Theory of operation
 *
 * A socket belongs to the netns of the thread that made it, for its whole life, whatever thread
 * uses it later. So one thread joins the target netns (namespaces are per thread for setns()
 * of a netns; the process already joined the owning userns while it had one thread, since that
 * join is per process) and makes sockets on request; the main thread, still in the host netns,
 * connects them and relays. No second process, no fd passing: the fd table is shared.
 */

struct nsock_req {
	int family;
	int type;
	bool transparent;
	int count; /* sockets wanted, at most NSOCK_POOL */
};

struct nsock_hello {
	int err;
	bool has4, has6;
	bool transparent4, transparent6;
	struct in_addr a4;
	struct in6_addr a6;
};

struct nsock_start_arg {
	int sock;
	int net_fd;
	const char *target;
	bool source_ip;
};

/* The first global address of each family: where connections from outside go by default. */
static void find_targets(struct nsock_hello *h)
{
	struct ifaddrs *ifa, *i;

	if (getifaddrs(&ifa) < 0)
		return;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr)
			continue;
		if (!h->has4 && i->ifa_addr->sa_family == AF_INET) {
			struct in_addr a = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;

			/* Never loopback: the service would take outside clients for local ones. */
			if ((ntohl(a.s_addr) >> 24) == IN_LOOPBACKNET)
				continue;
			h->a4 = a;
			h->has4 = true;
		} else if (!h->has6 && i->ifa_addr->sa_family == AF_INET6) {
			struct in6_addr a = ((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;

			if (IN6_IS_ADDR_LOOPBACK(&a) || IN6_IS_ADDR_LINKLOCAL(&a))
				continue;
			h->a6 = a;
			h->has6 = true;
		}
	}
	freeifaddrs(ifa);
}

/* Lets @fd bind the outside client's address, which is not one of the netns's. */
static int transparent_on(int fd, int family)
{
	static const int on = 1;

	if (family == AF_INET)
		return setsockopt(fd, SOL_IP, IP_TRANSPARENT, &on, sizeof(on));
	return setsockopt(fd, SOL_IPV6, IPV6_TRANSPARENT, &on, sizeof(on));
}

/* One socket as @req asks; negative errno on failure. */
static int make_socket(const struct nsock_req *req)
{
	static const int on = 1;
	int fd = socket(req->family, req->type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), err;

	if (fd < 0)
		return -errno;
	if (req->transparent && transparent_on(fd, req->family)) {
		err = -errno;
		close(fd);
		return err;
	}
	/* A relay passes segments on as they come: the endpoints chose their own Nagle. */
	if (req->type == SOCK_STREAM)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	return fd;
}

static void *nsock_main(void *data)
{
	struct nsock_start_arg arg = *(struct nsock_start_arg *)data;
	struct nsock_hello hello = { 0 };
	struct nsock_req req;

	if (setns(arg.net_fd, CLONE_NEWNET) < 0)
		hello.err = -errno;
	else if (arg.target) {
		if (inet_pton(AF_INET, arg.target, &hello.a4) == 1)
			hello.has4 = true;
		else if (inet_pton(AF_INET6, arg.target, &hello.a6) == 1)
			hello.has6 = true;
		else
			hello.err = -EINVAL;
	} else {
		find_targets(&hello);
	}
	if (!hello.err && arg.source_ip)
		hello.err = srcip_setup(&hello.transparent4, &hello.transparent6);
	/*
	 * Capabilities are per thread: this one needs none once it is in the netns, but
	 * CAP_NET_RAW for IP_TRANSPARENT with --source-ip.
	 */
	if (!hello.err)
		hello.err = pf_isolate_thread_caps(arg.source_ip);
	if (send(arg.sock, &hello, sizeof(hello), MSG_NOSIGNAL) != sizeof(hello) || hello.err)
		return NULL;

	while (recv(arg.sock, &req, sizeof(req), 0) == sizeof(req)) {
		int fds[NSOCK_POOL], n = req.count < 1		  ? 1
					 : req.count > NSOCK_POOL ? NSOCK_POOL
								  : req.count;
		ssize_t len = (ssize_t)(n * (int)sizeof(int));

		for (int i = 0; i < n; i++)
			fds[i] = make_socket(&req);
		if (send(arg.sock, fds, (size_t)len, MSG_NOSIGNAL) != len) {
			for (int i = 0; i < n; i++)
				if (fds[i] >= 0)
					close(fds[i]);
			break;
		}
	}
	close(arg.sock);
	return NULL;
}

/**
 * nsock_start() - Start the socket thread in the netns of @net_fd
 * @ns:		filled on success
 * @net_fd:	the target netns (the process is already in its userns)
 * @target:	--target address, or NULL to use the netns's first global addresses
 * @source_ip:	set up the netns for relays that keep the client's address (--source-ip)
 * @why:	the reason on failure
 * @len:	size of @why
 *
 * Return: 0 on success, negative errno
 */
int nsock_start(struct nsock *ns, int net_fd, const char *target, bool source_ip, struct err *e)
{
	struct nsock_start_arg arg = { .net_fd = net_fd, .target = target, .source_ip = source_ip };
	struct nsock_hello hello;
	int sv[2], err;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	arg.sock = sv[1];
	if ((err = -pthread_create(&ns->thread, NULL, nsock_main, &arg))) {
		close(sv[0]);
		close(sv[1]);
		return err;
	}
	if (recv(sv[0], &hello, sizeof(hello), 0) != sizeof(hello)) {
		err_make(e, -EINVAL, "the netns thread died");
		err = -ECHILD;
	} else if (hello.err == -EINVAL) {
		err_make(e, -EINVAL, "--target: not an IP address");
		err = hello.err;
	} else if (hello.err == -EIO && source_ip) {
		err_make(e, -EINVAL, "--source-ip: the netns refused its routing rule");
		err = hello.err;
	} else if (hello.err) {
		err_errno(e, hello.err, "joining the netns");
		err = hello.err;
	} else if (!hello.has4 && !hello.has6) {
		err_make(e, -EINVAL,
			 "the netns has no address but loopback to forward to; "
			 "give it one (add --slirp), or --target ADDRESS");
		err = -EADDRNOTAVAIL;
	}
	if (err) {
		close(sv[0]);
		pthread_join(ns->thread, NULL);
		return err;
	}
	ns->fd = sv[0];
	ns->has4 = hello.has4;
	ns->has6 = hello.has6;
	ns->target4 = hello.a4;
	ns->target6 = hello.a6;
	ns->transparent4 = hello.transparent4;
	ns->transparent6 = hello.transparent6;
	return 0;
}

/* Takes the answer to the refill request in flight into the pool (blocking). */
static int nsock_take_refill(struct nsock *ns)
{
	int fds[NSOCK_POOL], i = ns->refilling - 1;
	ssize_t n;

	if (!ns->refilling)
		return 0;
	n = recv(ns->fd, fds, sizeof(fds), 0);
	ns->refilling = 0;
	if (n < 0 || n % (ssize_t)sizeof(int))
		return -EPIPE;
	for (int j = 0; j < n / (ssize_t)sizeof(int); j++) {
		if (fds[j] < 0)
			continue;
		if (ns->npool[i] < NSOCK_POOL)
			ns->pool[i][ns->npool[i]++] = fds[j];
		else
			close(fds[j]);
	}
	return 0;
}

/**
 * nsock_socket() - A new non-blocking socket inside the netns
 * @ns:		the thread
 * @family:	AF_INET or AF_INET6
 * @type:	SOCK_STREAM (with TCP_NODELAY) or SOCK_DGRAM
 * @use:	NSOCK_LISTEN, NSOCK_CONNECT or NSOCK_TRANSPARENT (IP_TRANSPARENT, to bind an
 *		outside address; needs --source-ip's setup)
 *
 * A TCP socket to connect comes from the pool nsock_refill() keeps, when it has one: a
 * connection then costs no round trip to the thread.
 *
 * Return: the fd, or negative errno
 */
int nsock_socket(struct nsock *ns, int family, int type, enum nsock_use use)
{
	struct nsock_req req = {
		.family = family, .type = type, .transparent = use == NSOCK_TRANSPARENT, .count = 1
	};
	int i = family == AF_INET6, fd;

	if (type == SOCK_STREAM && use == NSOCK_CONNECT) {
		ns->pooled[i] = true;
		if (ns->npool[i])
			return ns->pool[i][--ns->npool[i]];
	}
	/* One request in flight at a time: a refill's answer comes first. */
	if (nsock_take_refill(ns) || send(ns->fd, &req, sizeof(req), MSG_NOSIGNAL) != sizeof(req) ||
	    recv(ns->fd, &fd, sizeof(fd), 0) != sizeof(fd))
		return -EPIPE;
	return fd;
}

/**
 * nsock_refill() - Ask for TCP sockets to fill the pool of a family relays use
 * @ns:		the thread
 *
 * The loop calls it once its events are handled; the answer arrives on @ns->fd, which the
 * loop watches and hands to nsock_refilled(), so the loop never waits for the thread.
 */
void nsock_refill(struct nsock *ns)
{
	if (ns->refilling)
		return;
	for (int i = 0; i < 2; i++) {
		struct nsock_req req = { .family = i ? AF_INET6 : AF_INET, .type = SOCK_STREAM };

		if (!ns->pooled[i] || ns->npool[i] == NSOCK_POOL)
			continue;
		req.count = NSOCK_POOL - ns->npool[i];
		if (send(ns->fd, &req, sizeof(req), MSG_NOSIGNAL) == sizeof(req))
			ns->refilling = i + 1;
		return;
	}
}

/**
 * nsock_refilled() - The thread's socket is readable: take a refill's sockets into the pool
 * @ns:		the thread
 *
 * Return: 0, or -EPIPE if the thread hung up instead (nothing more will come)
 */
int nsock_refilled(struct nsock *ns)
{
	char probe;

	if (ns->refilling)
		return nsock_take_refill(ns);
	/* Read already by a request that waited for its own answer, or the end. */
	return recv(ns->fd, &probe, sizeof(probe), MSG_PEEK | MSG_DONTWAIT) == 0 ? -EPIPE : 0;
}

/**
 * nsock_stop() - End the thread, close the pools
 * @ns:		the thread
 */
void nsock_stop(struct nsock *ns)
{
	for (int i = 0; i < 2; i++)
		while (ns->npool[i])
			close(ns->pool[i][--ns->npool[i]]);
	close(ns->fd);
	pthread_join(ns->thread, NULL);
}
