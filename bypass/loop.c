/* What either mode of rootlet-bypass serves with: opened at its start, and freed at its end. */
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "apiserver.h"
#include "bypass.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

/* The host's netns, as a socket's SO_NETNS_COOKIE names it: a twin's is this one. */
int bp_netns_cookie(uint64_t *ret)
{
	socklen_t len = sizeof(*ret);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, ret, &len) < 0)
		err = -errno;
	close(fd);
	return err;
}

/**
 * bp_open_loop() - What either mode serves with: /proc, the loop, the twins' defaults and pool,
 * the table of calls in hand (shared with the standby), the listener socket @name
 * @cfg:	cfg->err on failure
 * @st:		the daemon
 * @name:	the listener socket's name in cfg->state_fd
 *
 * Return: 0, or a negative errno
 */
int bp_open_loop(struct bp_cfg *cfg, struct bp_state *st, const char *name)
{
	int err;

	st->proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (st->proc_fd < 0)
		return err_errno(&cfg->err, -errno, "/proc");
	if ((err = evloop_init(&st->ev, cfg->exit_fd)))
		return err_errno(&cfg->err, err, "event loop");
	evloop_busy_poll(&st->ev, BP_BUSY_POLL_US);
	if ((err = twin_defaults_init(st)))
		return err_errno(&cfg->err, err, "a socket's defaults");
	if ((err = inflight_init(st)))
		return err_errno(&cfg->err, err, "the table of calls in hand");
	twin_pool_refill(st);
	return listener_open(st, cfg->state_fd, name, &cfg->err);
}

/**
 * bp_daemon_free() - Everything the daemon holds, at its exit
 * @st:		the daemon
 */
void bp_daemon_free(struct bp_state *st)
{
	host_unlink(st);
	pending_free_all(st);
	inflight_free(st);
	notifier_free_all(st);
	reader_stop(st);
	procs_free(st);
	twin_pool_free(st);
	listener_close(st);
	apiserver_free(st->api);
	if (st->proc_fd >= 0)
		close(st->proc_fd);
	evloop_free(&st->ev);
}
