/* rootlet-network alloc: attach a container to a network, its netns made unless given. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <linux/nsfs.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dnsname.h"
#include "fileio.h"
#include "network.h"
#include "nsfd.h"
#include "state.h"
#include "statedir.h"
#include "userns_child.h"

/*
 * Theory of operation. alloc holds the networks' lock from start to end. It first writes the
 * attachment as "pending" (its address taken, its veth and netns named), then makes the
 * infra, the netns and the veth, then writes it "ready". A pending attachment found by
 * whoever holds the lock next is one whose alloc died (kill -9): it is rolled back, its veth
 * and the netns alloc made deleted, its address freed (net_recover()). dealloc likewise marks
 * an attachment "removing" before it takes anything down, and a dead dealloc's is finished.
 * So an address is never handed out twice and nothing is orphaned, whatever moment either was
 * killed at.
 */

/* Whether the netns @net_fd is the infra's own (given by path, it is in the right userns). */
static bool is_infra_netns(const struct net_record *r, int net_fd)
{
	struct stat a, b;
	int fd;
	bool same;

	if (state_ns_open_holder_checked(r->infra.net, CLONE_NEWNET, &fd))
		return false;
	same = !fstat(fd, &a) && !fstat(net_fd, &b) && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
	close(fd);
	return same;
}

/*
 * The user namespace of the netns at @path is strictly below the network's, @user (open as
 * @user_fd): the infra's plumbing has its rights over it (a veth joins the two), and a process
 * with CAP_NET_ADMIN there has none over the infra's netns or another container's. One in the
 * network's own user namespace would have them (issue 24: a bridge port deleted through
 * IFLA_TARGET_NETNSID), so it is refused, as is one not below it. The infra's own netns is not
 * a container's.
 */
static int same_userns(struct net_cfg *cfg, const struct net_record *r, const char *path,
		       const char *user, int user_fd)
{
	int net_fd, owner_fd = -1, err, depth;

	/* Only what is no namespace is called so: EACCES, ENOENT and the like are said as such. */
	if ((err = state_ns_open_holder_checked(path, CLONE_NEWNET, &net_fd)))
		return err == -ENOTTY || err == -EINVAL
			       ? err_make(&cfg->err, err, "--netns %s: not a network namespace",
					  path)
			       : err_errno(&cfg->err, err, "--netns %s", path);
	if (is_infra_netns(r, net_fd)) {
		close(net_fd);
		return err_make(&cfg->err, -EINVAL,
				"--netns %s: network %s's infra, not a container's netns", path,
				r->name);
	}
	owner_fd = ioctl(net_fd, NS_GET_USERNS);
	err = owner_fd < 0 ? -errno : 0;
	close(net_fd);
	if (err)
		return err_errno(&cfg->err, err, "--netns %s: its user namespace", path);
	depth = userns_depth_below(owner_fd, user_fd);
	close(owner_fd);
	if (depth == 0)
		return err_make(&cfg->err, -EPERM,
				"--netns %s: in the user namespace of %s's infra, where it could "
				"administer the network; make it with 'rootlet-netns add NAME "
				"--userns %s', which gives it one of its own",
				path, r->name, user);
	if (depth == -ENOENT)
		return err_make(
			&cfg->err, -EXDEV,
			"--netns %s: not below the user namespace of %s's infra (make it with "
			"'rootlet-netns add NAME --userns %s')",
			path, r->name, user);
	if (depth < 0)
		return err_errno(&cfg->err, depth, "--netns %s: its user namespace", path);
	return 0;
}

