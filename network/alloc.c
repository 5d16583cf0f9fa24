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

#define MAC_TEXT_MAX   sizeof("00:00:00:00:00:00")
#define ATTACH_PENDING "pending"
#define ATTACH_READY   "ready"

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
static bool is_infra_netns(struct net_cfg *cfg, const struct net_record *r, int net_fd)
{
	char path[PATH_MAX];
	struct stat a, b;
	int fd;
	bool same;

	if (state_entry_path(path, sizeof(path), cfg->infra_root, r->name, STATE_NET) ||
	    state_ns_open_holder_checked(path, CLONE_NEWNET, &fd))
		return false;
	same = !fstat(fd, &a) && !fstat(net_fd, &b) && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
	close(fd);
	return same;
}

/*
 * The user namespace of the netns at @path is the infra's, @user (open as @user_fd): else no
 * veth can join them. The infra's own netns is not a container's.
 */
static int same_userns(struct net_cfg *cfg, const struct net_record *r, const char *path,
		       const char *user, int user_fd)
{
	struct stat a, b;
	int net_fd, owner_fd = -1, err;

	/* Only what is no namespace is called so: EACCES, ENOENT and the like are said as such. */
	if ((err = state_ns_open_holder_checked(path, CLONE_NEWNET, &net_fd)))
		return err == -ENOTTY || err == -EINVAL
			       ? err_make(&cfg->err, err, "--netns %s: not a network namespace",
					  path)
			       : err_errno(&cfg->err, err, "--netns %s", path);
	if (is_infra_netns(cfg, r, net_fd)) {
		close(net_fd);
		return err_make(&cfg->err, -EINVAL,
				"--netns %s: network %s's infra, not a container's netns", path,
				r->name);
	}
	owner_fd = ioctl(net_fd, NS_GET_USERNS);
	close(net_fd);
	err = owner_fd < 0 || fstat(owner_fd, &a) || fstat(user_fd, &b) ? -errno : 0;
	if (owner_fd >= 0)
		close(owner_fd);
	if (err)
		return err_errno(&cfg->err, err, "--netns %s: its user namespace", path);
	if (a.st_ino != b.st_ino || a.st_dev != b.st_dev)
		return err_make(&cfg->err, -EXDEV,
				"--netns %s: not in the user namespace of %s's infra (make it with "
				"'rootlet-netns add NAME --userns %s')",
				path, r->name, user);
	return 0;
}

/* The attachment, pending: everything it will need is named before anything is made. */
static json_t *new_attachment(struct net_cfg *cfg, const struct net_record *r, struct in_addr ip,
			      const struct in6_addr *ip6, const uint8_t mac[6], const char *netns,
			      bool made)
{
	char ip_text[INET_ADDRSTRLEN], mac_text[MAC_TEXT_MAX], veth[IFNAMSIZ];
	char ip6_text[INET6_ADDRSTRLEN];
	/* Its hostname: --hostname, else its ID when that is a DNS name; else it has none. */
	const char *host = cfg->hostname_arg	    ? cfg->hostname_arg
			   : dnsname_valid(cfg->id) ? cfg->id
						    : NULL;
	json_t *o;
	json_t *aliases = json_array(), *publish = json_array();

	inet_ntop(AF_INET, &ip, ip_text, sizeof(ip_text));
	if (snprintf(mac_text, sizeof(mac_text), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
		     mac[2], mac[3], mac[4], mac[5]) >= (int)sizeof(mac_text) ||
	    attach_veth_name(r, cfg->id, veth, sizeof(veth))) {
		json_decref(aliases);
		json_decref(publish);
		return NULL;
	}
	for (int i = 0; i < cfg->n_aliases; i++)
		json_array_append_new(aliases, json_string(cfg->aliases[i]));
	for (int i = 0; i < cfg->n_publish; i++)
		json_array_append_new(publish, json_string(cfg->publish[i]));
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:o, s:o, s:I}", "id", cfg->id, "state",
		      ATTACH_PENDING, "ip", ip_text, "mac", mac_text, "netns", netns, "made", made,
		      "veth", veth, "aliases", aliases, "publish", publish, "alloc_pid",
		      (json_int_t)getpid());
	if (o && host)
		json_object_set_new(o, "hostname", json_string(host));
	if (o && ip6 && inet_ntop(AF_INET6, ip6, ip6_text, sizeof(ip6_text)))
		json_object_set_new(o, "ip6", json_string(ip6_text));
	return o;
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
static int attach(struct net_cfg *cfg, int dir_fd, struct net_record *r, json_t *a, bool made)
{
	char user[PATH_MAX];
	const char *netns = json_string_value(json_object_get(a, "netns"));
	struct net_nsmake c = { .root_fd = -1, .commit_fd = -1, .net_fd = -1 };
	int user_fd, err;

	if ((err = infra_ensure(cfg, dir_fd, r)) ||
	    (err = state_entry_path(user, sizeof(user), cfg->infra_root, r->name, STATE_USER)))
		return err;
	if ((err = state_ns_open_holder_checked(user, CLONE_NEWUSER, &user_fd)))
		return err_errno(&cfg->err, err, "%s", user);
	err = made ? nsmake_start(cfg, cfg->root, cfg->id, user_fd,
				  cfg->owner ? &cfg->owner_st : NULL, &c)
		   : same_userns(cfg, r, netns, user, user_fd);
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
	json_object_set_new(a, "state", json_string(ATTACH_READY));
	json_object_del(a, "alloc_pid");
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
	uint8_t mac[6];
	const char *owner;
	int dir_fd, lock_fd, err;
	bool made;
	json_t *a;

	/* Read now, as the caller passed it: a pid that has since ended is refused. */
	if (cfg->owner && (err = state_owner_of(cfg->owner, &cfg->owner_st)))
		return err_make(&cfg->err, err, "--owner %d: %s", (int)cfg->owner,
				err == -ESRCH ? "no such process" : strerror(-err));
	if ((err = record_open_locked(cfg, false, &dir_fd, &lock_fd)))
		return err == -ENOENT ? err_make(&cfg->err, err, "no such network") : err;
	if ((err = record_read(dir_fd, cfg->name, &r, &cfg->err)) ||
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
	if (!(a = new_attachment(cfg, &r, ip, r.ipv6 ? &ip6 : NULL, mac, netns, made)) ||
	    json_array_append_new(r.att, a)) {
		err = err_make(&cfg->err, -ENOMEM, "out of memory");
		goto out;
	}
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
