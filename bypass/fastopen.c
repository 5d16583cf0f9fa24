/* A send with MSG_FASTOPEN: a connect() by another name, never the kernel's on a twin. */
#include <errno.h>
#include <unistd.h>

#include "bypass.h"
#include "log.h"

/**
 * bypass_fastopen() - Serve a sendto(), sendmsg() or sendmmsg() notification (MSG_FASTOPEN)
 * @st:		the daemon
 * @c:		the call (its fd; the address is not read: nothing is made from it)
 *
 * On a socket of the netns the send continues inside: the netns's own path, through slirp. On
 * a twin it would connect from the host's netns to any address, which only the supervisor may
 * do: it is refused with EOPNOTSUPP, the kernel's answer when fast open is off, so that a
 * program falls back to connect(), which the supervisor serves.
 *
 * Return: 0 when answered, negative errno if the caller went away
 */
int bypass_fastopen(struct bp_state *st, const struct bp_call *c)
{
	struct bp_sock s;
	bool host;
	int err;

	if ((err = twin_sock_get(st, c, &s)))
		return twin_sock_unknown(st, c, err);
	host = s.host;
	sock_release(s.fd);
	if (!host)
		return respond(st, c, 0, true);
	st->n.refused++;
	log_debug(st->debug, "pid %d fd %d: fast open on a twin: refused", c->pid, c->fd);
	return respond(st, c, -EOPNOTSUPP, false);
}
