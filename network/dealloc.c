/* rootlet-network dealloc, is-idle, print-netns-path, print-cni-result; and rolling back the
 * attachments of an alloc that died. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "network.h"

#define NETNS_BINARY "rootlet-netns"

/* The veth, and the netns if alloc made it; a part already gone is no failure. */
static int detach(struct net_cfg *cfg, const struct net_record *r, const struct net_attach *a)
{
	int err = publish_stop(r, a);

	if (!err)
		err = unplumb_container(cfg, r, a);
	if (err && strstr(cfg->err.text, "No such file"))
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
		if ((err = detach(cfg, r, a)) || (err = nsmake_sweep(cfg, a)))
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
	if ((err = record_create(dir_fd, r, &cfg->err)) || (err = detach(cfg, r, a)))
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

/* The record, locked, dead allocs rolled back and dead daemons started again, for a verb. */
static int open_network(struct net_cfg *cfg, struct net_record *r, int *dir_fd, int *lock_fd)
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

static void close_network(struct net_record *r, int dir_fd, int lock_fd)
{
	record_clear(r);
	close(lock_fd);
	close(dir_fd);
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

	if ((err = open_network(cfg, &r, &dir_fd, &lock_fd)))
		return err;
	err = net_dealloc_one(cfg, dir_fd, &r, cfg->id);
	close_network(&r, dir_fd, lock_fd);
	return err;
}

/**
 * net_is_idle() - `is-idle NET`: {"idle": true} when no container is attached
 * @cfg:	cfg->err on failure
 *
 * Return: 0, negative errno
 */
int net_is_idle(struct net_cfg *cfg)
{
	struct net_record r = { 0 };
	int dir_fd, lock_fd, err;

	if ((err = open_network(cfg, &r, &dir_fd, &lock_fd)))
		return err;
	record_print(json_pack("{s:b}", "idle", r.attached == 0));
	close_network(&r, dir_fd, lock_fd);
	return 0;
}

static int print_of(struct net_cfg *cfg, bool path)
{
	struct net_record r = { 0 };
	int dir_fd, lock_fd, err;
	const struct net_attach *a;
	json_t *res;

	if ((err = open_network(cfg, &r, &dir_fd, &lock_fd)))
		return err;
	if (!(a = attach_find(&r, cfg->id)))
		err = err_make(&cfg->err, -ENOENT, "%s is not attached to %s", cfg->id, r.name);
	else if (path)
		record_print(json_pack("{s:s}", "path", a->netns));
	else if (!(res = attach_cni_result(&r, a)))
		err = err_make(&cfg->err, -EBADMSG, "%s's attachment is corrupt; dealloc it",
			       cfg->id);
	else
		record_print(res);
	close_network(&r, dir_fd, lock_fd);
	return err;
}

/**
 * net_print_netns_path() - `print-netns-path NET ID`: {"path": "..."}
 * @cfg:	cfg->err on failure
 *
 * Return: 0, -ENOENT, negative errno
 */
int net_print_netns_path(struct net_cfg *cfg)
{
	return print_of(cfg, true);
}

/**
 * net_print_cni_result() - `print-cni-result NET ID`: the CNI result alloc printed
 * @cfg:	cfg->err on failure
 *
 * Return: 0, -ENOENT, negative errno
 */
int net_print_cni_result(struct net_cfg *cfg)
{
	return print_of(cfg, false);
}