/* The attachment, pending: everything it will need is named before anything is made. */
static int new_attachment(struct net_cfg *cfg, const struct net_record *r, struct in_addr ip,
			  const struct in6_addr *ip6, const uint8_t mac[NET_MAC_LEN],
			  const char *netns, bool made, struct net_attach *a)
{
	/* Its hostname: --hostname, else its ID when that is a DNS name; else it has none. */
	const char *host = cfg->hostname_arg	    ? cfg->hostname_arg
			   : dnsname_valid(cfg->id) ? cfg->id
						    : NULL;

	*a = (struct net_attach){ .state = ATT_PENDING,
				  .has_ip = true,
				  .ip = ip,
				  .has_ip6 = ip6 != NULL,
				  .has_mac = true,
				  .made = made,
				  .alloc_pid = getpid() };
	if (ip6)
		a->ip6 = *ip6;
	memcpy(a->mac, mac, NET_MAC_LEN);
	if (snprintf(a->id, sizeof(a->id), "%s", cfg->id) >= (int)sizeof(a->id) ||
	    snprintf(a->netns, sizeof(a->netns), "%s", netns) >= (int)sizeof(a->netns) ||
	    attach_veth_name(r, cfg->id, a->veth, sizeof(a->veth)))
		return -ENAMETOOLONG;
	if ((host && !(a->hostname = strdup(host))) ||
	    (cfg->n_aliases && !(a->aliases = calloc((size_t)cfg->n_aliases, sizeof(char *)))) ||
	    (cfg->n_publish && !(a->publish = calloc((size_t)cfg->n_publish, sizeof(char *)))))
		return -ENOMEM;
	for (; a->n_aliases < (size_t)cfg->n_aliases; a->n_aliases++)
		if (!(a->aliases[a->n_aliases] = strdup(cfg->aliases[a->n_aliases])))
			return -ENOMEM;
	for (; a->n_publish < (size_t)cfg->n_publish; a->n_publish++)
		if (!(a->publish[a->n_publish] = strdup(cfg->publish[a->n_publish])))
			return -ENOMEM;
	return 0;
}

static int resolve_netns(struct net_cfg *cfg, char *path, size_t len, bool *made)
{
	*made = !cfg->netns_arg;
	if (!cfg->netns_arg)
		return state_entry_path(path, len, cfg->root, cfg->id, STATE_NET);
	if (strchr(cfg->netns_arg, '/')) {
		if (snprintf(path, len, "%s", cfg->netns_arg) >= (int)len)
			return err_make(&cfg->err, -ENAMETOOLONG, "--netns: path too long");
		return 0;
	}
	if (name_check(cfg->netns_arg, NULL))
		return err_make(&cfg->err, -EINVAL, "--netns %s: not a netns name or path",
				cfg->netns_arg);
	return state_entry_path(path, len, cfg->root, cfg->netns_arg, STATE_NET);
}

/*
 * After the pending record is written: the infra, the netns (its holder execs while eth0 is
 * plumbed), the veth; the netns published; then ready.
 */
static int attach(struct net_cfg *cfg, int dir_fd, struct net_record *r, struct net_attach *a,
		  bool made)
{
	const char *user = r->infra.user;
	struct net_nsmake c = { .root_fd = -1, .commit_fd = -1, .net_fd = -1 };
	int user_fd, err;

	if ((err = infra_ensure(cfg, dir_fd, r)))
		return err;
	if ((err = state_ns_open_holder_checked(user, CLONE_NEWUSER, &user_fd)))
		return err_errno(&cfg->err, err, "%s", user);
	err = made ? nsmake_start(cfg, cfg->root, cfg->id, user_fd, true,
				  cfg->owner ? &cfg->owner_st : NULL, &c)
		   : same_userns(cfg, r, a->netns, user, user_fd);
	close(user_fd);
	if (made && err)
		return err_wrap(&cfg->err, err, "making netns %s", cfg->id);
	if (err)
		return err;
	if ((err = spoofguard_write(cfg, r)) || (err = plumb_container(cfg, r, a, c.net_fd)) ||
	    (err = publish_start(cfg, r, a, made ? &c.st : NULL)) || (err = infra_wait(cfg, r))) {
		if (made)
			nsmake_abort(&c);
		return err;
	}
	if (made && (err = nsmake_publish(cfg, r, &c)))
		return err_wrap(&cfg->err, err, "making netns %s", cfg->id);
	a->state = ATT_READY;
	a->alloc_pid = 0;
	if ((err = record_create(dir_fd, r, &cfg->err)))
		return err;
	return r->dns ? infra_write_hosts(cfg, r) : 0;
}

