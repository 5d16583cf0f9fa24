/* rootlet-bypass --host: a supervisor where the host's sockets are, each container by its own
 * policy. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <net/route.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apiserver.h"
#include "bypass.h"
#include "lock.h"
#include "log.h"
#include "monoclock.h"
#include "nsfd.h"
#include "pidfile.h"
#include "state.h"
#include "statedir.h"

/*
 * Theory of operation
 *
 * An engine's own netns (podman's slirp4netns one, a container of rootless Docker) is no
 * rootlet netns: nothing says what slirp reaches from it, and no rootlet-bypass is tied to it.
 * So --host serves any container a runtime hands it (the runtime-spec's listenerPath handover,
 * listener.c), each by a policy made from two things only, both fixed at the handover:
 *
 *  - the container's annotations, in the state the runtime sends: io.rootlet.bypass.host-loopback
 *    (10.0.2.2 and fd00::2 are the host's loopback) and io.rootlet.bypass.publish (the binds
 *    made host sockets); the bypass's own filter and policy (policy.c) do the rest;
 *  - the container's own routes, read from its init's /proc/PID/net/route and ipv6_route: only
 *    a peer its routes send by the default route may get a host socket; every network it
 *    has a route to of its own (a podman bridge, docker0's subnet) stays inside, whatever
 *    routes the host has to the same addresses. No default route of a family: nothing of it is
 *    bypassed. More routes than a policy holds: the family is kept inside (failing closed).
 *
 * The routes are read once, at the handover, through a directory fd of its init's
 * /proc/PID/net (never another process's): a container with no route then has nothing
 * bypassed, whatever routes it makes itself later (it is root in its netns: were they read at
 * its first hooked call, a container of no network could give itself a default route by ioctl
 * and every address slirp reaches). podman's networks are up by then.
 *
 * A container's policy ends with its listener (its processes all gone). With --idle-exit, the
 * daemon ends once no container has been served for that long: the runtime wrapper starts one
 * per user namespace when none runs (rootlet-runtime(1)).
 *
 * --engine-pid: rootless Docker runs its runtime inside rootlesskit's user *and* network
 * namespaces, where a daemon the wrapper started would make its twins behind rootlesskit's
 * slirp. So there the user starts us in the host's netns, naming the engine (dockerd), and we
 * join the engine's user namespace before anything else is opened there: in it we are root, as
 * a daemon podman's wrapper started is in podman's, with CAP_SYS_PTRACE over its containers
 * and a sandbox of our own; only the user who owns that namespace may join it (setns() wants
 * CAP_SYS_ADMIN over it). Our socket is then named for that namespace, the name the wrapper
 * inside computes from its own (bypass@host-INODE.sock), and our peers' credentials are
 * checked in it: its root is the user, anyone else is unmapped. Once the engine has ended
 * (kill -9 too) and no container of it is served, we end as an idle daemon does.
 */

#define HOST_SOCKET   "bypass@host.sock" /* '@': no netns name, so list and gc pass it by */
#define HOST_API      ".api"
#define HOST_STANDBY  ".standby"
#define HOST_LOCK     ".lock"
#define HOST_RUN      ".run"
#define IDLE_RETRY_MS 1000 /* a runtime wrapper holds the lock: look again this late */
#define ROUTE_LINE    256
#define ROUTE_FILE    "route"
#define ROUTE6_FILE   "ipv6_route"
#define ROUTE6_HEX    32
#define PROC_NET_PATH 32
#define MS_PER_S      1000
#define BITS_PER_BYTE 8
#define HEX_BASE      16
#define HOST_PREFIX   "bypass@host-" /* --engine-pid: bypass@host-INODE.sock, the wrapper's name */
#define ENGINE_NS     "ns/user"
#define ENGINE_END_MS 1000 /* the engine ended: idle this long ends us */

/*
 * --engine-pid: the engine's user namespace joined (its pidfd kept, checked live after the
 * namespace was opened, so the namespace is that process's), and the default socket named for
 * that namespace.
 */
