/* rootlet-network rm: remove a network's record, refused while containers are attached. */
#include <errno.h>
#include <jansson.h>
#include <string.h>
#include <unistd.h>

#include "network.h"

/**
 * net_rm() - Remove a network; with --force its containers are deallocated first (and a
 * corrupt record removed)
 * @cfg:	the name and --force; cfg->err on failure
 *
 * Return: 0, -ENOENT, -EBUSY while attached, negative errno
 */
int net_rm(struct net_cfg *cfg)
{
	struct net_record r = { 0 };
	int dir_fd, lock_fd, err;

	if ((err = record_open_locked(cfg, false, &dir_fd, &lock_fd)))
		return err == -ENOENT ? err_make(&cfg->err, err, "no such network") : err;
	err = record_read(dir_fd, cfg->infra_root, cfg->name, &r, &cfg->err);
	if (err == -EBADMSG && cfg->force)
		err = 0;
	else if (!err)
		err = net_recover(cfg, dir_fd, &r);
	if (!err && r.attached && !cfg->force)
		err = err_make(&cfg->err, -EBUSY,
			       "%zu containers attached; dealloc them, or rm --force", r.attached);
	while (!err && r.attached) {
		char id[sizeof(r.att[0].id)];

		/* An ID that is no name (a record edited by hand) has nothing we made. */
		memcpy(id, r.att[0].id, sizeof(id));
		if (!id[0])
			att_remove(&r, &r.att[0]);
		else
			err = net_dealloc_one(cfg, dir_fd, &r, id);
	}
	/* The last dealloc stopped the infra; with no dealloc at all, one left by a killed verb. */
	if (!err)
		err = infra_stop(cfg, cfg->name);
	if (!err && (err = record_remove(dir_fd, cfg->name)))
		err_errno(&cfg->err, err, "removing the record");
	record_clear(&r);
	close(lock_fd);
	close(dir_fd);
	return err;
}
