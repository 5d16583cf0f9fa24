/* rootlet-portfwd's daemon: its set-up, from the command line to a sandboxed event loop. */
#include <cap-ng.h>
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
#include "pidfile.h"
#include "portfwd.h"
#include "proc.h"
#include "sandbox.h"
#include "state.h"
#include "statedir.h"

/*
 * Theory of operation: the privilege timeline
 *
 * 1. As started: the user's (or podman's) credentials, the host's filesystem, one thread.
 * 2. Join the holder's user namespace (whole process, so while it has one thread): root of it,
 *    with the capabilities that setns into its netns needs.
 * 3. Everything that touches a path: the netns file, the state directory (opened without
 *    following symlinks, then used by fd only), the API and reload sockets, state.json and
 *    the holder's pidfd, the one /proc file a refused bind's message quotes, and the pid file
 *    (our start time is read from /proc; the file is taken back if a later step fails).
 * 4. The sandbox (lib/sandbox.c): a mount namespace whose root is empty and read-only; the
 *    host's filesystem is gone for good. Still one thread, as unshare needs.
 * 5. The netns thread starts (nsock.c): it joins the netns and keeps CAP_NET_RAW alone, for
 *    IP_TRANSPARENT; this thread drops every capability.
 * 6. The forwards bind their ports.
 * 7. The seccomp allow-list (seccomp.c), in every thread: no open, no unlink of a path.
 * 8. Ready is written; the loop runs until the exit fd, a signal or the holder's end.
 */

#define READY_MESSAGE "1"

/* A file of the entry, by its name in the entry's fd; else the path given. */
static const char *ns_file(const struct pf_cfg *cfg, const char *file, const char *path)
{
	return cfg->state_fd >= 0 ? file : path;
}

/* The userns is joined by the whole process while it has one thread; the netns by a thread. */
static int join_userns(struct pf_cfg *cfg)
{
	int fd, err;

	if (!cfg->user_path[0])
		return 0;
	if ((err = ns_open_at(cfg->state_fd >= 0 ? cfg->state_fd : AT_FDCWD,
			      ns_file(cfg, STATE_USER, cfg->user_path), CLONE_NEWUSER, &fd))) {
		snprintf(cfg->detail, sizeof(cfg->detail), "%s: %s", cfg->user_path,
			 err == -ENOTTY ? "not a namespace" : strerror(-err));
		return err;
	}
	if (ns_is_ours(fd, CLONE_NEWUSER)) {
		close(fd);
		return 0;
	}
	err = ns_join(fd, CLONE_NEWUSER);
	close(fd);
	if (err)
		snprintf(cfg->detail, sizeof(cfg->detail), "joining %s: %s", cfg->user_path,
			 strerror(-err));
	return err;
}

/* The netns's holder going away (del, gc, kill) ends the daemon too, cleanly. */
static int watch_holder(struct pf_cfg *cfg, struct pf_state *st)
{
	struct netns_state ns;
	struct pidfile pf;
	int pidfd, err;

	err = state_read(cfg->state_fd, &ns);
	if (err || state_is_host(&ns))
		return err;
	pidfd = pidfd_open(ns.holder_pid, 0);
	pf = (struct pidfile){ .pid = ns.holder_pid, .start = ns.holder_start };
	if (pidfd < 0 || pidfile_live(&pf) != 1) {
		snprintf(cfg->detail, sizeof(cfg->detail), "netns %s is stale", cfg->netns_arg);
		if (pidfd >= 0)
			close(pidfd);
		return -ESRCH;
	}
	return evloop_quit_on(&st->ev, pidfd);
}

