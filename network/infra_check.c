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

#define NETNS_BINARY "rootlet-netns"

/**
 * infra_legacy_stop() - Stop an old build's infra of network @r: <root>/net.NAME, the name cut
 * to 64 bytes
 * @cfg:	the state root
 * @r:		the network
 * @user_fd:	the user namespace its containers live in
 *
 * It is recognised by what only it can be: the entry whose holder made (userns "new") the
 * user namespace @user_fd, in which the network's containers live; a container's netns in it
 * was made joining it ("join"), whatever its name. Its holder, slirp and DNS responder are
 * stopped before the new infra takes the containers over; anything else by that name is left.
 */
void infra_legacy_stop(struct net_cfg *cfg, const struct net_record *r, int user_fd)
{
	char name[NAME_MAX_LEN + 1];
	size_t plen = strlen(NET_LEGACY_INFRA_PREFIX), nlen = strlen(r->name);
	struct stat want, have;
	struct netns_state st;
	int root_fd, dir_fd, fd;
	bool same;

	/* The old build's snprintf() into NAME_MAX_LEN + 1 bytes: cut as it cut. */
	if (nlen > NAME_MAX_LEN - plen)
		nlen = NAME_MAX_LEN - plen;
	memcpy(name, NET_LEGACY_INFRA_PREFIX, plen);
	memcpy(name + plen, r->name, nlen);
	name[plen + nlen] = '\0';
	if (state_root_open(cfg->root, false, &root_fd))
		return;
	dir_fd = openat(root_fd, name, DIR_OPEN_FLAGS);
	close(root_fd);
	if (dir_fd < 0)
		return;
	/* Opened, then the holder checked: a pid reused in between is caught. */
	same = !state_read(dir_fd, &st) && !strcmp(st.userns, USERNS_NEW) &&
	       !ns_open_at(dir_fd, STATE_USER, CLONE_NEWUSER, &fd);
	if (same && state_live(dir_fd, &st) <= 0) {
		close(fd);
		same = false;
	}
	close(dir_fd);
	if (!same)
		return;
	same = !fstat(fd, &have) && !fstat(user_fd, &want) && have.st_ino == want.st_ino &&
	       have.st_dev == want.st_dev;
	close(fd);
	if (same && netns_cmd(cfg, cfg->root, (char *[]){ NETNS_BINARY, "del", name, NULL }))
		err_clear(&cfg->err); /* not stopped: 'rootlet-netns del' of it by hand */
}

/* In a child in the infra: whether its bridge is there (-ENODEV when not). */
static int bridge_there(struct net_cfg *cfg, const struct net_record *r, void *unused,
			struct err *e)
{
	struct nl_sock *sk = NULL;
	int err, bridge;

	(void)cfg;
	(void)unused;
	if ((err = join_infra(r, e)))
		return err;
	if ((err = netlink_open(&sk)))
		return err_errno(e, err, "netlink");
	err = netlink_link_index(sk, NET_BRIDGE, &bridge);
	netlink_close(sk);
	return err ? err_errno(e, err, "%s", NET_BRIDGE) : 0;
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
		return err == -ENOENT ? 0 : err_errno(&cfg->err, err, "%s", cfg->infra_root);
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
