/* Where a network's infra is: its entry's paths, whether they fit, whether it is there. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/un.h>
#include <unistd.h>

#include "network.h"
#include "state.h"
#include "statedir.h"

/**
 * infra_init() - Where network @name's infra is: its entry in @infra_root and the namespaces
 * in it, computed once for every verb to pass down
 * @in:		filled
 * @infra_root:	<root>/~infra
 * @name:	the network's name (a checked name: the entry's is the same)
 *
 * Return: 0, or -ENAMETOOLONG
 */
int infra_init(struct net_infra *in, const char *infra_root, const char *name)
{
	int err;

	if (snprintf(in->name, sizeof(in->name), "%s", name) >= (int)sizeof(in->name))
		return -ENAMETOOLONG;
	if ((err = state_entry_path(in->dir, sizeof(in->dir), infra_root, name, NULL)) ||
	    (err = state_entry_path(in->net, sizeof(in->net), infra_root, name, STATE_NET)) ||
	    (err = state_entry_path(in->user, sizeof(in->user), infra_root, name, STATE_USER)))
		return err;
	return 0;
}

/**
 * infra_check_name() - Whether network @net's infra fits this state root: the longest path
 * of it that becomes a socket address (slirp's API socket) within sun_path
 * @cfg:	the state root; cfg->err and cfg->usage when it does not
 * @net:	the network's name, a valid name
 *
 * Return: 0, or -ENAMETOOLONG
 */
int infra_check_name(struct net_cfg *cfg, const char *net)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];

	if (!state_entry_path(path, sizeof(path), cfg->infra_root, net, STATE_SLIRP_SOCKET))
		return 0;
	cfg->usage = true;
	return err_make(&cfg->err, -ENAMETOOLONG,
			"too long for this state root: its infra's socket %s/%s/%s would be over "
			"%zu bytes; give a shorter name",
			cfg->infra_root, net, STATE_SLIRP_SOCKET, sizeof(path) - 1);
}

/**
 * infra_exists() - Whether network @net has an infra entry at all (live or not), in an infras'
 * root that is ours (not others', not a symlink: we make nothing in another)
 * @cfg:	the state root
 * @net:	the network
 *
 * Return: true if so
 */
bool infra_exists(struct net_cfg *cfg, const char *net)
{
	int root_fd;
	bool there;

	if (state_root_open(cfg->infra_root, false, &root_fd))
		return false;
	there = !faccessat(root_fd, net, F_OK, AT_SYMLINK_NOFOLLOW);
	close(root_fd);
	return there;
}
