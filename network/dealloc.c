/* rootlet-network dealloc: detach a container; the infra stops with the last one. */
#include <errno.h>
#include <unistd.h>

#include "network.h"

/**
 * net_dealloc_one() - Detach container @id: its veth, its address, its netns if alloc made it;
 * the infra too when it was the last
 * @cfg:	cfg->err on failure
 * @dir_fd:	<root>/~networks, locked
 * @r:		the network
 * @id:		the container
 *
 * Return: 0, -ENOENT when @id is not attached, negative errno
 */
int net_dealloc_one(struct net_cfg *cfg, int dir_fd, struct net_record *r, const char *id)
{
	struct net_attach *a = attach_find(r, id);
	int err;

	if (!a)
		return err_make(&cfg->err, -ENOENT, "%s is not attached to %s", id, r->name);
	/* Said first: killed from here on, the next command finishes what we began. */
	a->state = ATT_REMOVING;
	if ((err = record_create(dir_fd, r, &cfg->err)) || (err = net_detach(cfg, r, a)))
		return err;
	att_remove(r, a);
	if ((err = record_create(dir_fd, r, &cfg->err)))
		return err;
	if (!r->attached)
		return infra_stop(cfg, r->infra.name);
	if ((err = spoofguard_write(cfg, r)))
		return err;
	return r->dns ? infra_write_hosts(cfg, r) : 0;
}

/**
 * net_dealloc() - `dealloc NET ID`
 * @cfg:	cfg->err on failure
 *
 * Return: 0, -ENOENT, negative errno
 */
int net_dealloc(struct net_cfg *cfg)
{
	struct net_record r = { 0 };
	int dir_fd, lock_fd, err;

	if ((err = net_open(cfg, &r, &dir_fd, &lock_fd)))
		return err;
	err = net_dealloc_one(cfg, dir_fd, &r, cfg->id);
	net_close(&r, dir_fd, lock_fd);
	return err;
}
