/* Starting the holder of the netns rootlet-netns add makes, and stopping a holder. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <unistd.h>

#include "holder.h"
#include "netns.h"
#include "nsfd.h"
#include "pidfile.h"
#include "usermap.h"

/* Own uid to 0 and, when /etc/subuid and /etc/subgid allow, the subordinate ranges after it. */
static int holder_map_build(struct netns_cfg *cfg, struct usermap *map)
{
	struct usermap_diag diag;
	int err;

	if ((err = usermap_build_own(map, &diag, &cfg->err)))
		return err;
	if (diag.fallback[0])
		snprintf(cfg->warning, sizeof(cfg->warning), "%s", diag.fallback);
	else if (diag.n_warn)
		snprintf(cfg->warning, sizeof(cfg->warning), "%s", diag.warn[0]);
	return 0;
}

/**
 * holder_spawn_for() - Start the holder of the entry @cfg adds: a new netns in a new userns
 * mapped for the caller, or in the one of --userns
 * @cfg:	configuration: name, root, userns_path; cfg->err, cfg->warning
 * @ret_pid:	set to the holder's pid once its namespaces exist (and are mapped)
 * @unshared:	called once its namespaces exist (before the maps, for a new userns), or NULL
 * @arg:	for @unshared
 * @ret_commit_fd: as holder_spawn()'s
 *
 * Return: 0 on success, negative errno on failure (no holder is left running then)
 */
int holder_spawn_for(struct netns_cfg *cfg, pid_t *ret_pid, holder_unshared_fn unshared, void *arg,
		     int *ret_commit_fd)
{
	struct holder_opts o = { .root = cfg->root,
				 .name = cfg->name,
				 .userns_fd = -1,
				 .unshared = unshared,
				 .arg = arg };
	struct usermap map;
	int err;

	if (cfg->userns_path &&
	    (err = ns_open_at(AT_FDCWD, cfg->userns_path, CLONE_NEWUSER, &o.userns_fd))) {
		return err_make(&cfg->err, err, "--userns %s: %s", cfg->userns_path,
				err == -ENOTTY	 ? "not a namespace file"
				: err == -EINVAL ? "not a user namespace"
						 : strerror(-err));
	}
	/* Parsed before the fork: the child does not wait for it. */
	if (o.userns_fd < 0) {
		if ((err = holder_map_build(cfg, &map)))
			return err;
		o.map = &map;
	}
	/* The owner's pidfd, proven its by the start time add recorded: the holder ends with it. */
	if (cfg->owner) {
		struct state_owner now;

		o.owner_pidfd = pidfd_open(cfg->owner, 0);
		o.owned = o.owner_pidfd >= 0;
		if (!o.owned || state_owner_of(cfg->owner, &now) || now.start != cfg->owner_start) {
			err = err_make(&cfg->err, -ESRCH, "--owner %d: it has ended",
				       (int)cfg->owner);
			goto out;
		}
	}
	err = holder_spawn(&o, ret_pid, ret_commit_fd, &cfg->err);
out:
	if (o.owned)
		close(o.owner_pidfd);
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
