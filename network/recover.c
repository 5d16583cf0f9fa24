/* What every verb does first under the networks' lock: roll back the attachments of an alloc
 * that died, finish those of a dealloc that died; and the record opened that way. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "network.h"

#define NETNS_BINARY "rootlet-netns"

/**
 * net_detach() - Take an attachment down: its rootlet-portfwd, its veth, its netns if alloc
 * made it; a part already gone is no failure
 * @cfg:	cfg->err on failure
 * @r:		the network
 * @a:		the attachment
 *
 * Return: 0, or a negative errno
 */
int net_detach(struct net_cfg *cfg, const struct net_record *r, const struct net_attach *a)
{
	int err = publish_stop(r, a);

	if (err)
		return err_errno(&cfg->err, err, "stopping %s's rootlet-portfwd", a->id);
	err = unplumb_container(cfg, r, a);
	if (err == -ENOENT)
		err = 0; /* no infra left to hold the veth */
	if (!err && a->made && a->id[0]) {
		err = netns_cmd(cfg, cfg->root,
				(char *[]){ NETNS_BINARY, "del", (char *)a->id, NULL });
		if (err && strstr(cfg->err.text, "no such netns"))
			err = 0;
	}
	if (!err)
		err_clear(&cfg->err);
	return err;
}

/**
 * net_recover() - Roll back the attachments an alloc left pending when it died, and finish
 * those a dealloc left removing
 * @cfg:	the state root; cfg->err on failure
 * @dir_fd:	<root>/~networks, locked: no alloc is running, so every pending one is dead
 * @r:		the network; its record is rewritten if anything was rolled back
 *
 * With nothing left attached, the infra goes too (also one a killed dealloc left running).
 *
 * Return: 0, or a negative errno
 */
int net_recover(struct net_cfg *cfg, int dir_fd, struct net_record *r)
{
	bool changed = false;
	size_t i = 0;
	int err;

	while (i < r->attached) {
		struct net_attach *a = &r->att[i];

		if (a->state == ATT_READY) {
			i++;
			continue;
		}
		if ((err = net_detach(cfg, r, a)) || (err = nsmake_sweep(cfg, a)))
			return err_wrap(&cfg->err, err, "rolling back a killed alloc of %s",
					a->id[0] ? a->id : "?");
		att_remove(r, a);
		changed = true;
	}
	/* A dealloc killed once it wrote its last container out, before it stopped the infra. */
	if (!changed)
		return r->attached ? 0 : infra_stop(cfg, r->infra.name);
	if (!r->attached && (err = infra_stop(cfg, r->infra.name)))
		return err;
	if ((err = record_create(dir_fd, r, &cfg->err)) ||
	    (r->attached && (err = spoofguard_write(cfg, r))))
		return err;
	return r->attached && r->dns ? infra_write_hosts(cfg, r) : 0;
}

/**
 * net_open() - Network cfg->name's record, locked, what dead verbs left rolled back or
 * finished, its live infra's dead daemons started again: how a verb on one network begins
 * @cfg:	the name; cfg->err on failure
 * @r:		the record
 * @dir_fd:	<root>/~networks
 * @lock_fd:	the networks' lock; net_close() releases all three
 *
 * Return: 0, -ENOENT (no such network), negative errno (nothing left open then)
 */
int net_open(struct net_cfg *cfg, struct net_record *r, int *dir_fd, int *lock_fd)
{
	int err;

	if ((err = record_open_locked(cfg, false, dir_fd, lock_fd)))
		return err == -ENOENT ? err_make(&cfg->err, err, "no such network") : err;
	if ((err = record_read(*dir_fd, cfg->infra_root, cfg->name, r, &cfg->err)) ||
	    (err = net_recover(cfg, *dir_fd, r)) || (err = infra_heal(cfg, r))) {
		record_clear(r);
		close(*lock_fd);
		close(*dir_fd);
	}
	return err;
}

/**
 * net_close() - Release what net_open() opened
 * @r:		the record
 * @dir_fd:	<root>/~networks
 * @lock_fd:	the lock
 */
void net_close(struct net_record *r, int dir_fd, int lock_fd)
{
	record_clear(r);
	close(lock_fd);
	close(dir_fd);
}
