/* A network's infra: the rootlet netns <root>/~infra/NAME with its bridge, slirp for outbound. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "binpath.h"
#include "capture.h"
#include "fileio.h"
#include "netlink.h"
#include "network.h"
#include "nsfd.h"
#include "pidfile.h"
#include "slirpnet.h"
#include "state.h"
#include "statedir.h"
#include "userns_child.h"

#define NETNS_BINARY   "rootlet-netns"
#define SYSCTL_FORWARD "/proc/sys/net/ipv4/ip_forward"
/* Before slirp makes tap0, so that tap0 is born with it (the bridge was made before). */
#define SYSCTL_PROXY_ARP "/proc/sys/net/ipv4/conf/default/proxy_arp"
#define SYSCTL_FORWARD6	 "/proc/sys/net/ipv6/conf/all/forwarding"
/* Strict reverse-path filter: what comes in on the bridge from an address routed out of tap0
 * (10.0.2.3, slirp's DNS: a forged answer to rootlet-dns's upstream query) is dropped. */
#define SYSCTL_RP_FILTER "/proc/sys/net/ipv4/conf/all/rp_filter"
#define RP_FILTER_STRICT "1"
/* A proxied ARP answer is otherwise held back up to 0.8 s (the anycast delay of RFC 4861),
 * and slirp, the one asker on tap0, holds the packet it asked for until then. Per device
 * only: a netns other than the host's has no neigh/default. */
#define SYSCTL_PROXY_DELAY "/proc/sys/net/ipv4/neigh/" SLIRP_TAP "/proxy_delay"

/*
 * Outbound, decided by measurement (ARCHITECTURE.md): the infra routes the containers' packets
 * out of slirp's tap0 with their own source addresses, and answers slirp's ARP for them there
 * (proxy ARP), so libslirp sends the replies back to the infra, which routes them to the
 * bridge. No NAT, no nftables: libslirp takes any guest source address. Container to
 * container stays on the bridge, the kernel's own path.
 */

/**
 * netns_cmd() - Run rootlet-netns (beside us) with @argv on state root @root, its error as
 * ours when it fails
 * @cfg:	cfg->err: its message, "rootlet-netns: " taken off
 * @root:	cfg->root (the containers' netns) or cfg->infra_root (the infras)
 * @argv:	its arguments, NULL-terminated, argv[0] unused
 *
 * Return: 0 when it exits 0, else a negative errno
 */
int netns_cmd(struct net_cfg *cfg, const char *root, char *const argv[])
{
	char binary[PATH_MAX], *text = NULL, *line;
	int status;

	if (binary_path(NETNS_BINARY, NULL, binary, sizeof(binary)))
		return err_make(&cfg->err, -ENOENT, "%s not found", NETNS_BINARY);
	/* main() set it to cfg->root; the child inherits our environment. */
	if (setenv(NET_STATE_ROOT_ENV, root, 1))
		return err_errno(&cfg->err, -errno, "%s", NET_STATE_ROOT_ENV);
	status = capture_run(binary, argv, STDERR_FILENO, &text);
	setenv(NET_STATE_ROOT_ENV, cfg->root, 1);
	if (status < 0 || status == 0) {
		free(text);
		return status;
	}
	/* Its one line, without its "rootlet-netns: ": our caller says what it was doing. */
	line = text;
	line[strcspn(line, "\n")] = '\0';
	if (!strncmp(line, NETNS_BINARY ": ", strlen(NETNS_BINARY ": ")))
		line += strlen(NETNS_BINARY ": ");
	err_make(&cfg->err, -ECHILD, "%s", line);
	free(text);
	return -ECHILD;
}

/* 1 when the entry's holder runs, 0 when there is no entry or a stale one, or a negative errno. */
static int entry_live(const char *root, const char *name)
{
	struct netns_state st;
	int root_fd, dir_fd, err;

	if ((err = state_root_open(root, false, &root_fd)))
		return err == -ENOENT ? 0 : err;
	dir_fd = openat(root_fd, name, DIR_OPEN_FLAGS);
	close(root_fd);
	if (dir_fd < 0)
		return errno == ENOENT ? 0 : -errno;
	err = state_read(dir_fd, &st);
	if (!err)
		err = state_live(dir_fd, &st);
	close(dir_fd);
	return err < 0 ? 0 : err;
}