static int engine_join(struct bp_cfg *cfg, struct bp_state *st, char *name, size_t len)
{
	char path[PATH_MAX];
	struct pollfd alive;
	struct stat ns;
	int fd, err;

	st->engine_pidfd = pidfd_open(cfg->engine_pid, 0);
	if (st->engine_pidfd < 0)
		return err_errno(&cfg->err, -errno, "--engine-pid %d", (int)cfg->engine_pid);
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)cfg->engine_pid, ENGINE_NS);
	if ((err = ns_open_at(AT_FDCWD, path, CLONE_NEWUSER, &fd)))
		return err_errno(&cfg->err, err, "--engine-pid %d: %s", (int)cfg->engine_pid, path);
	alive = (struct pollfd){ .fd = st->engine_pidfd, .events = POLLIN };
	if (poll(&alive, 1, 0) != 0) {
		close(fd);
		return err_make(&cfg->err, -ESRCH, "--engine-pid %d: ended", (int)cfg->engine_pid);
	}
	if (fstat(fd, &ns) < 0) {
		err = -errno;
		close(fd);
		return err_errno(&cfg->err, err, "%s", path);
	}
	snprintf(name, len, HOST_PREFIX "%lu.sock", (unsigned long)ns.st_ino);
	err = ns_is_ours(fd, CLONE_NEWUSER) ? 0 : ns_join(fd, CLONE_NEWUSER);
	close(fd);
	if (err == -EPERM)
		return err_make(&cfg->err, err,
				"--engine-pid %d: its user namespace is not one of yours",
				(int)cfg->engine_pid);
	return err ? err_errno(&cfg->err, err, "joining %s", path) : 0;
}

/* The engine ended: once no container of it is served, the daemon ends (host_idle_update()). */
static void engine_gone(struct evloop *l, void *obj, int fd, uint32_t events)
{
	struct bp_state *st = obj;

	(void)events;
	evloop_unwatch(l, fd);
	log_info("the engine (pid %d) ended: exiting once no container is served",
		 (int)st->host_cfg->engine_pid);
	if (!st->idle_exit_ms || st->idle_exit_ms > ENGINE_END_MS)
		st->idle_exit_ms = ENGINE_END_MS;
	host_idle_update(st);
}

/**
 * host_engine_watch() - --engine-pid: await the engine's end (the active, and a standby taking
 * over, its loop a new one)
 * @st:		the daemon
 *
 * Return: 0 on success (or no engine), negative errno
 */
int host_engine_watch(struct bp_state *st)
{
	if (!st->host || st->engine_pidfd < 0)
		return 0;
	return evloop_watch(&st->ev, st->engine_pidfd, EPOLLIN | EPOLLHUP, engine_gone, st);
}

/**
 * host_open_paths() - --host's step 3: the socket's directory, bypass@host.sock (or --socket),
 * its API and pid files; no netns entry, no holder, the user namespace the daemon was started in
 * @cfg:	the command line; cfg->err on failure
 * @st:		the daemon
 *
 * Return: 0 on success, negative errno
 */