/**
 * net_alloc() - Attach container cfg->id to network cfg->name and print its CNI result
 * @cfg:	the network, the ID, --netns, --ip, --mac, --hostname, --alias; cfg->err
 *
 * Return: 0, -ENOENT (no network), -EEXIST (the ID is attached), -EINVAL/-EADDRINUSE (an
 *	   address refused), negative errno; on failure nothing of the attachment is left
 */
int net_alloc(struct net_cfg *cfg)
{
	char netns[PATH_MAX];
	struct net_record r = { 0 };
	struct in_addr ip;
	struct in6_addr ip6;
	uint8_t mac[NET_MAC_LEN];
	const char *owner;
	int dir_fd, lock_fd, err;
	bool made;
	struct net_attach new, *a;

	/* Read now, as the caller passed it: a pid that has since ended is refused. */
	if (cfg->owner && (err = state_owner_of(cfg->owner, &cfg->owner_st)))
		return err_make(&cfg->err, err, "--owner %d: %s", (int)cfg->owner,
				err == -ESRCH ? "no such process" : strerror(-err));
	if ((err = record_open_locked(cfg, false, &dir_fd, &lock_fd)))
		return err == -ENOENT ? err_make(&cfg->err, err, "no such network") : err;
	if ((err = record_read(dir_fd, cfg->infra_root, cfg->name, &r, &cfg->err)) ||
	    (err = net_recover(cfg, dir_fd, &r)))
		goto out;
	if (attach_find(&r, cfg->id)) {
		err = err_make(&cfg->err, -EEXIST, "%s is attached already", cfg->id);
		goto out;
	}
	if ((err = names_check_free(cfg, &r)))
		goto out;
	if ((err = attach_pick_ip(&r, cfg->ip_arg, &ip, &cfg->err)))
		goto out;
	if (cfg->ip6_arg && !r.ipv6) {
		err = err_make(&cfg->err, -EINVAL, "--ip6 %s: %s has no IPv6", cfg->ip6_arg,
			       r.name);
		goto out;
	}
	if (r.ipv6 && (err = attach_pick_ip6(&r, cfg->ip6_arg, &ip6, &cfg->err)))
		goto out;
	/* --mac was checked as a MAC (main.c); here, that no other port of the bridge has it. */
	if (cfg->mac_arg)
		memcpy(mac, cfg->mac, sizeof(mac));
	else
		attach_mac(ip, cfg->id, mac);
	if ((owner = attach_mac_owner(&r, mac))) {
		err = err_make(&cfg->err, -EADDRINUSE, "%s%s: taken by %s",
			       cfg->mac_arg ? "--mac " : "its MAC ",
			       cfg->mac_arg ? cfg->mac_arg : "(from its address)", owner);
		goto out;
	}
	if ((err = resolve_netns(cfg, netns, sizeof(netns), &made)))
		goto out;
	if (made && !access(netns, F_OK)) {
		err = err_make(&cfg->err, -EEXIST,
			       "a netns %s exists; give it with --netns, or another ID", cfg->id);
		goto out;
	}
	if ((err = new_attachment(cfg, &r, ip, r.ipv6 ? &ip6 : NULL, mac, netns, made, &new)) ||
	    (err = att_append(&r, &new))) {
		att_clear(&new);
		err = err_errno(&cfg->err, err, "%s's attachment", cfg->id);
		goto out;
	}
	a = &r.att[r.attached - 1];
	if ((err = record_create(dir_fd, &r, &cfg->err)))
		goto out;
	if ((err = attach(cfg, dir_fd, &r, a, made))) {
		struct err why = cfg->err;

		net_recover(cfg, dir_fd, &r); /* the pending attachment goes, and what it made */
		cfg->err = why;
		goto out;
	}
	record_print(
		attach_cni_result(&r, a)); /* its address is ours: never NULL but without memory */
out:
	record_clear(&r);
	close(lock_fd);
	close(dir_fd);
	return err;
}