/* In a child in the infra's user namespace: the bridge, the gateway's address, forwarding. */
static int bridge_up(struct net_cfg *cfg, const struct net_record *r, void *unused, struct err *e)
{
	struct nl_sock *sk = NULL;
	int err, bridge;

	(void)cfg;
	(void)unused;
	if ((err = join_infra_bridge(r, true, &sk, &bridge, e)))
		return err;
	if ((err = netlink_addr_add(sk, bridge, AF_INET, &r->gateway, r->prefix)) ||
	    (r->ipv6 && (err = netlink_addr_add(sk, bridge, AF_INET6, &r->gateway6, r->prefix6))) ||
	    (err = netlink_link_up(sk, bridge, r->mtu, NULL, 0)))
		err_errno(e, err, "bridge %s", NET_BRIDGE);
	netlink_close(sk);
	if (err || (err = write_sysctl(SYSCTL_RP_FILTER, RP_FILTER_STRICT, e)) || r->internal)
		return err;
	if ((err = write_sysctl(SYSCTL_FORWARD, "1", e)) ||
	    (err = write_sysctl(SYSCTL_PROXY_ARP, "1", e)))
		return err;
	if (r->ipv6 && (err = write_sysctl(SYSCTL_FORWARD6, "1", e)))
		return err;
	return 0;
}

/* In a child in the infra, once slirp has made tap0: proxied ARP answers on it without delay. */
static int tap_tune(struct net_cfg *cfg, const struct net_record *r, void *unused, struct err *e)
{
	int err;

	(void)cfg;
	(void)unused;
	if ((err = join_infra(r, e)))
		return err;
	return write_sysctl(SYSCTL_PROXY_DELAY, "0", e);
}

/*
 * The network's user namespace, which the containers still attached live below, as an fd; -1
 * when none of them is left. A new infra must join it: the infra's plumbing makes a veth
 * across two netns only with capabilities over both. A container's netns has a user namespace
 * of its own, a child of the network's (an older build's is in the network's itself): the
 * network's is its ancestor whose parent is ours, the one we made it in.
 */
static int surviving_userns(const struct net_record *r)
{
	for (size_t i = 0; i < r->attached; i++) {
		const struct net_attach *a = &r->att[i];
		int net_fd, user_fd, top_fd;

		if (a->state != ATT_READY || !a->netns[0] ||
		    state_ns_open_holder_checked(a->netns, CLONE_NEWNET, &net_fd))
			continue;
		user_fd = ioctl(net_fd, NS_GET_USERNS);
		close(net_fd);
		if (user_fd < 0)
			continue;
		if (userns_top(user_fd, &top_fd))
			top_fd = -1;
		close(user_fd);
		if (top_fd >= 0)
			return top_fd;
	}
	return -1;
}

/*
 * rootlet-slirp for the infra, started, not waited for: rootlet-netns add --slirp's defaults
 * (sandbox, seccomp, host loopback only when asked), by the infra's name, so that it records
 * itself in the entry and ends with the holder. The bridge is up already, and proxy ARP set
 * to be inherited by the tap it makes.
 */
static int slirp_spawn(struct net_cfg *cfg, const struct net_record *r, struct launch_proc *d)
{
	struct slirp_launch o = { .netns = r->infra.name,
				  .mtu = r->mtu,
				  .allow_host_loopback = r->host_loopback,
				  .ipv6 = r->ipv6 };
	char subnet[2 * INET_ADDRSTRLEN], net[INET_ADDRSTRLEN];
	struct launch_argv a;
	int err;

	/* Its containers' IPv6 comes masqueraded, their shares told apart by port (masq.c). */
	if (r->ipv6) {
		inet_ntop(AF_INET, &r->subnet, net, sizeof(net));
		snprintf(subnet, sizeof(subnet), "%s/%u", net, r->prefix);
		o.masq6_subnet = subnet;
	}
	if ((err = launch_slirp_argv(&o, &a)))
		return err;
	err = net_daemon_spawn(cfg, &r->infra, a.argv, STATE_SLIRP_LOG, NULL, 0, d);
	argv_free(&a);
	return err;
}

/* Whether the daemon of @infra that records itself in @pidfile runs (pid + start time); no pid
 * file is none (rootlet-dns removes its own as it ends). */
static bool daemon_live(const struct net_infra *infra, const char *pidfile)
{
	struct pidfile pf;
	int fd;
	bool live;

	fd = open(infra->dir, DIR_OPEN_FLAGS);
	if (fd < 0)
		return true;
	live = !pidfile_read(fd, pidfile, &pf) && pidfile_live(&pf) != 0;
	close(fd);
	return live;
}