int host_open_paths(struct bp_cfg *cfg, struct bp_state *st)
{
	char dir[PATH_MAX], api[PATH_MAX], engine_name[NAME_MAX + 1], *slash;
	const char *base;
	int err;

	if (cfg->socket_arg) {
		if (cfg->socket_arg[0] != '/' ||
		    snprintf(dir, sizeof(dir), "%s", cfg->socket_arg) >= (int)sizeof(dir))
			return err_make(&cfg->err, -EINVAL, "--socket '%s': not an absolute path",
					cfg->socket_arg);
		slash = strrchr(dir, '/');
		base = cfg->socket_arg + (slash - dir) + 1;
		*(slash == dir ? slash + 1 : slash) = '\0';
	} else if ((err = state_root_path(dir, sizeof(dir)))) {
		return err_make(&cfg->err, err, "no state directory (XDG_RUNTIME_DIR)");
	} else {
		base = HOST_SOCKET;
	}
	if (cfg->engine_pid) {
		/* Its socket's directory is opened, and judged, in the host's user namespace. */
		if ((err = state_root_open(dir, !cfg->socket_arg, &cfg->state_fd)))
			return err_errno(&cfg->err, err,
					 "%s (the socket's directory: yours, mode 0700)", dir);
		if ((err = engine_join(cfg, st, engine_name, sizeof(engine_name))))
			return err;
		if (!cfg->socket_arg)
			base = engine_name;
	}
	if (!*base || strchr(base, '/') ||
	    strlen(base) + sizeof(HOST_STANDBY PIDFILE_SUFFIX) > sizeof(cfg->host_name))
		return err_make(&cfg->err, -EINVAL, "--socket: no usable file name");
	snprintf(cfg->state_dir, sizeof(cfg->state_dir), "%s", dir);
	/* Ours and 0700 (made so when it is the default state root): only we may connect. */
	if (cfg->state_fd < 0 && (err = state_root_open(dir, !cfg->socket_arg, &cfg->state_fd)))
		return err_errno(&cfg->err, err, "%s (the socket's directory: yours, mode 0700)",
				 dir);
	snprintf(cfg->host_name, sizeof(cfg->host_name), "%s", base);
	snprintf(cfg->host_pid, sizeof(cfg->host_pid), "%s%s", base, PIDFILE_SUFFIX);
	snprintf(cfg->host_standby_pid, sizeof(cfg->host_standby_pid), "%s%s%s", base, HOST_STANDBY,
		 PIDFILE_SUFFIX);
	snprintf(cfg->host_lock, sizeof(cfg->host_lock), "%s%s", base, HOST_LOCK);
	snprintf(cfg->host_api, sizeof(cfg->host_api), "%s%s", base, HOST_API);
	/* One daemon per socket, holding <socket>.run for its life (its standby shares it): a
	 * second one would take the first one's names from it. */
	snprintf(cfg->host_run, sizeof(cfg->host_run), "%s%s", base, HOST_RUN);
	err = lock_at(cfg->state_fd, cfg->host_run, false, &cfg->host_run_fd);
	if (err == -EWOULDBLOCK)
		return err_make(&cfg->err, -EEXIST,
				"%s/%s: served already by another rootlet-bypass --host", dir,
				base);
	if (err)
		return err_errno(&cfg->err, err, "%s/%s", dir, cfg->host_run);
	st->pidfile = cfg->host_pid;
	st->standby_pidfile = cfg->host_standby_pid;
	if ((err = host_cookie_init(st)))
		return err_errno(&cfg->err, err, "SO_NETNS_COOKIE (Linux 5.14)");
	if ((err = bp_open_loop(cfg, st, cfg->host_name)))
		return err;
	st->host_cfg = cfg;
	st->state_fd = cfg->state_fd;
	snprintf(api, sizeof(api), "/proc/self/fd/%d/%s", cfg->state_fd, cfg->host_api);
	if (!(st->api = apiserver_new(api, &st->ev, bp_api_handle, st, &err)))
		return err_errno(&cfg->err, err, "%s", cfg->host_api);
	/* Calls of containers it was not handed, in a standby: inside, every one. */
	st->pol.no_ipv4 = true;
	st->pol.ipv6 = false;
	st->pol.n_publish = 0;
	st->exit_fd = cfg->exit_fd;
	st->idle_exit_ms = (int64_t)cfg->idle_exit_s * MS_PER_S;
	host_idle_update(st);
	if ((err = host_engine_watch(st)))
		return err_errno(&cfg->err, err, "watching the engine");
	if ((err = pidfile_write(cfg->state_fd, st->pidfile, getpid())))
		return err_errno(&cfg->err, err, "pid file");
	return 0;
}

/* A file of /proc/PID/net, whole (small: a routing table), NUL-terminated. */
static char *read_net(int netdir, const char *name)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap), *grown;
	int fd = openat(netdir, name, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0 || !buf) {
		if (fd >= 0)
			close(fd);
		free(buf);
		return NULL;
	}
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (cap - len > 1)
			continue;
		if (!(grown = realloc(buf, cap * 2))) {
			n = -1;
			break;
		}
		buf = grown;
		cap *= 2;
	}
	close(fd);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

