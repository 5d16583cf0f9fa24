/* The forwards: listeners bound on the host for each spec, all of a spec's ports or none. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "fileio.h"
#include "portfwd.h"
#include "sockaddr.h"

#define LISTEN_BACKLOG	  1024
#define UNPRIV_PORT_START "/proc/sys/net/ipv4/ip_unprivileged_port_start"

/**
 * forward_init() - Read what a refused bind's message quotes, while files can be read
 * @st:		the daemon
 */
void forward_init(struct pf_state *st)
{
	char *text = NULL;

	if (!file_read_small(AT_FDCWD, UNPRIV_PORT_START, &text, NULL)) {
		text[strcspn(text, "\n")] = '\0';
		snprintf(st->unpriv_port_start, sizeof(st->unpriv_port_start), "%s", text);
	}
	free(text);
}

/* Why a bind failed, in words that name the fix. */
static void bind_why(const struct pf_state *st, int err, uint16_t port, struct err *e)
{
	if (err == EACCES && st->unpriv_port_start[0]) {
		err_make(e, -err,
			 "port %u: permission denied: below net.ipv4.ip_unprivileged_port_start "
			 "(%s)",
			 port, st->unpriv_port_start);
		return;
	}
	err_errno(e, -err, "port %u", port);
}

static int listen_one(struct pf_state *st, const struct fwd_spec *spec, bool reverse, uint16_t port,
		      struct pf_listener *ret, struct err *e)
{
	struct sockaddr_storage addr = spec->host;
	socklen_t alen = sockaddr_len(&addr);
	int fd, one = 1;

	bool udp = spec->proto == IPPROTO_UDP;

