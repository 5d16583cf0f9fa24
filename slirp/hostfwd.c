/* Host port forwards through libslirp: the table behind add/list/remove_hostfwd. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hostfwd.h"
#include "sockaddr.h"

/* Past this many fds, a socket libslirp just made is not searched for. */
#define HOSTFWD_FD_SCAN_MAX 4096
#define HOSTFWD_BACKLOG	    1024 /* as rootlet-portfwd's listeners */

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		       &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr));
}

/* Is @fd a socket of @type bound to @want's address (any port if @want's is 0)? */
static bool bound_as(int fd, int type, const struct sockaddr_storage *want,
		     struct sockaddr_storage *ret)
{
	socklen_t len = sizeof(*ret), tlen = sizeof(int);
	int got_type;

	if (getsockname(fd, (struct sockaddr *)ret, &len) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &got_type, &tlen) < 0 || got_type != type)
		return false;
	if (!same_addr(ret, want))
		return false;
	return !sockaddr_port(want) || sockaddr_port(ret) == sockaddr_port(want);
}

static bool port_known(const struct hostfwd_table *t, bool udp, const struct sockaddr_storage *s)
{
	for (const struct hostfwd *f = t->head; f; f = f->next)
		if (f->udp == udp && same_addr(&f->host, s) &&
		    sockaddr_port(&f->host) == sockaddr_port(s))
			return true;
	return false;
}

/*
 * libslirp does not say which port it bound for host port 0. Sockets take the lowest free fd
 * number, so the socket it just made is almost surely at the number that was lowest before;
 * failing that, every fd is looked at for a socket bound to the address on a port no other
 * forward of ours has.
 */
static int find_bound(const struct hostfwd_table *t, bool udp, int probe,
		      const struct sockaddr_storage *want, struct sockaddr_storage *ret)
{
	int type = udp ? SOCK_DGRAM : SOCK_STREAM;

	if (bound_as(probe, type, want, ret) && !port_known(t, udp, ret))
		return probe;
	for (int fd = 0; fd < HOSTFWD_FD_SCAN_MAX; fd++)
		if (bound_as(fd, type, want, ret) && !port_known(t, udp, ret))
			return fd;
	return -ENOENT;
}

/*
 * libslirp makes its forward sockets its own way; two of its choices are undone here. A UDP
 * socket with SO_REUSEADDR lets another user bind the same port and take its datagrams: it is
 * cleared, after which the kernel refuses any later bind of that port. A TCP listener with a
 * backlog of 1 drops connections that arrive together: it gets portfwd's backlog.
 */
static int harden(int fd, bool udp)
{
	int zero = 0;

	if (udp)
		return setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &zero, sizeof(zero)) < 0 ? -errno
											 : 0;
	return listen(fd, HOSTFWD_BACKLOG) < 0 ? -errno : 0;
}

/* The guest of the host address's family (hostfwd_add() refused IPv6 without it enabled). */
static void default_guest(const struct hostfwd_table *t, struct api_request *r)
{
	struct slirp_addrs a;

	slirp_addrs_derive(t->cfg, &a);
	memset(&r->guest, 0, sizeof(r->guest));
	if (r->host.ss_family == AF_INET6) {
		struct sockaddr_in6 *g = (struct sockaddr_in6 *)&r->guest;

		g->sin6_family = AF_INET6;
		g->sin6_addr = a.guest6;
		g->sin6_port = htons(r->guest_port);
	} else {
		struct sockaddr_in *g = (struct sockaddr_in *)&r->guest;

		g->sin_family = AF_INET;
		g->sin_addr = a.guest;
		g->sin_port = htons(r->guest_port);
	}
}

static void table_insert(struct hostfwd_table *t, struct hostfwd *f, const struct api_request *r,
			 int *ret_id, int *ret_port)
{
	f->id = ++t->next_id;
	f->udp = r->udp;
	f->guest = r->guest;
	f->next = t->head;
	t->head = f;
	*ret_id = f->id;
	*ret_port = sockaddr_port(&f->host);
}

/* A UDP forward on IPv4 loopback served by udploop.c (see hostfwd_add()). */
static int add_own(struct hostfwd_table *t, struct api_request *r, struct hostfwd *f, int *ret_id,
		   int *ret_port, struct err *e)
{
	struct slirp_addrs a;
	struct sockaddr_in bound;
	int err;

	slirp_addrs_derive(t->cfg, &a);
	err = udploop_new(t->loop, (const struct sockaddr_in *)&r->host,
			  (const struct sockaddr_in *)&r->guest, a.host, &bound, &f->own);
	if (err) {
		free(f);
		return err_make(e, err, "add_hostfwd: cannot bind host port %u: %s",
				sockaddr_port(&r->host), strerror(-err));
	}
	memcpy(&f->host, &bound, sizeof(bound));
	t->nown++;
	table_insert(t, f, r, ret_id, ret_port);
	return 0;
}

/**
 * hostfwd_add() - Forward a host port to the guest
 * @t:		the table
 * @r:		a parsed add_hostfwd request
 * @ret_id:	the new forward's id
 * @ret_port:	the host port bound (the chosen one for host port 0)
 * @why:	reason on failure
 * @why_len:	size of @why
 *
 * Return: 0 on success, negative errno on failure
 */
int hostfwd_add(struct hostfwd_table *t, struct api_request *r, int *ret_id, int *ret_port,
		struct err *e)
{
	int flags = r->udp ? SLIRP_HOSTFWD_UDP : 0, probe, err, fd;
	struct hostfwd *f;