/*
 * A live infra's rootlet-slirp and rootlet-dns that have died (kill -9, a crash) started again,
 * not waited for (the caller's infra_wait() does, and tunes the new tap0). The holder outlives
 * them: without this, the network would stay without a way out or without names for good.
 */
static int daemons_restart(struct net_cfg *cfg, const struct net_record *r)
{
	int err = 0;

	if (!r->internal && !daemon_live(&r->infra, STATE_SLIRP_PIDFILE))
		err = slirp_spawn(cfg, r, &cfg->starting[cfg->n_starting++]);
	if (!err && r->dns && !daemon_live(&r->infra, STATE_DNS_PIDFILE))
		err = dns_spawn(cfg, r, &cfg->starting[cfg->n_starting++]);
	if (err) {
		struct err why = cfg->err;

		infra_wait(cfg, r);
		cfg->err = why;
		return err_wrap(&cfg->err, err, "infra %s", r->name);
	}
	return 0;
}

/**
 * infra_heal() - A live infra's dead daemons started again and waited for: what every verb on
 * a network with containers does (a dead infra is left to alloc and gc, which make it again)
 * @cfg:	cfg->err on failure
 * @r:		the network
 *
 * Return: 0, or a negative errno
 */
int infra_heal(struct net_cfg *cfg, const struct net_record *r)
{
	int err;

	if (!r->attached || entry_live(cfg->infra_root, r->infra.name) != 1)
		return 0;
	if ((err = daemons_restart(cfg, r)))
		return err;
	return cfg->n_starting ? infra_wait(cfg, r) : 0;
}

/**
 * infra_ensure() - The network's infra running: made on first use, repaired when found dead
 * @cfg:	the state root; cfg->err on failure; its daemons left starting in cfg->starting
 * @dir_fd:	<root>/~networks (locked)
 * @r:		the network, its attachments those already there
 *
 * A dead holder took the infra's netns, and with it the infra's end of every veth: a new infra
 * is made, in the user namespace the surviving containers live in, and every container whose
 * netns still exists is joined to it again. That is how a crashed infra is repaired: from the
 * attachment list, never from a count.
 *
 * rootlet-slirp and rootlet-dns are started, not waited for: their start overlaps the making
 * of the container's netns, and the caller's infra_wait() waits for them before it says ready.
 * A live infra's dead daemon is started again likewise.
 *
 * Return: 0, or a negative errno (nothing of a new infra left then)
 */
int infra_ensure(struct net_cfg *cfg, int dir_fd, struct net_record *r)
{
	const char *infra = r->infra.name;
	struct net_nsmake m;
	int live, err, user_fd;

	(void)dir_fd;
	/* -EPERM: a root others could write, or a symlink (state_root_open()). */
	if ((live = entry_live(cfg->infra_root, infra)) < 0)
		return live == -EPERM ? state_root_refused(cfg->infra_root, &cfg->err)
				      : err_errno(&cfg->err, live, "%s", cfg->infra_root);
	if (live)
		return daemons_restart(cfg, r);
	/* Stale, or half made: whatever is left of it goes first. */
	if (infra_exists(cfg, infra)) {
		netns_cmd(cfg, cfg->infra_root,
			  (char *[]){ NETNS_BINARY, "del", (char *)infra, NULL });
		err_clear(&cfg->err);
	}
	/* What `rootlet-netns add NAME [--userns ...]` on <root>/~infra makes, without its exec. */
	user_fd = surviving_userns(r);
	if (user_fd >= 0)
		infra_legacy_stop(cfg, r, user_fd);
	err = nsmake_start(cfg, cfg->infra_root, infra, user_fd, false, NULL, &m);
	if (user_fd >= 0)
		close(user_fd);
	if (!err)
		err = nsmake_publish(cfg, NULL, &m);
	if (err)
		return err_wrap(&cfg->err, err, "starting infra %s", infra);
	if ((err = net_in_child(cfg, bridge_up, r, NULL)) || (err = spoofguard_write(cfg, r)) ||
	    (!r->internal && (err = slirp_spawn(cfg, r, &cfg->starting[cfg->n_starting++]))))
		goto fail;
	for (size_t i = 0; i < r->attached; i++)
		if (r->att[i].state == ATT_READY && (plumb_container(cfg, r, &r->att[i], -1) ||
						     publish_start(cfg, r, &r->att[i], NULL)))
			err_clear(&cfg->err); /* its netns is gone: dealloc or gc drops it */
	if (r->dns && ((err = infra_write_hosts(cfg, r)) ||
		       (err = dns_spawn(cfg, r, &cfg->starting[cfg->n_starting++]))))
		goto fail;
	return 0;
fail:
	infra_wait(cfg, r);
	netns_cmd(cfg, cfg->infra_root, (char *[]){ NETNS_BINARY, "del", (char *)infra, NULL });
	return err_wrap(&cfg->err, err, "infra %s", infra);
}