	/* A reverse listener is a socket of the netns: the thread there makes it. */
	if (reverse)
		fd = nsock_socket(&st->ns, addr.ss_family, udp ? SOCK_DGRAM : SOCK_STREAM,
				  NSOCK_LISTEN);
	else
		fd = socket(addr.ss_family,
			    (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 && reverse)
		errno = -fd;
	if (fd < 0 && errno == EAFNOSUPPORT && spec->dual && !reverse) {
		/* A host without IPv6: every address is every IPv4 address. */
		struct sockaddr_in *sin = (struct sockaddr_in *)&addr;

		memset(&addr, 0, sizeof(addr));
		sin->sin_family = AF_INET;
		alen = sizeof(*sin);
		fd = socket(AF_INET,
			    (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	}
	if (fd < 0) {
		return err_errno(e, -errno, "socket");
	}
	/*
	 * TCP only: on a UDP socket SO_REUSEADDR lets any other user bind the same address and
	 * port, and the last one bound takes the datagrams (a port theft). A TCP listener's
	 * port cannot be shared that way; the option only spares its TIME_WAIT on a restart.
	 */
	if (!udp) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		/* Accepted connections inherit it: a relay passes segments on as they come. */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	if (addr.ss_family == AF_INET6) {
		int v6only = !spec->dual;

		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
	}
	sockaddr_set_port(&addr, port);
	if (bind(fd, (struct sockaddr *)&addr, alen) < 0 ||
	    (!udp && listen(fd, LISTEN_BACKLOG) < 0)) {
		int err = errno;

		bind_why(st, err, port, e);
		close(fd);
		return -err;
	}
	alen = sizeof(addr);
	getsockname(fd, (struct sockaddr *)&addr, &alen);
	ret->fd = fd;
	ret->host_port = sockaddr_port(&addr);
	return 0;
}

static void forward_free(struct pf_state *st, struct pf_forward *f)
{
	for (int i = 0; i < f->n; i++) {
		udp_expire(st, &f->ls[i]);
		evloop_unwatch(&st->ev, f->ls[i].fd);
		close(f->ls[i].fd);
	}
	free(f->ls);
	free(f);
}

/**
 * forward_add() - Parse @text and bind every host port of it, or none
 * @st:		the daemon
 * @text:	a SPEC
 * @reverse:	listen inside the netns on the "host" ports of @text (the same as PORT when left
 *		out), and connect to PORT on the host's loopback
 * @ret:	the new forward
 * @why:	the reason on failure, naming the port
 * @len:	size of @why
 *
 * Return: 0 on success, negative errno (nothing of the forward left bound then)
 */
int forward_add(struct pf_state *st, const char *text, bool reverse, struct pf_forward **ret,
		struct err *e)
{
	struct pf_forward *f;
	struct fwd_spec spec;
	int err;

	if (spec_parse(text, &spec, e))
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f || !(f->ls = calloc(spec.count, sizeof(*f->ls)))) {
		free(f);
		return -ENOMEM;
	}
	if (reverse && !spec.host_port)
		spec.host_port = spec.port;
	f->spec = spec;
	f->reverse = reverse;
	for (uint16_t i = 0; i < spec.count; i++) {
		struct pf_listener *l = &f->ls[i];

		if ((err = listen_one(st, &spec, reverse, spec.host_port ? spec.host_port + i : 0,
				      l, e)))
			goto fail;
		f->n++;
		l->port = spec.port + i;
		l->fwd = f;
		if ((err = evloop_watch(
			     &st->ev, l->fd, EPOLLIN,
			     spec.proto == IPPROTO_UDP ? udp_listener_event : relay_accept, l)))
			goto fail;
	}
	forward_link(st, f);
	*ret = f;
	return 0;
fail:
	forward_free(st, f);
	return err;
}

/**
 * forward_link() - Give a forward whose listeners are watched its id and list it
 * @st:		the daemon
 * @f:		the forward
 */
void forward_link(struct pf_state *st, struct pf_forward *f)
{
	f->id = ++st->next_id;
	f->next = st->forwards;
	st->forwards = f;
}

/**
 * forward_remove() - Close a forward's listeners: its ports are free again at once
 * @st:		the daemon
 * @id_or_spec:	its id, or the SPEC it was added with (in any equivalent spelling)
 * @why:	the reason on failure
 * @len:	size of @why
 *
 * Connections already relayed go on until they end.
 *
 * Return: 0 on success, -ENOENT if no forward matches
 */
int forward_remove(struct pf_state *st, const char *id_or_spec, struct err *e)
{
	struct fwd_spec spec;
	char *end;
	long id = strtol(id_or_spec, &end, 10);
	bool by_id = *id_or_spec && !*end;

	if (!by_id && spec_parse(id_or_spec, &spec, NULL)) {
		return err_make(e, -EINVAL, "'%s' is neither a forward id nor a SPEC", id_or_spec);
	}
	for (struct pf_forward **p = &st->forwards; *p; p = &(*p)->next) {
		struct pf_forward *f = *p;

		if (by_id ? f->id != id : memcmp(&f->spec, &spec, sizeof(spec)) != 0)
			continue;
		*p = f->next;
		forward_free(st, f);
		return 0;
	}
	return err_make(e, -ENOENT, "no forward %s", id_or_spec);
}

/**
 * forward_free_all() - Close every forward
 * @st:		the daemon
 */
void forward_free_all(struct pf_state *st)
{
	while (st->forwards) {
		struct pf_forward *f = st->forwards;

		st->forwards = f->next;
		forward_free(st, f);
	}
}

/**
 * forward_json() - A forward as the API and list show it
 * @f:		the forward
 *
 * Return: {"id", "spec", "direction", "proto", "host_addr", "dual_stack", "host_port", "port",
 *	    "count", "host_ports", "inherited"}
 */
json_t *forward_json(const struct pf_forward *f)
{
	char addr[INET6_ADDRSTRLEN], spec[SPEC_TEXT_MAX * 2];
	const struct fwd_spec *s = &f->spec;
	json_t *ports = json_array();

	sockaddr_addr_text(&s->host, addr, sizeof(addr));
	spec_format(s, spec, sizeof(spec));
	for (int i = 0; i < f->n; i++)
		json_array_append_new(ports, json_integer(f->ls[i].host_port));
	return json_pack("{s:i, s:s, s:s, s:s, s:s, s:b, s:i, s:i, s:i, s:o, s:b}", "id", f->id,
			 "spec", spec, "direction", f->reverse ? "reverse" : "forward", "proto",
			 s->proto == IPPROTO_UDP ? "udp" : "tcp", "host_addr", addr, "dual_stack",
			 s->dual, "host_port", f->n ? f->ls[0].host_port : 0, "port", s->port,
			 "count", s->count, "host_ports", ports, "inherited", f->inherited);
}
