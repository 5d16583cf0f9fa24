/* bind(): a published port, bound on the host's side so that clients arrive natively. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "bypass.h"
#include "log.h"

/**
 * bypass_bind() - Serve a bind() notification
 * @st:		the daemon
 * @c:		the call, its address read once
 *
 * A port a --publish rule names gets a twin bound to the rule's host address and port; the
 * caller's listen() and accept() then work on it as on any socket. A twin already bound is
 * refused a second bind, as the kernel would refuse it; every other bind() continues inside.
 *
 * Return: 0 when answered, negative errno if the caller went away
 */
int bypass_bind(struct bp_state *st, const struct bp_call *c)
{
	struct sockaddr_storage to;
	socklen_t to_len = 0;
	struct bp_sock s;
	int twin = -1, err, ret;

	if ((err = twin_sock_get(st, c, &s)))
		return twin_sock_unknown(st, c, err);
	if (s.host) {
		st->n.refused++;
		sock_release(s.fd);
		return respond(st, c, -EINVAL, false);
	}
	if ((s.family != AF_INET && s.family != AF_INET6) ||
	    (s.type != SOCK_STREAM && s.type != SOCK_DGRAM) || s.bound ||
	    policy_bind(st->pol_now, (struct sockaddr *)&c->addr, c->addr_len, s.type == SOCK_DGRAM,
			&to, &to_len) != BP_BYPASS) {
		sock_release(s.fd);
		return respond(st, c, 0, true);
	}
	if ((err = twin_sock_flags(st, c, &s)) || (err = twin_make(st, &s, &twin)) ||
	    (err = twin_guard(st, &s, twin, true))) {
		log_debug(st->debug, "pid %d fd %d: no twin: %s", c->pid, c->fd, strerror(-err));
		if (twin >= 0)
			close(twin);
		sock_release(s.fd);
		return respond(st, c, 0, true);
	}
	err = bind(twin, (struct sockaddr *)&to, to_len) < 0 ? -errno : 0;
	if (!err && !(err = twin_install(c, &s, twin)))
		st->n.bypassed++;
	if (err && err != -ENOENT)
		st->n.refused++;
	/* Answered first: closing the caller's old socket can wait. */
	ret = err == -ENOENT ? 0 : respond(st, c, err, false);
	log_debug(st->debug, "pid %d fd %d: published bind: %s", c->pid, c->fd,
		  err ? strerror(-err) : "bypassed");
	close(twin);
	sock_release(s.fd);
	return ret;
}