/**
 * infra_wait() - Until the daemons infra_ensure() started say ready
 * @cfg:	cfg->err on failure
 * @r:		the network
 *
 * One that does not is killed, and the infra deleted with the rest: the next command makes
 * it again, rather than find it live and without its slirp.
 *
 * Return: 0, or the first failure's negative errno
 */
int infra_wait(struct net_cfg *cfg, const struct net_record *r)
{
	struct err first = { 0 };
	/* Daemons were started: the infra is new, its slirp's tap0 not yet tuned. */
	bool tune = cfg->n_starting > 0 && !r->internal;

	for (int i = 0; i < cfg->n_starting; i++) {
		int err = net_daemon_wait(cfg, &cfg->starting[i]);

		if (err && !first.code)
			first = cfg->err;
	}
	cfg->n_starting = 0;
	if (!first.code && tune && net_in_child(cfg, tap_tune, r, NULL))
		first = cfg->err;
	if (!first.code)
		return 0;
	netns_cmd(cfg, cfg->infra_root,
		  (char *[]){ NETNS_BINARY, "del", (char *)r->infra.name, NULL });
	cfg->err = first;
	return err_wrap(&cfg->err, first.code, "infra %s", r->infra.name);
}

/**
 * infra_stop() - Delete network @net's infra netns (its holder, slirp, DNS responder, bridge)
 * @cfg:	the state root; cfg->err on failure
 * @net:	the network
 *
 * Return: 0 (also when there is none), or a negative errno
 */
int infra_stop(struct net_cfg *cfg, const char *net)
{
	int err;

	if (!infra_exists(cfg, net))
		return 0;
	err = netns_cmd(cfg, cfg->infra_root, (char *[]){ NETNS_BINARY, "del", (char *)net, NULL });

	if (err && strstr(cfg->err.text, "no such netns")) {
		err_clear(&cfg->err);
		return 0;
	}
	return err;
}

/**
 * infra_legacy_stop() - Stop an old build's infra of network @r: <root>/net.NAME, the name cut
 * to 64 bytes
 * @cfg:	the state root
 * @r:		the network
 * @user_fd:	the user namespace its containers live in
 *
 * It is recognised by what only it can be: the entry whose holder made (userns "new") the
 * user namespace @user_fd, in which the network's containers live; a container's netns in it
 * was made joining it ("join"), whatever its name. Its holder, slirp and DNS responder are
 * stopped before the new infra takes the containers over; anything else by that name is left.
 */
void infra_legacy_stop(struct net_cfg *cfg, const struct net_record *r, int user_fd)
{
	char name[NAME_MAX_LEN + 1];
	size_t plen = strlen(NET_LEGACY_INFRA_PREFIX), nlen = strlen(r->name);
	struct stat want, have;
	struct netns_state st;
	int root_fd, dir_fd, fd;
	bool same;

	/* The old build's snprintf() into NAME_MAX_LEN + 1 bytes: cut as it cut. */
	if (nlen > NAME_MAX_LEN - plen)
		nlen = NAME_MAX_LEN - plen;
	memcpy(name, NET_LEGACY_INFRA_PREFIX, plen);
	memcpy(name + plen, r->name, nlen);
	name[plen + nlen] = '\0';
	if (state_root_open(cfg->root, false, &root_fd))
		return;
	dir_fd = openat(root_fd, name, DIR_OPEN_FLAGS);
	close(root_fd);
	if (dir_fd < 0)
		return;
	/* Opened, then the holder checked: a pid reused in between is caught. */
	same = !state_read(dir_fd, &st) && !strcmp(st.userns, USERNS_NEW) &&
	       !ns_open_at(dir_fd, STATE_USER, CLONE_NEWUSER, &fd);
	if (same && state_live(dir_fd, &st) <= 0) {
		close(fd);
		same = false;
	}
	close(dir_fd);
	if (!same)
		return;
	same = !fstat(fd, &have) && !fstat(user_fd, &want) && have.st_ino == want.st_ino &&
	       have.st_dev == want.st_dev;
	close(fd);
	if (same && netns_cmd(cfg, cfg->root, (char *[]){ NETNS_BINARY, "del", name, NULL }))
		err_clear(&cfg->err); /* not stopped: 'rootlet-netns del' of it by hand */
}
