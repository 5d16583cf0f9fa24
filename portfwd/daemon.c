/* rootlet-portfwd's daemon: its set-up, from the command line to a sandboxed event loop. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apiserver.h"
#include "log.h"
#include "nsfd.h"
#include "owner.h"
#include "pidfile.h"
#include "portfwd.h"
#include "proc.h"
#include "ready.h"
#include "sandbox.h"
#include "sdnotify.h"
#include "sockdiag.h"
#include "state.h"
#include "statedir.h"

/* The privilege timeline these steps follow is in isolate.c. */

/* The netns's holder going away (del, gc, kill) ends the daemon too, cleanly. */
static int watch_holder(struct pf_cfg *cfg, struct pf_state *st)
{
	int pidfd, err = state_holder_pidfd(cfg->state_fd, &pidfd);

	if (err == -ESRCH)
		return err_make(&cfg->err, err, "netns %s is stale", cfg->netns_arg);
	if (err || pidfd < 0)
		return err;
	return evloop_quit_on(&st->ev, pidfd);
}

/* Steps 1 to 3: every path the daemon will ever use, opened or read. */
static int open_paths(struct pf_cfg *cfg, struct pf_state *st, int *ret_net_fd)
{
	char api[PATH_MAX];
	int err;

	if ((err = pf_resolve_netns(cfg)) || (err = pf_isolate_user(cfg)))
		return err;
	if ((err = ns_open_at(cfg->state_fd >= 0 ? cfg->state_fd : AT_FDCWD,
			      pf_ns_file(cfg, STATE_NET, cfg->net_path), CLONE_NEWNET,
			      ret_net_fd))) {
		return err_make(&cfg->err, err, "%s: %s", cfg->net_path,
				err == -ENOTTY ? "not a namespace" : strerror(-err));
	}
	forward_init(st);
	if ((err = pf_loop_init(st, cfg->exit_fd))) {
		return err_errno(&cfg->err, err, "event loop");
	}
	/* Our own socket in the entry is bound through the entry's fd: no symlink on the way. */
	if (cfg->state_fd >= 0 && cfg->api_in_state)
		snprintf(api, sizeof(api), "/proc/self/fd/%d/%s", cfg->state_fd,
			 STATE_PORTFWD_SOCKET);
	else
		snprintf(api, sizeof(api), "%s", cfg->api_path);
	if (api[0] && !(st->api = apiserver_new(api, &st->ev, pf_api_handle, st, &err))) {
		return err_errno(&cfg->err, err, "API socket %s", cfg->api_path);
	}
	if (cfg->reload_dir &&
	    (err = reload_open(st, cfg->reload_dir, cfg->reload_name, &cfg->err)))
		return err;
	if (cfg->state_fd >= 0 && (err = watch_holder(cfg, st)))
		return err;
	/* Given a path: when it is a holder's /proc/PID/ns/net link, we end with that holder. */
	if (cfg->state_fd < 0) {
		int owner_fd;

		if ((err = owner_pidfd(cfg->net_path, &owner_fd)))
			return err_make(&cfg->err, err, "%s: %s", cfg->net_path,
					err == -ESRCH ? "its holder is gone" : strerror(-err));
		if (owner_fd >= 0 && (err = evloop_quit_on(&st->ev, owner_fd)))
			return err_errno(&cfg->err, err, "event loop");
	}
	/* Our start time comes from /proc/self/stat: written now, taken back if set-up fails. */
	if (cfg->state_fd >= 0 &&
	    (err = pidfile_write(cfg->state_fd, STATE_PORTFWD_PIDFILE, getpid()))) {
		return err_errno(&cfg->err, err, "pid file");
	}
	return 0;
}

static int daemon_setup(struct pf_cfg *cfg, struct pf_state *st)
{
	int net_fd = -1, err;
	struct pf_forward *f;

	pf_isolate_initial();
	if ((err = open_paths(cfg, st, &net_fd)))
		goto out;
	/* In the listeners' netns, before the sandbox: UDP replies go only to their clients. */
	st->diag_fd = sockdiag_open();
	if (st->diag_fd < 0)
		log_warn("NETLINK_SOCK_DIAG: %s: UDP forwards will drop their clients' datagrams",
			 strerror(-st->diag_fd));
	if ((err = pf_isolate_fs(cfg)))
		goto out;
	err = nsock_start(&st->ns, net_fd, cfg->target_arg, cfg->source_ip, &cfg->err);
	st->source_ip = cfg->source_ip;
	evloop_busy_poll(&st->ev, (unsigned)cfg->busy_poll_us);
	if (err || (err = pf_loop_watch_nsock(st)))
		goto out;
	if ((err = pf_isolate_caps(cfg)))
		goto out;
	for (int i = 0; i < cfg->n_publish; i++)
		if ((err = forward_add(st, cfg->publish[i], false, &f, &cfg->err)))
			goto out;
	for (int i = 0; i < cfg->n_reverse; i++)
		if ((err = forward_add(st, cfg->reverse[i], true, &f, &cfg->err)))
			goto out;
	for (int i = 0; i < cfg->n_publish_fd; i++)
		if ((err = forward_add_fd(st, cfg->publish_fd[i], &f, &cfg->err)))
			goto out;
	/* Started by a socket unit without --publish-fd: every socket it gave, to its port. */
	if (!cfg->n_publish_fd && !cfg->rootlessport &&
	    (err = forward_add_activated(st, &cfg->err)))
		goto out;
out:
	if (net_fd >= 0)
		close(net_fd);
	if (err && cfg->state_fd >= 0)
		unlinkat(cfg->state_fd, STATE_PORTFWD_PIDFILE, 0);
	return err;
}

static void daemon_free(struct pf_state *st)
{
	forward_free_all(st);
	udp_free(st);
	apiserver_free(st->api);
	reload_close(st);
	if (st->diag_fd >= 0)
		close(st->diag_fd);
	evloop_free(&st->ev);
}

/**
 * pf_run_daemon() - Set up, sandbox and serve until told to stop
 * @cfg:	the command line (or podman's config, as rootlessport)
 *
 * Return: the exit status
 */
int pf_run_daemon(struct pf_cfg *cfg)
{
	struct pf_state st = { .ev = { .epfd = -1, .signal_fd = -1 },
			       .debug = cfg->debug,
			       .reload_fd = -1,
			       .diag_fd = -1,
			       .reload_dir_fd = -1 };
	int notify_fd = -1, err;

	/* Not as rootlessport: podman's NOTIFY_SOCKET is podman's to answer. */
	if (!cfg->rootlessport && (err = sdnotify_open(&notify_fd)))
		log_warn("%s: %s: not notifying", SDNOTIFY_ENV, strerror(-err));
	/* Started early by rootlet-netns add: the namespaces exist once it says go. */
	if (cfg->wait_fd >= 0 && (err = ready_wait_go(&cfg->wait_fd))) {
		log_error("--wait-fd: closed before go; giving up");
		goto fail;
	}
	if ((err = daemon_setup(cfg, &st))) {
		if (cfg->rootlessport)
			printf("rootlessport: %s\n", err_why(&cfg->err, err));
		else
			log_error("%s", err_why(&cfg->err, err));
		goto fail;
	}
	if ((err = pf_isolate_syscalls(cfg))) {
		log_error("%s", err_why(&cfg->err, err));
		goto fail;
	}
	err = ready_serve(&st.ev, &cfg->ready_fd, &notify_fd);
	daemon_free(&st);
	return err ? EXIT_FAILURE : 0;
fail:
	if (notify_fd >= 0)
		close(notify_fd);
	daemon_free(&st);
	return EXIT_FAILURE;
}
