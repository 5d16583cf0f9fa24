/* rootlet-netns path: print the path of a netns (or userns) handle, for $(...) in scripts. */
#include <errno.h>
#include <stdio.h>

#include "netns.h"

/**
 * netns_path() - Print <root>/<name>/net, or <root>/<name>/user with --user
 * @cfg:	configuration
 *
 * A stale entry is refused: a path that setns() would reject is worse than an error here.
 *
 * Return: 0 on success, -ESRCH if stale, -ENODATA for --user of a root netns, other errno
 */
int netns_path(struct netns_cfg *cfg)
{
	char path[PATH_MAX];
	struct entry e;
	int err, live;

	if ((err = entry_open(cfg, false, false, &e)))
		return err;
	live = state_live(e.dir_fd, &e.st);
	if (live <= 0)
		err = live < 0 ? live : -ESRCH;
	else if (cfg->user && state_is_host(&e.st)) {
		err_make(&cfg->err, err, "a root netns has no user namespace of its own");
		err = -ENODATA;
	} else if (!(err = entry_ns_path(cfg, cfg->user ? STATE_USER : STATE_NET, path,
					 sizeof(path))))
		printf("%s\n", path);
	entry_close(&e);
	return err;
}
