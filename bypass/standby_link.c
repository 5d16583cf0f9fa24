/* The socketpair between the active supervisor and its standby: what one tells the other. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bypass.h"
#include "fdpass.h"
#include "log.h"

/*
 * Two messages, each one SOCK_SEQPACKET datagram: a listener fd the active took (passed along,
 * with its container's policy under --host), and a goodbye (a clean end: the other ends too,
 * standby.c). The pair is the active's and its own fork's, so the format is never another
 * program's.
 */

struct standby_msg {
	char kind; /* STANDBY_LISTENER, STANDBY_BYE */
	int pid;
	char what[STANDBY_META_MAX];
	bool has_pol; /* --host: the container's policy, as the active has it (host_policy.c) */
	struct bp_policy pol;
};

/**
 * standby_send() - Hand the standby a listener fd the active took
 * @st:		the active
 * @fd:		the listener fd
 * @pid:	the process it came from, for the log
 * @what:	its name, for the log
 * @pol:	--host: its container's policy; NULL: the daemon's
 */
void standby_send(struct bp_state *st, int fd, int pid, const char *what,
		  const struct bp_policy *pol)
{
	struct standby_msg m = { .kind = STANDBY_LISTENER, .pid = pid };

	if (st->peer_fd < 0)
		return; /* the next standby is a fork: it has the fd already */
	snprintf(m.what, sizeof(m.what), "%s", what);
	if (pol) {
		m.has_pol = true;
		m.pol = *pol;
	}
	if (fdpass_send_one(st->peer_fd, &m, sizeof(m), fd, MSG_DONTWAIT) < 0)
		log_warn("handing pid %d's filter to the standby: %s", pid, strerror(errno));
}

/**
 * standby_send_bye() - Tell the other process of the pair that this one ends cleanly
 * @peer:	the socketpair's end
 *
 * Return: 0, or a negative errno
 */
int standby_send_bye(int peer)
{
	char bye = STANDBY_BYE;

	return send(peer, &bye, sizeof(bye), MSG_NOSIGNAL) < 0 ? -errno : 0;
}

/**
 * standby_recv() - What the other process of the pair said, once its end is readable
 * @peer:	the socketpair's end
 * @events:	epoll's events on it
 * @ret:	STANDBY_LISTENER's fd (ours: -1 if none came), pid, name and --host policy
 *		(allocated, ours; NULL with none, or none to be had: host_policy.c's closed one)
 *
 * Return: STANDBY_LISTENER, STANDBY_BYE, 0 for anything else, -EAGAIN if nothing is there
 *	   yet, -EPIPE if the other is gone without a goodbye
 */
int standby_recv(int peer, uint32_t events, struct standby_listener *ret)
{
	struct standby_msg m = { 0 };
	ssize_t n = (events & EPOLLIN)
			    ? fdpass_recv_one(peer, &m, sizeof(m), &ret->fd, MSG_DONTWAIT)
			    : 0;

	ret->pol = NULL;
	if (n < 0 && errno == EAGAIN)
		return -EAGAIN;
	if (n <= 0)
		return -EPIPE;
	if (m.kind == STANDBY_LISTENER && ret->fd >= 0) {
		ret->pid = m.pid;
		m.what[sizeof(m.what) - 1] = '\0';
		snprintf(ret->what, sizeof(ret->what), "%s", m.what);
		if (m.has_pol && (ret->pol = malloc(sizeof(*ret->pol))))
			*ret->pol = m.pol;
		return STANDBY_LISTENER;
	}
	if (ret->fd >= 0)
		close(ret->fd);
	ret->fd = -1;
	return m.kind == STANDBY_BYE ? STANDBY_BYE : 0;
}
