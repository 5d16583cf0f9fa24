/* alloc --publish: host ports forwarded to one container, by a rootlet-portfwd of its own. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "launch.h"
#include "network.h"
#include "pidfile.h"
#include "proc.h"
#include "state.h"
#include "statedir.h"
#include "strfmt.h"

#define PUBLISH_STOP_MS 2000

/*
 * One rootlet-portfwd per container that publishes, in the infra's netns with --target the
 * container's address: two containers may publish the same container port on different host
 * ports. Given the infra's net file (a link to its holder's /proc/PID/ns/net), it ends with the
 * infra's holder by itself; given a pidfd of the container's holder as its --exit-fd, it ends
 * with the container's netns too, however that ends: an alloc killed before the pid file below
 * was written, its netns rolled back, leaves no forwarder of a port to an address the next
 * alloc is given. Its pid file portfwd-ID.pid in the infra's entry is what dealloc, and
 * rootlet-netns del of the infra, stop it by.
 */

/* Its pid file and log in the infra's entry; -ENAMETOOLONG for an ID that is no name. */
static int file_names(const char *id, char *pid, char *log, size_t len)
{
	int a = snprintf(pid, len, STATE_PORTFWD_ID_PIDFILE, id);
	int b = snprintf(log, len, STATE_PORTFWD_ID_LOG, id);

	return a < 0 || (size_t)a >= len || b < 0 || (size_t)b >= len ? -ENAMETOOLONG : 0;
}

/*
 * A pidfd of the container's holder: @st's while alloc makes the netns (not yet in place), else
 * the one state.json records beside the attachment's netns file, checked by its start time;
 * -1 for a netns that is no entry of ours (a bind mount, a path of the caller's).
 */
static int holder_pidfd(const char *netns, const struct netns_state *st, int *ret_fd)
{
	char dir[PATH_MAX];
	const char *slash;
	int dir_fd, err;

	*ret_fd = -1;
	if (st)
		return proc_pidfd_open(st->holder_pid, st->holder_start, ret_fd);
	if (!netns || !(slash = strrchr(netns, '/')) || strcmp(slash + 1, STATE_NET))
		return 0;
	if ((err = str_fmt(dir, sizeof(dir), "%.*s", (int)(slash - netns), netns)))
		return err;
	if ((dir_fd = open(dir, DIR_OPEN_FLAGS)) < 0)
		return -errno;
	err = state_holder_pidfd(dir_fd, ret_fd);
	close(dir_fd);
	return err == -ENOENT ? 0 : err; /* no state.json: no entry of ours */
}

/**
 * publish_start() - Forward the attachment's "publish" SPECs to the container
 * @cfg:	the state root; cfg->err on failure (a port taken, a bad SPEC)
 * @r:		the network, its infra up
 * @a:		the attachment
 * @st:		the state of the netns alloc is making, not yet in place; NULL for one that is
 *
 * Return: 0 (also with nothing to publish), or a negative errno
 */
int publish_start(struct net_cfg *cfg, const struct net_record *r, const struct net_attach *a,
		  const struct netns_state *st)
{
	char pidname[NAME_MAX], log[NAME_MAX], ip[INET_ADDRSTRLEN];
	const char *id = a->id;
	struct portfwd_launch o = { .netns = r->infra.net, .userns = r->infra.user, .target = ip };
	size_t n = a->n_publish;
	struct launch_argv args;
	int err, fd, holder_fd;
	pid_t pid;

	if (!n || !id[0])
		return 0;
	if (!a->has_ip || !inet_ntop(AF_INET, &a->ip, ip, sizeof(ip)))
		return err_make(&cfg->err, -EBADMSG, "%s's address is corrupt", id);
	if ((err = file_names(id, pidname, log, sizeof(pidname))))
		return err;
	if ((err = holder_pidfd(a->netns, st, &holder_fd)))
		return err_errno(&cfg->err, err, "the holder of %s", id);
	o.publish = (const char *const *)a->publish;
	o.n_publish = (int)n;
	o.exit_with_pass = holder_fd >= 0;
	if ((err = launch_portfwd_argv(&o, &args))) {
		if (holder_fd >= 0)
			close(holder_fd);
		return err;
	}
	err = net_daemon_start(cfg, &r->infra, args.argv, log, &holder_fd, holder_fd >= 0 ? 1 : 0,
			       &pid);
	if (holder_fd >= 0)
		close(holder_fd);
	argv_free(&args);
	if (err)
		return err;
	fd = open(r->infra.dir, DIR_OPEN_FLAGS);
	err = fd < 0 ? -errno : pidfile_write(fd, pidname, pid);
	if (fd >= 0)
		close(fd);
	return err ? err_errno(&cfg->err, err, "%s", pidname) : 0;
}

/**
 * publish_stop() - Stop the container's rootlet-portfwd, if it has one
 * @r:		the network
 * @a:		the attachment
 *
 * Return: 0 (also when none runs or the infra is gone), or a negative errno
 */
int publish_stop(const struct net_record *r, const struct net_attach *a)
{
	char pidname[NAME_MAX], log[NAME_MAX];
	const char *id = a->id;
	struct pidfile pf;
	int fd, err;

	if (!id[0] || !a->n_publish)
		return 0;
	if ((err = file_names(id, pidname, log, sizeof(pidname))))
		return err;
	fd = open(r->infra.dir, DIR_OPEN_FLAGS);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	err = pidfile_read(fd, pidname, &pf);
	if (!err)
		err = pidfile_stop(&pf, PUBLISH_STOP_MS);
	if (err == -ENOENT || err == -ESRCH)
		err = 0;
	if (!err) {
		unlinkat(fd, pidname, 0);
		unlinkat(fd, log, 0);
	}
	close(fd);
	return err;
}
