/* Starting the holder of the netns rootlet-netns add makes, and stopping a holder. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "holder.h"
#include "netns.h"
#include "nsfd.h"
#include "pidfile.h"

/**
 * holder_spawn_for() - Start the holder of the entry @cfg adds: a new netns in a new userns
 * mapped for the caller, or in the one of --userns; lib's recipe, holder_entry_start()
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
