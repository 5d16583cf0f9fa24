/* rootlet-bypass's daemon: its set-up, from the command line to a sandboxed event loop. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "apiserver.h"
#include "bypass.h"
#include "bypass_guard.h"
#include "fileio.h"
#include "isolate.h"
#include "log.h"
#include "pidfile.h"
#include "proc.h"
#include "ready.h"
#include "sdnotify.h"
#include "state.h"
#include "state_entry.h"

/* The privilege timeline these steps follow is in isolate.c. */

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

/* The entry of --netns NAME, opened without following a symlink. */
static int open_entry(struct bp_cfg *cfg)
{
	struct state_entry entry;
	int err;

	if ((err = state_entry_open(cfg->netns_arg, &entry, &cfg->err)))
		return err;
	cfg->state_fd = entry.dir_fd;
	snprintf(cfg->state_dir, sizeof(cfg->state_dir), "%s", entry.path.dir);
	return 0;
}

/* The host's netns, as a socket's SO_NETNS_COOKIE names it: a twin's is this one. */
int bp_netns_cookie(uint64_t *ret)
{
	socklen_t len = sizeof(*ret);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, ret, &len) < 0)
		err = -errno;
	close(fd);
	return err;
}

/**
 * bp_open_loop() - What either mode serves with: /proc, the loop, the twins' defaults and pool,
 * the table of calls in hand (shared with the standby), the listener socket @name
 * @cfg:	cfg->err on failure
 * @st:		the daemon
 * @name:	the listener socket's name in cfg->state_fd
 *
 * Return: 0, or a negative errno
 */
int bp_open_loop(struct bp_cfg *cfg, struct bp_state *st, const char *name)
{
	int err;

	st->proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (st->proc_fd < 0)
		return err_errno(&cfg->err, -errno, "/proc");
	if ((err = evloop_init(&st->ev, cfg->exit_fd)))
		return err_errno(&cfg->err, err, "event loop");
	evloop_busy_poll(&st->ev, BP_BUSY_POLL_US);
	if ((err = twin_defaults_init(st)))
		return err_errno(&cfg->err, err, "a socket's defaults");
	if ((err = inflight_init(st)))
		return err_errno(&cfg->err, err, "the table of calls in hand");
	twin_pool_refill(st);
	return listener_open(st, cfg->state_fd, name, &cfg->err);
}

/* Steps 2 and 3: the holder's userns, then every path the daemon will ever use. */
static int open_paths(struct bp_cfg *cfg, struct bp_state *st)
{
	char api[PATH_MAX];
	int pidfd, err;

	if (cfg->host)
		return host_open_paths(cfg, st);
	if ((err = open_entry(cfg)) || (err = bp_isolate_user(cfg)))
		return err;
	if ((err = bp_netns_cookie(&st->host_cookie)))
		return err_errno(&cfg->err, err, "SO_NETNS_COOKIE (Linux 5.14)");
	if ((err = bp_open_loop(cfg, st, STATE_BYPASS_SOCKET)))
		return err;
	snprintf(api, sizeof(api), "/proc/self/fd/%d/%s", cfg->state_fd, STATE_BYPASS_API);
	if (!(st->api = apiserver_new(api, &st->ev, bp_api_handle, st, &err)))
		return err_errno(&cfg->err, err, "%s", STATE_BYPASS_API);
	/* The netns's holder going away (del, gc, kill) ends the daemon too. */
	err = state_holder_pidfd(cfg->state_fd, &pidfd);
	if (err == -ESRCH)
		return err_make(&cfg->err, err, "netns %s is stale", cfg->netns_arg);
	if (err || (pidfd >= 0 && (err = evloop_quit_on(&st->ev, pidfd))))
		return err_errno(&cfg->err, err, "the holder");
	st->holder_pidfd = pidfd;
	st->state_fd = cfg->state_fd;
	st->exit_fd = cfg->exit_fd;
	if ((err = pidfile_write(cfg->state_fd, STATE_BYPASS_PIDFILE, getpid())))
		return err_errno(&cfg->err, err, "pid file");
	return 0;
}

/*
 * What the supervisor serves, decided once at its start (lib/bypass_guard.c): with host
 * loopback allowed, every twin; without it, TCP twins where each can be guarded, else none.
 * Said in one line once set up (bp_run_daemon()), and by the API (rootlet-netns show).
 */
