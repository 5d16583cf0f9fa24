/* --publish-fd FD[:PORT][/PROTO]: the inherited listening socket it names, checked. */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fwdspec.h"
#include "sdlisten.h"
#include "sockaddr.h"

#define PORT_MAX 65535

/* "FD[:PORT][/PROTO]" into its parts; PORT 0 when left out. */
static int parse(const char *text, char *what, size_t len, unsigned long *ret_port,
		 const char **ret_proto, struct err *e)
{
	size_t n = strcspn(text, ":/");
	const char *rest = text + n;
	char *end;

	*ret_port = 0;
	*ret_proto = NULL;
	if (n == 0 || n >= len)
		return err_make(e, -EINVAL, "--publish-fd '%s': FD missing or too long", text);
	snprintf(what, len, "%.*s", (int)n, text);
	if (*rest == ':') {
		errno = 0;
		*ret_port = strtoul(rest + 1, &end, 10);
		if (errno || end == rest + 1 || *ret_port < 1 || *ret_port > PORT_MAX ||
		    (*end && *end != '/'))
			return err_make(e, -EINVAL, "--publish-fd '%s': PORT is not 1 to 65535",
					text);
		rest = end;
	}
	if (*rest == '/') {
		*ret_proto = rest + 1;
		if (strcmp(*ret_proto, "tcp") && strcmp(*ret_proto, "udp"))
			return err_make(e, -EINVAL, "--publish-fd '%s': PROTO is tcp or udp", text);
	}
	return 0;
}

/* What the socket is: its protocol, its address and whether it takes both families. */
static int inspect(int fd, const char *text, struct fwd_spec *spec, struct err *e)
{
	int type, domain, listening = 0, v6only = 1;
	socklen_t olen = sizeof(int), alen = sizeof(spec->host);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &olen) < 0)
		return err_make(e, -ENOTSOCK, "--publish-fd '%s': fd %d is not a socket", text, fd);
	olen = sizeof(int);
	getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &olen);
	if ((domain != AF_INET && domain != AF_INET6) ||
	    (type != SOCK_STREAM && type != SOCK_DGRAM))
		return err_make(e, -EAFNOSUPPORT,
				"--publish-fd '%s': fd %d is not a TCP or UDP socket of IPv4 or "
				"IPv6",
				text, fd);
	olen = sizeof(int);
	getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &olen);
	if (type == SOCK_STREAM && !listening)
		return err_make(e, -EINVAL, "--publish-fd '%s': fd %d is not listening", text, fd);
	if (getsockname(fd, (struct sockaddr *)&spec->host, &alen) < 0 ||
	    !sockaddr_port(&spec->host))
		return err_make(e, -EINVAL, "--publish-fd '%s': fd %d is not bound to a port", text,
				fd);
	if (domain == AF_INET6) {
		olen = sizeof(int);
		getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &olen);
		spec->dual = !v6only && IN6_IS_ADDR_UNSPECIFIED(
						&((struct sockaddr_in6 *)&spec->host)->sin6_addr);
	}
	spec->proto = type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
	spec->host_port = sockaddr_port(&spec->host);
	spec->count = 1;
	return 0;
}

/**
 * fwdspec_fd() - The socket a --publish-fd names, and what it forwards
 * @text:	FD[:PORT][/PROTO]: FD a number, or a name of LISTEN_FDNAMES; PORT inside
 *		(default: the socket's own port); PROTO, if given, must be the socket's
 * @ret_fd:	the socket
 * @ret_spec:	its protocol, address and ports
 * @e:		why not, in the words of @text: the fd as its caller named it
 *
 * Checked where the user gave it (rootlet-netns add, rootlet run), so that a message names
 * their fd, not the number it has in the rootlet-portfwd it is handed to.
 *
 * Return: 0 on success, negative errno
 */
int fwdspec_fd(const char *text, int *ret_fd, struct fwd_spec *ret_spec, struct err *e)
{
	char what[NAME_MAX + 1];
	struct fwd_spec spec = { 0 };
	const char *proto;
	unsigned long port;
	int fd, err;

	if ((err = parse(text, what, sizeof(what), &port, &proto, e)))
		return err;
	if ((err = sdlisten_find(what, &fd)))
		return err_make(e, err, "--publish-fd '%s': %s", text,
				err == -ENOENT ? "no socket-activated fd has that name"
					       : "not an open fd");
	if ((err = inspect(fd, text, &spec, e)))
		return err;
	if (proto && strcmp(proto, spec.proto == IPPROTO_TCP ? "tcp" : "udp"))
		return err_make(e, -EINVAL, "--publish-fd '%s': fd %d is a %s socket", text, fd,
				spec.proto == IPPROTO_TCP ? "tcp" : "udp");
	spec.port = port ? (uint16_t)port : spec.host_port;
	*ret_fd = fd;
	*ret_spec = spec;
	return 0;
}
