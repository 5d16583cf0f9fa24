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
