/* Starting the holder of the netns rootlet-netns add makes, and stopping a holder. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "holder.h"
#include "netns.h"
#include "nsfd.h"
#include "pidfile.h"
#include "state.h"
#include "statedir.h"

/*
 * Whether @user_fd is the user namespace of one of rootlet-network's infras in @root (that
 * infra's holder live): a netns made for it gets one of its own below it, as a container's
 * that rootlet-network alloc makes does, else a process with CAP_NET_ADMIN in it could
 * administer the network's bridge (issue 24).
 */
static bool is_network_userns(const char *root, int user_fd)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct stat want, have;
	struct dirent *de;
	bool found = false;
	int dir_fd, fd;
	DIR *d;

	if (fstat(user_fd, &want) ||
	    snprintf(dir, sizeof(dir), "%s/%s", root, STATE_INFRA_DIR) >= (int)sizeof(dir) ||
	    state_root_open(dir, false, &dir_fd))
		return false;
	if (!(d = fdopendir(dir_fd))) {
		close(dir_fd);
		return false;
	}
	while (!found && (de = readdir(d))) {
		if (de->d_name[0] == '.' || de->d_name[0] == '~' ||
		    state_entry_path(path, sizeof(path), dir, de->d_name, STATE_USER) ||
		    state_ns_open_holder_checked(path, CLONE_NEWUSER, &fd))
			continue;
		found = !fstat(fd, &have) && have.st_ino == want.st_ino &&
			have.st_dev == want.st_dev;
		close(fd);
	}
	closedir(d);
	return found;
}

/**
 * holder_spawn_for() - Start the holder of the entry @cfg adds: a new netns in a new userns
 * mapped for the caller, or in the one of --userns (in one of its own below it when that is a
 * shared network's); lib's recipe, holder_entry_start()
 * @cfg:	configuration: name, root, userns_path, owner; cfg->err, cfg->warning
 * @st:		filled as holder_entry_start() fills it
 * @unshared:	called once its namespaces exist (before the maps, for a new userns), or NULL
 * @arg:	for @unshared
 * @ret_commit_fd: as holder_spawn()'s
 *
 * Return: 0 on success, negative errno on failure (no holder is left running then)
 */
int holder_spawn_for(struct netns_cfg *cfg, struct netns_state *st, holder_unshared_fn unshared,
		     void *arg, int *ret_commit_fd)
{
	/* Its start time as add recorded it, when it began. */
	struct state_owner owner = { .pid = cfg->owner, .start = cfg->owner_start };
	struct holder_entry_opts o = { .root = cfg->root,
				       .name = cfg->name,
				       .userns_fd = -1,
				       .owner = cfg->owner ? &owner : NULL,
				       .unshared = unshared,
				       .arg = arg };
	int err;

	if (cfg->userns_path &&
	    (err = ns_open_at(AT_FDCWD, cfg->userns_path, CLONE_NEWUSER, &o.userns_fd))) {
		return err_make(&cfg->err, err, "--userns %s: %s", cfg->userns_path,
				err == -ENOTTY	 ? "not a namespace file"
				: err == -EINVAL ? "not a user namespace"
						 : strerror(-err));
	}
	o.child = o.userns_fd >= 0 && is_network_userns(cfg->root, o.userns_fd);
	err = holder_entry_start(&o, st, ret_commit_fd, cfg->warning, sizeof(cfg->warning),
				 &cfg->err);
	if (o.userns_fd >= 0)
		close(o.userns_fd);
	return err;
}

/**
 * holder_stop() - Stop a holder: SIGTERM, then SIGKILL if it lingers
 * @st:		state naming the holder
 *
 * Return: 0 once the holder is gone (or was already), negative errno on failure
 */
int holder_stop(const struct netns_state *st)
{
	struct pidfile pf = { .pid = st->holder_pid, .start = st->holder_start };

	if (state_is_host(st))
		return 0;
	return pidfile_stop(&pf, HOLDER_STOP_TIMEOUT_MS);
}
