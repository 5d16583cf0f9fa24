/* rootlet-network gc: every network put right, as the next command on each would. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "network.h"
#include "nsfd.h"
#include "state.h"
#include "statedir.h"

/* Whether the attachment's netns still exists (its file opens as a netns). */
static bool netns_there(const struct net_attach *a)
{
	int fd;

	if (!a->netns[0] || state_ns_open_holder_checked(a->netns, CLONE_NEWNET, &fd))
		return false;
	close(fd);
	return true;
}

/*
 * Whether the netns alloc made for attachment @a (<root>/ID) has owners and every one has
 * ended (alloc --owner: rootlet run's command, then its teardown): its container is gone, even
 * though the entry may be there still (its holder's release found the lock busy, or it is
 * rootlet-netns gc's to remove). So one gc, ours or rootlet-netns's first, leaves nothing.
 */
static bool owners_gone(struct net_cfg *cfg, const struct net_attach *a)
{
	struct netns_state st;
	int root_fd, dir_fd;
	bool gone;

	if (!a->made || state_root_open(cfg->root, false, &root_fd))
		return false;
	dir_fd = openat(root_fd, a->id, DIR_OPEN_FLAGS);
	close(root_fd);
	if (dir_fd < 0)
		return false;
	gone = !state_read(dir_fd, &st) && state_owners_gone(&st) == 1;
	close(dir_fd);
	return gone;
}

/* One network: dead verbs' attachments, containers whose netns or owners went, a dead infra. */
static int gc_one(struct net_cfg *cfg, int dir_fd, struct net_record *r, unsigned *ret_dropped)
{
	size_t i = 0;
	int err;

	if ((err = net_recover(cfg, dir_fd, r)))
		return err;
	while (i < r->attached) {
		struct net_attach *a = &r->att[i];
		char id[sizeof(a->id)];
		/* An ID that is no name (a record edited by hand) has nothing we made: it goes. */
		bool no_name = !a->id[0];

		if (netns_there(a) && (no_name || !owners_gone(cfg, a))) {
			i++;
			continue;
		}
		memcpy(id, a->id, sizeof(id));
		if (no_name) {
			att_remove(r, a);
			if ((err = record_create(dir_fd, r, &cfg->err)))
				return err;
		} else if ((err = net_dealloc_one(cfg, dir_fd, r, id))) {
			return err;
		}
		(*ret_dropped)++;
	}
	if (!r->attached)
		return infra_stop(cfg, r->infra.name);
	if ((err = infra_ensure(cfg, dir_fd, r)))
		return err;
	if (cfg->n_starting)
		return infra_wait(cfg, r);
	if ((err = infra_repair(cfg, dir_fd, r))) /* live: but whole? */
		return err;
	/*
	 * alloc and dealloc save the record before they write the hosts file: one killed in
	 * between left the file out of step with a record recovery finds whole. Written again
	 * from the record (which also sweeps what a killed writer left).
	 */
	return r->dns ? infra_write_hosts(cfg, r) : 0;
}

/**
 * net_gc() - For every network: roll back or finish what killed verbs left, drop the
 * containers whose netns is gone, repair a dead infra (a new one, the containers joined) and
 * stop one with no container left; then stop the infras of networks that have no record
 * @cfg:	cfg->err on failure
 *
 * Prints one line per network changed: "NAME: N dropped" or "NAME: checked".
 *
 * Return: 0, or the first failure's negative errno (the other networks are still done)
 */
int net_gc(struct net_cfg *cfg)
{
	struct net_record *rs = NULL;
	int dir_fd, lock_fd, err, first = 0;
	size_t n = 0;

	if ((err = record_open_locked(cfg, false, &dir_fd, &lock_fd)))
		return err == -ENOENT ? 0 : err;
	if ((err = record_list(dir_fd, cfg->infra_root, &rs, &n, &cfg->err)))
		goto out;
	for (size_t i = 0; i < n; i++) {
		unsigned dropped = 0;

		if ((err = gc_one(cfg, dir_fd, &rs[i], &dropped))) {
			err_wrap(&cfg->err, err, "%s", rs[i].name);
			if (!first)
				first = err;
			continue;
		}
		if (dropped)
			printf("%s: %u dropped (their netns were gone)\n", rs[i].name, dropped);
	}
	/* An infra whose record went (a hand-removed record: rm stops the infra first). */
	if ((err = infra_sweep(cfg, dir_fd)) && !first)
		first = err;
	err = first;
out:
	record_list_free(rs, n);
	close(lock_fd);
	close(dir_fd);
	return err;
}