	/*
	 * libslirp takes a forward from an IPv6 host address to an IPv4 guest and resets every
	 * connection on it: refused, as slirp4netns refuses any IPv6 host address.
	 */
	if (r->host.ss_family == AF_INET6 && !t->cfg->enable_ipv6) {
		return err_make(e, -EINVAL,
				"add_hostfwd: bad arguments.host_addr (IPv6 needs --enable-ipv6)");
	}
	if (!r->guest_given)
		default_guest(t, r);
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	/*
	 * A UDP forward on an IPv4 loopback address with host loopback disabled (docker's and
	 * podman's slirp4netns port drivers ask for one): libslirp 4.7 would drop the guest's
	 * replies to its clients, as it drops anything the guest sends to the host's loopback
	 * then. Served by udploop.c instead, replies too. On IPv6 (::1) libslirp serves it, one
	 * way (rootlet-slirp(1), BUGS).
	 */
	if (r->udp && t->cfg->disable_host_loopback && sockaddr_is_loopback(&r->host) &&
	    r->host.ss_family == AF_INET && r->guest.ss_family == AF_INET)
		return add_own(t, r, f, ret_id, ret_port, e);
	if (r->host.ss_family == AF_INET6)
		flags |= SLIRP_HOSTFWD_V6ONLY;

	probe = dup(STDERR_FILENO);
	if (probe >= 0)
		close(probe);
	errno = 0;
	if (slirp_add_hostxfwd(t->slirp, (struct sockaddr *)&r->host, sockaddr_len(&r->host),
			       (struct sockaddr *)&r->guest, sockaddr_len(&r->guest), flags) < 0) {
		err = errno ? -errno : -EIO;
		err_make(e, -EINVAL, "add_hostfwd: cannot bind host port %u: %s",
			 sockaddr_port(&r->host),
			 errno ? strerror(errno) : "slirp_add_hostxfwd failed");
		free(f);
		return err;
	}
	fd = find_bound(t, r->udp, probe, &r->host, &f->host);
	if (fd < 0 || (err = harden(fd, r->udp))) {
		/* A socket we cannot check is one another user might share: not kept. */
		slirp_remove_hostxfwd(t->slirp, (struct sockaddr *)&r->host, sockaddr_len(&r->host),
				      flags);
		err_make(e, -EINVAL, "add_hostfwd: host port %u: %s", sockaddr_port(&r->host),
			 fd < 0 ? "libslirp's socket not found" : strerror(-err));
		free(f);
		return fd < 0 ? -EIO : err;
	}
	table_insert(t, f, r, ret_id, ret_port);
	return 0;
}

/**
 * hostfwd_remove() - Stop a forward and free its host port
 * @t:		the table
 * @id:		its id
 * @why:	reason on failure
 * @why_len:	size of @why
 *
 * Return: 0 on success, -ENOENT for an unknown id
 */
int hostfwd_remove(struct hostfwd_table *t, int id, struct err *e)
{
	for (struct hostfwd **p = &t->head; *p; p = &(*p)->next) {
		struct hostfwd *f = *p;
		int flags = f->udp ? SLIRP_HOSTFWD_UDP : 0;

		if (f->id != id)
			continue;
		if (f->own) {
			udploop_free(f->own);
			t->nown--;
			*p = f->next;
			free(f);
			return 0;
		}
		if (f->host.ss_family == AF_INET6)
			flags |= SLIRP_HOSTFWD_V6ONLY;
		slirp_remove_hostxfwd(t->slirp, (struct sockaddr *)&f->host, sockaddr_len(&f->host),
				      flags);
		*p = f->next;
		free(f);
		return 0;
	}
	err_make(e, -EINVAL, "remove_hostfwd: bad arguments.id (no forward %d)", id);
	return -ENOENT;
}

/**
 * hostfwd_list() - The forwards as slirp4netns lists them, oldest first
 * @t:		the table
 *
 * Return: a JSON array of {id, proto, host_addr, host_port, guest_addr, guest_port}
 */
json_t *hostfwd_list(const struct hostfwd_table *t)
{
	json_t *arr = json_array();
	char h[INET6_ADDRSTRLEN], g[INET6_ADDRSTRLEN];

	for (const struct hostfwd *f = t->head; f; f = f->next)
		json_array_insert_new(arr, 0,
				      json_pack("{s:i, s:s, s:s, s:i, s:s, s:i}", "id", f->id,
						"proto", f->udp ? "udp" : "tcp", "host_addr",
						sockaddr_addr_text(&f->host, h, sizeof(h)),
						"host_port", sockaddr_port(&f->host), "guest_addr",
						sockaddr_addr_text(&f->guest, g, sizeof(g)),
						"guest_port", sockaddr_port(&f->guest)));
	return arr;
}

/**
 * hostfwd_free() - Forget every forward (libslirp closes their sockets itself)
 * @t:		the table
 */
void hostfwd_free(struct hostfwd_table *t)
{
	while (t->head) {
		struct hostfwd *f = t->head;

		t->head = f->next;
		udploop_free(f->own);
		free(f);
	}
}

/**
 * hostfwd_from_guest() - Whether a guest frame is a reply one of our own forwards takes
 * @t:		the table
 * @f:		the Ethernet frame
 * @n:		its length
 *
 * Return: true if it was taken (and must not go to libslirp)
 */
bool hostfwd_from_guest(struct hostfwd_table *t, const uint8_t *f, size_t n)
{
	if (!t || !t->nown)
		return false;
	for (struct hostfwd *h = t->head; h; h = h->next)
		if (h->own && udploop_from_guest(h->own, f, n))
			return true;
	return false;
}
