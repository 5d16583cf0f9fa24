/* rootlet-network rm: remove a network's record, refused while containers are attached. */
#include <errno.h>
#include <unistd.h>

#include "network.h"

/**
 * net_rm() - Remove a network; with --force even one attached to or with a corrupt record
 * @cfg:	the name and --force; cfg->err on failure
 *
 * Containers are attached by alloc, which is not there yet (issue 14): today no network has
 * any, and --force only matters for a corrupt record.
 *
 * Return: 0, -ENOENT, -EBUSY while attached, negative errno
 */
int net_rm(struct net_cfg *cfg)
{
	struct net_record r;
	int dir_fd, lock_fd, err;

	if ((err = record_open_locked(cfg, false, &dir_fd, &lock_fd)))
		return err == -ENOENT ? err_make(&cfg->err, err, "no such network") : err;
	err = record_read(dir_fd, cfg->name, &r, &cfg->err);
	if (err == -EBADMSG && cfg->force)
		err = 0;
	else if (!err && r.attached && !cfg->force)
		err = err_make(&cfg->err, -EBUSY,
			       "%u containers attached; dealloc them, or rm --force", r.attached);
	if (!err && (err = record_remove(dir_fd, cfg->name)))
		err_errno(&cfg->err, err, "removing the record");
	close(lock_fd);
	close(dir_fd);
	return err;
}
