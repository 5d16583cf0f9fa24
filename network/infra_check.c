/* What the next verb and gc find wrong with an infra: an old build's net.NAME, one whose bridge
 * is gone, one whose network has no record. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "netlink.h"
#include "network.h"
#include "nsfd.h"
#include "state.h"
#include "statedir.h"

/* In a child in the infra: whether its bridge is there (-ENODEV when not). */
static int bridge_there(struct net_cfg *cfg, const struct net_record *r, void *unused,
			struct err *e)
{
	struct nl_sock *sk = NULL;
	int err, bridge;

	(void)cfg;
	(void)unused;
	err = join_infra_bridge(r, false, &sk, &bridge, e);
	netlink_close(sk);
	return err;
}

/**
 * infra_repair() - A live infra whose bridge is gone (deleted by hand): stopped, and made
 * again with every container joined
 * @cfg:	cfg->err on failure
 * @dir_fd:	<root>/~networks (locked)
 * @r:		the network, its infra live
 *
 * Return: 0 (also when the bridge is there), or a negative errno
 */
int infra_repair(struct net_cfg *cfg, int dir_fd, struct net_record *r)
{
	int err = net_in_child(cfg, bridge_there, r, NULL);

	if (err != -ENODEV) {
		err_clear(&cfg->err);
		return 0;
	}
	err_clear(&cfg->err);
	if ((err = infra_stop(cfg, r->infra.name)) || (err = infra_ensure(cfg, dir_fd, r)))
		return err;
	return infra_wait(cfg, r);
}

/**
 * infra_sweep() - Stop every infra whose network has no record any more: the networks' lock
 * is held, so no verb is making one
 * @cfg:	the state root; cfg->err on failure
 * @dir_fd:	<root>/~networks, locked
 *
 * Return: 0, or the first failure's negative errno
 */
int infra_sweep(struct net_cfg *cfg, int dir_fd)
{
	char record[sizeof(((struct dirent *)0)->d_name) + sizeof(NET_RECORD_EXT)];
	struct dirent *de;
	int root_fd, err, first = 0;
	DIR *d;

	if ((err = state_root_open(cfg->infra_root, false, &root_fd)))
		return err == -ENOENT  ? 0
		       : err == -EPERM ? state_root_refused(cfg->infra_root, &cfg->err)
				       : err_errno(&cfg->err, err, "%s", cfg->infra_root);
	err = dir_stream(root_fd, &d);
	close(root_fd);
	if (err)
		return err_errno(&cfg->err, err, "%s", cfg->infra_root);
	while ((de = readdir(d))) {
		int n;

		if (name_check(de->d_name, NULL))
			continue; /* ., .., a ~add. being built (gc's, under the lock) */
		n = snprintf(record, sizeof(record), "%s%s", de->d_name, NET_RECORD_EXT);
		if (n < 0 || (size_t)n >= sizeof(record) ||
		    !faccessat(dir_fd, record, F_OK, AT_SYMLINK_NOFOLLOW))
			continue;
		if ((err = infra_stop(cfg, de->d_name)) && !first)
			first = err_wrap(&cfg->err, err, "stopping infra %s (no such network)",
					 de->d_name);
	}
	closedir(d);
	return first;
}
