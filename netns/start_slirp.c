/* add --slirp: start rootlet-slirp for a netns (lib/launch); the resolv.conf its commands get. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "launch.h"
#include "netns.h"
#include "slirpnet.h"

#define SLIRP_RESOLV_MODE 0644 /* read by whatever uid runs inside the netns */

/**
 * write_slirp_resolv() - Write <entry>/resolv.conf naming slirp's DNS forwarder
 * @cfg:	configuration (ipv6)
 * @dir_fd:	the entry's directory
 *
 * Return: 0 on success, negative errno
 */
int write_slirp_resolv(const struct netns_cfg *cfg, int dir_fd)
{
	char text[128];

	snprintf(text, sizeof(text), "nameserver %s\n%s", SLIRP_DNS4,
		 cfg->ipv6 ? "nameserver " SLIRP_DNS6 "\n" : "");
	return file_write_state(dir_fd, STATE_RESOLV_CONF, text, strlen(text), SLIRP_RESOLV_MODE);
}

/* rootlet-slirp's options from @cfg: MTU, host loopback, IPv6. */
static struct slirp_launch slirp_opts(const struct netns_cfg *cfg)
{
	return (struct slirp_launch){ .mtu = cfg->mtu,
				      .allow_host_loopback = cfg->allow_host_loopback,
				      .ipv6 = cfg->ipv6 };
}

/**
 * start_slirp() - Run rootlet-slirp for the netns in @cfg with rootlet's safe defaults
 * @cfg:	configuration (name, mtu, ipv6, allow_host_loopback); cfg->err on failure
 * @dir_fd:	the entry's directory, for the log
 *
 * Host loopback off unless asked, sandbox and seccomp on. It finds the netns by its name and
 * records itself in slirp.pid.
 *
 * Return: 0 on success, negative errno (no rootlet-slirp left running then)
 */
int start_slirp(struct netns_cfg *cfg, int dir_fd)
{
	struct slirp_launch o = slirp_opts(cfg);
	struct launch_argv a;
	int err;

	o.netns = cfg->name;
	if ((err = launch_slirp_argv(&o, &a)))
		return err;
	err = helper_launch(cfg, dir_fd, STATE_SLIRP_LOG, a.argv, NULL, 0);
	argv_free(&a);
	return err;
}

/**
 * start_slirp_early() - Start rootlet-slirp for a netns not made yet, to wait for launch_go()
 * @cfg:	configuration, as for start_slirp(); cfg->err on failure
 * @dir_fd:	the entry's directory, not yet renamed into place
 * @dir_path:	its path: the namespaces' links and the API socket go in it
 * @h:		the helper, for launch_go(), helper_finish() or launch_abort()
 *
 * Its exec, libraries and libslirp then overlap the making of the namespaces and their uid
 * maps; after launch_go() its tap and sandbox overlap the rest of add. The API socket, bound
 * before it says ready, keeps its inode when the directory is renamed after.
 *
 * Return: 0 on success, negative errno
 */
int start_slirp_early(struct netns_cfg *cfg, int dir_fd, const char *dir_path,
		      struct launch_proc *h)
{
	struct slirp_launch o = slirp_opts(cfg);
	struct early_paths p;
	struct launch_argv a;
	int err;

	if ((err = early_paths(cfg, dir_path, STATE_SLIRP_SOCKET, &p)))
		return err;
	o.userns_path = p.user;
	o.netns_path = p.net;
	o.api_socket = p.api;
	o.early = true;
	if ((err = launch_slirp_argv(&o, &a)))
		return err;
	err = helper_spawn_early(cfg, dir_fd, STATE_SLIRP_LOG, a.argv, NULL, 0, h);
	argv_free(&a);
	return err;
}
