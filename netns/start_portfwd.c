/* add --publish, --publish-fd: start rootlet-portfwd for a netns, early or once it is named. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "launch.h"
#include "netns.h"
#include "slirpnet.h"

/* The --publish rules that are rootlet-portfwd's, in @ret (for free()); their count. */
static int portfwd_rules(const struct netns_cfg *cfg, const char ***ret)
{
	const char **rules = calloc((size_t)cfg->n_publish + 1, sizeof(*rules));
	int n = 0;

	if (!rules)
		return -ENOMEM;
	for (int i = 0; i < cfg->n_publish; i++)
		if (!publish_goes_to_bypass(cfg, cfg->publish[i]))
			rules[n++] = cfg->publish[i];
	*ret = rules;
	return n;
}

/* rootlet-portfwd's command line: @o's netns, @cfg's forwards and sockets, --source-ip. */
static int portfwd_argv(const struct netns_cfg *cfg, struct portfwd_launch *o,
			struct launch_argv *ret)
{
	const char **rules;
	int n = portfwd_rules(cfg, &rules), err;

	if (n < 0)
		return n;
	o->publish = rules;
	o->n_publish = n;
	o->publish_fd = cfg->publish_fd;
	o->n_publish_fd = cfg->n_publish_fd;
	o->source_ip = cfg->source_ip;
	err = launch_portfwd_argv(o, ret);
	free(rules);
	return err;
}

/**
 * start_portfwd() - Run rootlet-portfwd for the netns in @cfg with its --publish forwards and
 *		     the sockets of --publish-fd
 * @cfg:	configuration (name, publish); cfg->err on failure
 * @dir_fd:	the entry's directory, for the log
 *
 * It finds the netns by its name, records itself in portfwd.pid and serves portfwd.sock.
 *
 * Return: 0 on success, negative errno (no rootlet-portfwd left running then)
 */
int start_portfwd(struct netns_cfg *cfg, int dir_fd)
{
	struct portfwd_launch o = { .netns = cfg->name };
	struct launch_argv a;
	int err = portfwd_argv(cfg, &o, &a);

	if (err)
		return err;
	err = helper_launch(cfg, dir_fd, STATE_PORTFWD_LOG, a.argv, cfg->publish_fds,
			    cfg->n_publish_fd);
	argv_free(&a);
	return err;
}

/**
 * wants_portfwd() - Whether add starts rootlet-portfwd at all
 * @cfg:	configuration
 *
 * With --bypass the --publish rules are rootlet-bypass's but for UDP without host loopback
 * (publish_goes_to_bypass()); --publish-fd sockets are always ours.
 *
 * Return: true when there is something for it to forward
 */
bool wants_portfwd(const struct netns_cfg *cfg)
{
	for (int i = 0; i < cfg->n_publish; i++)
		if (!publish_goes_to_bypass(cfg, cfg->publish[i]))
			return true;
	return cfg->n_publish_fd > 0;
}

/**
 * starts_portfwd_early() - Whether add starts rootlet-portfwd with rootlet-slirp, before the netns
 * exists, rather than after it is named
 * @cfg:	configuration
 *
 * Early, its exec and set-up overlap the holder's and slirp's. It is given the netns and user
 * namespace by path and its target address: slirp's IPv4 guest, where slirp is about to put it
 * (with IPv6 it would have two targets, and --source-ip routes through the netns's addresses,
 * so those still start once slirp is up).
 *
 * Return: true to start it early
 */
bool starts_portfwd_early(const struct netns_cfg *cfg)
{
	return cfg->slirp && !cfg->ipv6 && !cfg->source_ip && wants_portfwd(cfg);
}

/**
 * start_portfwd_early() - Start rootlet-portfwd for a netns not made yet, to wait for
 * launch_go() once the namespaces exist and are mapped
 * @cfg:	configuration; cfg->err on failure
 * @dir_fd:	the entry's directory (not yet renamed), for the log
 * @dir_path:	its path, for the namespaces' links and the API socket
 * @h:		the helper, for launch_go(), helper_finish() or launch_abort()
 *
 * It ends with the holder (the net link names it). The API socket is bound in the entry by
 * path: helper_finish() before the rename. It writes no pid file of its own: helper_finish()
 * writes portfwd.pid.
 *
 * Return: 0 on success, negative errno
 */
int start_portfwd_early(struct netns_cfg *cfg, int dir_fd, const char *dir_path,
			struct launch_proc *h)
{
	struct early_paths p;
	struct portfwd_launch o = { .netns = p.net,
				    .userns = p.user,
				    .api_socket = p.api,
				    .target = SLIRP_GUEST4,
				    .early = true };
	struct launch_argv a;
	int err;

	if ((err = early_paths(cfg, dir_path, STATE_PORTFWD_SOCKET, &p)))
		return err;
	if ((err = portfwd_argv(cfg, &o, &a)))
		return err;
	err = helper_spawn_early(cfg, dir_fd, STATE_PORTFWD_LOG, a.argv, cfg->publish_fds,
				 cfg->n_publish_fd, h);
	argv_free(&a);
	return err;
}
