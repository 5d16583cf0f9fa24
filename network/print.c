/* rootlet-network is-idle, print-netns-path, print-cni-result: what an engine asks of a
 * network (podman's network backend), read under the lock once dead verbs are put right. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>

#include "network.h"

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

	if ((err = net_open(cfg, &r, &dir_fd, &lock_fd)))
		return err;
	record_print(json_pack("{s:b}", "idle", r.attached == 0));
	net_close(&r, dir_fd, lock_fd);
	return 0;
}

static int print_of(struct net_cfg *cfg, bool path)
{
	struct net_record r = { 0 };
	int dir_fd, lock_fd, err;
	const struct net_attach *a;
	json_t *res;

	if ((err = net_open(cfg, &r, &dir_fd, &lock_fd)))
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
	net_close(&r, dir_fd, lock_fd);
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