/* Steps 1 to 3: every path the daemon will ever use, opened or read. */
static int open_paths(struct pf_cfg *cfg, struct pf_state *st, int *ret_net_fd)
{
	char api[PATH_MAX];
	int err;

	if ((err = pf_resolve_netns(cfg)) || (err = join_userns(cfg)))
		return err;
	if ((err = ns_open_at(cfg->state_fd >= 0 ? cfg->state_fd : AT_FDCWD,
			      ns_file(cfg, STATE_NET, cfg->net_path), CLONE_NEWNET, ret_net_fd))) {
		snprintf(cfg->detail, sizeof(cfg->detail), "%s: %s", cfg->net_path,
			 err == -ENOTTY ? "not a namespace" : strerror(-err));
		return err;
	}
	forward_init(st);
	if ((err = pf_loop_init(st, cfg->exit_fd))) {
		snprintf(cfg->detail, sizeof(cfg->detail), "event loop: %s", strerror(-err));
		return err;
	}
	/* Our own socket in the entry is bound through the entry's fd: no symlink on the way. */
	if (cfg->state_fd >= 0 && cfg->api_in_state)
		snprintf(api, sizeof(api), "/proc/self/fd/%d/%s", cfg->state_fd,
			 STATE_PORTFWD_SOCKET);
	else
		snprintf(api, sizeof(api), "%s", cfg->api_path);
	if (api[0] && !(st->api = apiserver_new(api, &st->ev, pf_api_handle, st, &err))) {
		snprintf(cfg->detail, sizeof(cfg->detail), "API socket %s: %s", cfg->api_path,
			 strerror(-err));
		return err;
	}
	if (cfg->reload_dir && (err = reload_open(st, cfg->reload_dir, cfg->reload_name,
						  cfg->detail, sizeof(cfg->detail))))
		return err;
	if (cfg->state_fd >= 0 && (err = watch_holder(cfg, st)))
		return err;
	/* Our start time comes from /proc/self/stat: written now, taken back if set-up fails. */
	if (cfg->state_fd >= 0 &&
	    (err = pidfile_write(cfg->state_fd, STATE_PORTFWD_PIDFILE, getpid()))) {
		snprintf(cfg->detail, sizeof(cfg->detail), "pid file: %s", strerror(-err));
		return err;
	}
	return 0;
}

static int daemon_setup(struct pf_cfg *cfg, struct pf_state *st)
{
	const char *step;
	int net_fd = -1, err;
	struct pf_forward *f;

	/* Each relayed connection holds six fds: take all the kernel allows us. */
	proc_raise_nofile();
	if ((err = open_paths(cfg, st, &net_fd)))
		goto out;
	if ((err = sandbox_root(NULL, 0, &step))) {
		snprintf(cfg->detail, sizeof(cfg->detail), "sandbox: %s: %s", step, strerror(-err));
		goto out;
	}
	err = nsock_start(&st->ns, net_fd, cfg->target_arg, cfg->source_ip, cfg->detail,
			  sizeof(cfg->detail));
	st->source_ip = cfg->source_ip;
	evloop_busy_poll(&st->ev, (unsigned)cfg->busy_poll_us);
	if (err || (err = pf_loop_watch_nsock(st)))
		goto out;
	/* Binding host ports, making sockets in the netns: none of it needs a capability. */
	capng_clear(CAPNG_SELECT_BOTH);
	capng_apply(CAPNG_SELECT_BOTH);
	for (int i = 0; i < cfg->n_publish; i++)
		if ((err = forward_add(st, cfg->publish[i], false, &f, cfg->detail,
				       sizeof(cfg->detail))))
			goto out;
	for (int i = 0; i < cfg->n_reverse; i++)
		if ((err = forward_add(st, cfg->reverse[i], true, &f, cfg->detail,
				       sizeof(cfg->detail))))
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
			       .reload_dir_fd = -1 };
	int err;

	if ((err = daemon_setup(cfg, &st))) {
		if (cfg->rootlessport)
			printf("rootlessport: %s\n", cfg->detail[0] ? cfg->detail : strerror(-err));
		else
			log_error("%s", cfg->detail[0] ? cfg->detail : strerror(-err));
		daemon_free(&st);
		return EXIT_FAILURE;
	}
	if ((err = pf_seccomp_install())) {
		log_error("seccomp: %s", strerror(-err));
		daemon_free(&st);
		return EXIT_FAILURE;
	}
	if (cfg->ready_fd >= 0) {
		if (write(cfg->ready_fd, READY_MESSAGE, 1) != 1)
			log_warn("ready fd %d: nobody is reading it", cfg->ready_fd);
		close(cfg->ready_fd);
	}
	err = evloop_run(&st.ev);
	daemon_free(&st);
	return err ? EXIT_FAILURE : 0;
}