static void serves_decide(struct bp_cfg *cfg, struct bp_state *st)
{
	int err = cfg->allow_host_loopback ? 0 : bypass_guard_probe();

	cfg->guard = !cfg->allow_host_loopback && !err;
	st->guard = cfg->guard;
	if (cfg->host) {
		st->serves = cfg->guard ? "each container by its own policy: TCP twins guarded"
					: "each container by its own policy: twins only where host "
					  "loopback is allowed";
		snprintf(st->serves_why, sizeof(st->serves_why), "socket filters %s",
			 cfg->guard ? "allowed" : "refused");
	} else if (cfg->allow_host_loopback) {
		st->serves = "TCP and UDP twins";
		snprintf(st->serves_why, sizeof(st->serves_why), "host loopback allowed");
	} else if (cfg->guard) {
		st->serves = "TCP twins, each with a locked socket filter";
		snprintf(st->serves_why, sizeof(st->serves_why),
			 "host loopback not allowed: UDP continues inside");
	} else {
		st->serves = "no twins";
		snprintf(st->serves_why, sizeof(st->serves_why),
			 "socket filters refused (%s) and host loopback not allowed",
			 strerror(-err));
	}
}

/**
 * bp_daemon_free() - Everything the daemon holds, at its exit
 * @st:		the daemon
 */
void bp_daemon_free(struct bp_state *st)
{
	host_unlink(st);
	pending_free_all(st);
	inflight_free(st);
	notifier_free_all(st);
	reader_stop(st);
	procs_free(st);
	twin_pool_free(st);
	listener_close(st);
	apiserver_free(st->api);
	if (st->proc_fd >= 0)
		close(st->proc_fd);
	evloop_free(&st->ev);
}

/**
 * bp_run_daemon() - Set up, sandbox and serve until told to stop
 * @cfg:	the command line
 *
 * Return: the exit status
 */
int bp_run_daemon(struct bp_cfg *cfg)
{
	struct bp_state st = { .ev = { .epfd = -1, .signal_fd = -1 },
			       .listen_fd = -1,
			       .proc_fd = -1,
			       .peer_fd = -1,
			       .reader_fd = -1,
			       .reader_stuck = -1,
			       .fetched_fd = -1,
			       .fetched_err = -ECANCELED,
			       .state_fd = -1,
			       .exit_fd = -1,
			       .holder_pidfd = -1,
			       .engine_pidfd = -1,
			       .sweep = { .expire_ms = -1 },
			       .inherited = { -1, -1 },
			       .host = cfg->host,
			       .pidfile = STATE_BYPASS_PIDFILE,
			       .standby_pidfile = STATE_BYPASS_STANDBY_PIDFILE,
			       .idle = { .expire_ms = -1 },
			       .debug = cfg->debug };
	int notify_fd = -1, err;

	isolate_undumpable(); /* first: the standby, forked later, inherits it */
	proc_raise_nofile();  /* twins and callers' sockets: two fds a waiting connect() */
	st.pol_now = &st.pol;
	procs_init(&st);
	/* Standbys are reaped by the kernel: the daemon never waits for one. */
	signal(SIGCHLD, SIG_IGN);
	if ((err = sdnotify_open(&notify_fd)))
		log_warn("%s: %s: not notifying", SDNOTIFY_ENV, strerror(-err));
	serves_decide(cfg, &st);
	if ((err = policy_init(&st.pol, cfg, &cfg->err)) || (err = open_paths(cfg, &st)) ||
	    (err = bp_isolate_fs(cfg)) || (err = bp_isolate_caps(cfg)) ||
	    (err = bp_isolate_syscalls(cfg))) {
		log_error("%s", err_why(&cfg->err, err));
		if (cfg->state_fd >= 0)
			unlinkat(cfg->state_fd, st.pidfile, 0);
		if (notify_fd >= 0)
			close(notify_fd);
		bp_daemon_free(&st);
		return EXIT_FAILURE;
	}
	log_info("serving %s (%s)%s", st.serves, st.serves_why,
		 st.pol.tcp || cfg->host
			 ? ""
			 : ": no TCP twins, connect() and bind() continue inside, through slirp; "
			   "published TCP ports are rootlet-portfwd's (rootlet-bypass(1))");
	/* Ready with its standby: a kill from then on cuts no caller off (standby.c). */
	st.inherited[0] = cfg->ready_fd;
	st.inherited[1] = notify_fd;
	if ((err = standby_start(&st)))
		log_warn("no standby: %s", strerror(-err));
	st.inherited[0] = -1; /* ready_serve() closes it: its number may be another fd's then */
	err = ready_serve(&st.ev, &cfg->ready_fd, &notify_fd);
	standby_bye(&st);
	bp_daemon_free(&st);
	return err ? EXIT_FAILURE : 0;
}
