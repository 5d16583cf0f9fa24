/* --publish-fd: forwards on listening sockets handed to us (by a socket unit, or any parent). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "portfwd.h"
#include "sdlisten.h"
#include "sockaddr.h"

/**
 * forward_add_fd() - Forward connections (or datagrams) on an inherited socket
 * @st:		the daemon
 * @text:	FD[:PORT][/PROTO]: FD a number, or a name of LISTEN_FDNAMES; PORT inside
 *		(default: the socket's own port); PROTO, if given, must be the socket's
 * @ret:	the new forward
 * @e:		why not, naming the fd
 *
 * The socket is ours from now on (closed with the forward). Whoever bound it chose its port:
 * a socket unit may own one below ip_unprivileged_port_start for an unprivileged daemon.
 *
 * Return: 0 on success, negative errno
 */
int forward_add_fd(struct pf_state *st, const char *text, struct pf_forward **ret, struct err *e)
{
	struct pf_forward *f;
	struct fwd_spec spec;
	int fd, err;

	if ((err = fwdspec_fd(text, &fd, &spec, e)))
		return err;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return err_errno(e, -errno, "--publish-fd '%s'", text);
	f = calloc(1, sizeof(*f));
	if (!f || !(f->ls = calloc(1, sizeof(*f->ls)))) {
		free(f);
		return -ENOMEM;
	}
	f->spec = spec;
	f->inherited = true;
	f->ls[0] = (struct pf_listener){
		.fd = fd, .host_port = spec.host_port, .port = spec.port, .fwd = f
	};
	if ((err = evloop_watch(&st->ev, fd, EPOLLIN,
				spec.proto == IPPROTO_UDP ? udp_listener_event : relay_accept,
				&f->ls[0]))) {
		free(f->ls);
		free(f);
		return err_errno(e, err, "--publish-fd '%s'", text);
	}
	f->n = 1;
	forward_link(st, f);
	*ret = f;
	return 0;
}

/**
 * forward_add_activated() - Forward every socket a socket unit handed us, each to its own port
 *
 * @st:		the daemon
 * @e:		why not
 *
 * For a daemon started by systemd with no --publish-fd: LISTEN_FDS says how many.
 *
 * Return: 0 on success, negative errno
 */
int forward_add_activated(struct pf_state *st, struct err *e)
{
	int n = sdlisten_count();
	struct pf_forward *f;
	char text[sizeof("-2147483648")];
	int err;

	for (int i = 0; i < n; i++) {
		snprintf(text, sizeof(text), "%d", SDLISTEN_FDS_START + i);
		if ((err = forward_add_fd(st, text, &f, e)))
			return err;
	}
	return 0;
}