static bool net_add(struct bp_policy *p, int family, const void *addr, size_t alen, unsigned prefix)
{
	struct bp_net *n;

	if (p->n_nets >= (int)(sizeof(p->nets) / sizeof(p->nets[0])))
		return false;
	n = &p->nets[p->n_nets++];
	memset(n, 0, sizeof(*n));
	n->family = family;
	memcpy(n->addr, addr, alen);
	n->prefix = prefix;
	return true;
}

/* IPv4: /proc/net/route, the addresses as the kernel's raw __be32 in hex. */
static int routes4(struct bp_policy *p, int netdir)
{
	char *text = read_net(netdir, ROUTE_FILE), *line, *save = NULL, iface[ROUTE_LINE];
	unsigned dest, gw, flags, mask;
	int found = 0;

	if (!text)
		return -1;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%255s %x %x %x %*d %*d %*d %x", iface, &dest, &gw, &flags,
			   &mask) != 5 ||
		    !(flags & RTF_UP))
			continue;
		found++;
		if (!dest && !mask) {
			p->no_ipv4 = false;
			continue;
		}
		if (!net_add(p, AF_INET, &dest, sizeof(dest), (unsigned)__builtin_popcount(mask))) {
			p->no_ipv4 = true; /* more than we hold: inside, every one */
			break;
		}
	}
	free(text);
	return found;
}

static bool hex_addr6(const char *hex, uint8_t *addr)
{
	char byte[3] = { 0 };

	if (strlen(hex) != ROUTE6_HEX)
		return false;
	for (int i = 0; i < ROUTE6_HEX / 2; i++) {
		memcpy(byte, hex + 2 * i, 2);
		addr[i] = (uint8_t)strtoul(byte, NULL, HEX_BASE);
	}
	return true;
}

/* IPv6: /proc/net/ipv6_route, every table; the loopback device's (local, reject) left out. */
static int routes6(struct bp_policy *p, int netdir)
{
	char *text = read_net(netdir, ROUTE6_FILE), *line, *save = NULL;
	char dest[ROUTE_LINE], iface[ROUTE_LINE];
	uint8_t addr[16];
	unsigned plen, flags;
	int found = 0;

	if (!text)
		return -1;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%255s %x %*s %*x %*s %*x %*x %*x %x %255s", dest, &plen, &flags,
			   iface) != 4 ||
		    !strcmp(iface, "lo") || !(flags & RTF_UP) || (flags & RTF_REJECT) ||
		    !hex_addr6(dest, addr))
			continue;
		found++;
		if (!plen) {
			p->ipv6 = true;
			continue;
		}
		/* Link-local and multicast stay inside whatever the routes (policy.c). */
		if (IN6_IS_ADDR_LINKLOCAL((struct in6_addr *)addr) ||
		    IN6_IS_ADDR_MULTICAST((struct in6_addr *)addr))
			continue;
		if (!net_add(p, AF_INET6, addr, sizeof(addr), plen)) {
			p->ipv6 = false;
			break;
		}
	}
	free(text);
	return found;
}

/**
 * host_routes() - A container's policy: its networks and default routes, from its own tables
 * @p:		its policy: nets, no_ipv4 and ipv6 replaced
 * @netdir:	its init's /proc/PID/net
 *
 * Fails closed: a table that cannot be read keeps its family inside.
 */
static void host_routes(struct bp_policy *p, int netdir)
{
	p->n_nets = 0;
	p->no_ipv4 = true;
	p->ipv6 = false;
	routes4(p, netdir);
	routes6(p, netdir);
}

/* io.rootlet.bypass.* of the state's annotations, as rootlet-runtime's are (runtime/bypass.c). */
static int from_annotations(struct bp_policy *p, json_t *ann)
{
	const char *loop =
		json_string_value(json_object_get(ann, "io.rootlet.bypass.host-loopback"));
	const char *pub = json_string_value(json_object_get(ann, "io.rootlet.bypass.publish"));
	char spec[SPEC_TEXT_MAX + 1];

	p->loopback = loop && (!strcmp(loop, "1") || !strcmp(loop, "true"));
	for (const char *at = pub, *end; at && *at; at = *end ? end + 1 : end) {
		end = strchrnul(at, ',');
		if (end - at > SPEC_TEXT_MAX || p->n_publish >= BP_PUBLISH_MAX)
			return -EINVAL;
		memcpy(spec, at, (size_t)(end - at));
		spec[end - at] = '\0';
		if (spec_parse(spec, &p->publish[p->n_publish++], NULL))
			return -EINVAL;
	}
	return 0;
}

