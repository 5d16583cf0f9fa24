/* rootlet-bypass --host: a supervisor where the host's sockets are, each container by its own
 * policy. */
#include <errno.h>
#include <fcntl.h>
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
#include "hostsup.h"
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
 * listener.c), each by a policy made from two things only, both fixed at the handover: the
 * container's annotations and its own routes (host_policy.c).
 *
 * A container's policy ends with its listener (its processes all gone). With --idle-exit, the
 * daemon ends once no container has been served for that long (host_end.c): the runtime
 * wrapper starts one per user namespace when none runs (rootlet-runtime(1)).
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
 * (kill -9 too) and no container of it is served, we end as an idle daemon does (host_end.c).
 */

#define HOST_SOCKET  HOSTSUP_PREFIX HOSTSUP_SOCK /* no netns name: list passes it by */
#define HOST_API     ".api"
#define HOST_STANDBY ".standby"
#define HOST_LOCK    HOSTSUP_LOCK
#define HOST_RUN     HOSTSUP_RUN
#define MS_PER_S     1000
#define HOST_PREFIX  HOSTSUP_PREFIX "-" /* --engine-pid: bypass@host-INODE.sock, the wrapper's */
#define ENGINE_NS    "ns/user"

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

/* The socket's directory refused: why (yours, mode 0700, in a directory only you can change). */
static int socket_dir_refused(struct bp_cfg *cfg, const char *dir, int err)
{
	if (err == -EPERM)
		return state_root_refused(dir, &cfg->err);
	return err_errno(&cfg->err, err, "%s (the socket's directory: yours, mode 0700)", dir);
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
			return socket_dir_refused(cfg, dir, err);
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
		return socket_dir_refused(cfg, dir, err);
	snprintf(cfg->host_name, sizeof(cfg->host_name), "%s", base);
	snprintf(cfg->host_pid, sizeof(cfg->host_pid), "%s%s", base, PIDFILE_SUFFIX);
	snprintf(cfg->host_standby_pid, sizeof(cfg->host_standby_pid), "%s%s%s", base, HOST_STANDBY,
		 PIDFILE_SUFFIX);
	snprintf(cfg->host_lock, sizeof(cfg->host_lock), "%s%s", base, HOST_LOCK);
	snprintf(cfg->host_api, sizeof(cfg->host_api), "%s%s", base, HOST_API);
	/* One daemon per socket, holding <socket>.run for its life (its standby shares it): a
	 * second one would take the first one's names from it. */
	snprintf(cfg->host_run, sizeof(cfg->host_run), "%s%s", base, HOST_RUN);
	/* gc removes a dead daemon's .run holding it: a lock on an unlinked file is no lock. */
	while (!(err = lock_at(cfg->state_fd, cfg->host_run, false, &cfg->host_run_fd)) &&
	       lock_is_stale(cfg->host_run_fd) == 1)
		close(cfg->host_run_fd);
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