/**
 * host_policy() - A container's policy, from the state its runtime sent
 * @st:		the daemon (whether TCP twins can be guarded; /proc)
 * @text:	the state, JSON
 * @len:	its length
 * @pid:	its "pid": the container's init
 * @ret:	the policy, allocated
 *
 * Return: 0 on success, -EINVAL for a bad annotation or pid, negative errno
 */
int host_policy(struct bp_state *st, const char *text, size_t len, int pid, struct bp_policy **ret)
{
	json_t *state = json_loadb(text, len, 0, NULL);
	json_t *ann = json_object_get(json_object_get(state, "state"), "annotations");
	struct bp_policy *p = calloc(1, sizeof(*p));
	char path[PROC_NET_PATH];
	int netdir = -1, err = 0;

	if (!p || !state)
		err = p ? -EBADMSG : -ENOMEM;
	else if (pid <= 0)
		err = -EINVAL;
	else
		err = from_annotations(p, ann);
	if (!err) {
		snprintf(path, sizeof(path), "%d/net", pid);
		netdir = openat(st->proc_fd, path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (netdir < 0)
			err = -errno;
	}
	json_decref(state);
	if (err) {
		free(p);
		return err;
	}
	p->tcp = p->loopback || st->guard;
	host_routes(p, netdir);
	close(netdir);
	log_debug(st->debug, "pid %d: host loopback %s, %d published, %d networks inside%s%s", pid,
		  p->loopback ? "allowed" : "not allowed", p->n_publish, p->n_nets,
		  p->no_ipv4 ? ", no IPv4 default route" : "", p->ipv6 ? ", IPv6" : "");
	*ret = p;
	return 0;
}

/**
 * host_unlink() - --host: its socket, API and pid file go with it (not a standby's end, nor
 * a start that found another daemon serving)
 * @st:		the daemon
 */
void host_unlink(struct bp_state *st)
{
	const struct bp_cfg *cfg = st->host_cfg;

	if (!cfg || st->standby || st->state_fd < 0)
		return;
	unlinkat(st->state_fd, cfg->host_pid, 0);
	unlinkat(st->state_fd, cfg->host_name, 0);
	unlinkat(st->state_fd, cfg->host_api, 0);
	st->host_cfg = NULL;
}

/*
 * Idle: its names go first, under the lock a runtime wrapper holds from finding it live until
 * its runtime has handed the listener over; so no wrapper counts on a daemon that is ending.
 */
static void idle_expire(struct evloop *l, struct evloop_timer *t)
{
	struct bp_state *st = container_of(t, struct bp_state, idle);
	int lock, err;

	if (!notifiers_none(st))
		return;
	err = lock_at(st->state_fd, st->host_cfg->host_lock, false, &lock);
	if (err == -EWOULDBLOCK) {
		evloop_timer_arm(l, t, mono_ms() + IDLE_RETRY_MS);
		return;
	}
	/* No lock to be had otherwise (its directory removed): no wrapper can count on us. */
	host_unlink(st);
	if (!err)
		close(lock);
	log_info("no container for %lld s: exiting", (long long)(st->idle_exit_ms / MS_PER_S));
	evloop_quit(l);
}

/**
 * host_idle_update() - --idle-exit: the countdown runs while no container is served
 * @st:		the daemon
 */
void host_idle_update(struct bp_state *st)
{
	if (!st->host || !st->idle_exit_ms || st->standby)
		return;
	st->idle.fn = idle_expire;
	if (notifiers_none(st))
		evloop_timer_arm(&st->ev, &st->idle, mono_ms() + st->idle_exit_ms);
	else
		evloop_timer_disarm(&st->idle);
}
