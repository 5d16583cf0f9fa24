/* Starting and stopping the holder process of a rootless netns. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <unistd.h>

#include "binpath.h"
#include "fileio.h"
#include "holder.h"
#include "netns.h"
#include "nsfd.h"
#include "pidfile.h"
#include "proc.h"
#include "usermap.h"

/* A holder is ready in about a millisecond; this only bounds a wedged one. */
#define HOLDER_READY_TIMEOUT_MS 10000
/* How long del waits for SIGTERM to work before it sends SIGKILL. */

/* Own uid to 0 and, when /etc/subuid and /etc/subgid allow, the subordinate ranges after it. */
static int holder_map_build(struct netns_cfg *cfg, struct usermap *map)
{
	struct usermap_opts opts = { .uid = getuid(),
				     .gid = getgid(),
				     .subuid_path = SUBUID_PATH,
				     .subgid_path = SUBGID_PATH };
	struct passwd *pw = getpwuid(opts.uid);
	struct usermap_diag diag;
	int err;

	opts.user = pw ? pw->pw_name : NULL;
	if ((err = usermap_build(&opts, map, &diag, &cfg->err)))
		return err;
	if (diag.fallback[0])
		snprintf(cfg->warning, sizeof(cfg->warning), "%s", diag.fallback);
	else if (diag.n_warn)
		snprintf(cfg->warning, sizeof(cfg->warning), "%s", diag.warn[0]);
	return 0;
}

/*
 * The holder keeps no capability; in a new userns its exec, before the maps exist, gives it
 * none, but the bounding set it would keep: that goes here, while the child still has every
 * capability of the new userns.
 */
static int drop_bounding_set(void)
{
	for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return -errno;
	return 0;
}

static int read_msg(int fd, holder_msg_t *ret_msg)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	holder_msg_t msg;
	ssize_t n;
	int ready;

	do
		ready = poll(&pfd, 1, HOLDER_READY_TIMEOUT_MS);
	while (ready < 0 && errno == EINTR);
	if (ready < 0)
		return -errno;
	if (ready == 0)
		return -ETIMEDOUT;
	n = read(fd, &msg, sizeof(msg));
	if (n != sizeof(msg))
		return -ECHILD; /* it died without a word */
	*ret_msg = msg;
	return 0;
}

/* The holder's next message, which must be @want: else its own failure, or -EPROTO. */
static int expect_msg(int fd, holder_msg_t want)
{
	holder_msg_t msg;
	int err = read_msg(fd, &msg);

	return err ? err : msg == want ? 0 : msg < 0 ? msg : -EPROTO;
}

/*
 * In the child, between fork and exec: report failures through the pipe, then die. Once its
 * namespaces exist it says so and execs the holder at once: the parent writes the maps (a new
 * userns) and gets on with the entry meanwhile (the holder needs none of it), and whatever it
 * started on the namespaces then.
 */
static void __attribute__((noreturn))
holder_child(const char *holder, struct netns_cfg *cfg, int userns_fd, int report_fd)
{
	holder_msg_t msg = HOLDER_MSG_UNSHARED;

	if (userns_fd >= 0) {
		if (setns(userns_fd, CLONE_NEWUSER) < 0 || unshare(CLONE_NEWNET) < 0)
			goto fail;
	} else if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0 || drop_bounding_set()) {
		goto fail;
	}
	if (write(report_fd, &msg, sizeof(msg)) != sizeof(msg))
		_exit(1);
	if (dup2(report_fd, HOLDER_REPORT_FD) < 0)
		goto fail;
	execl(holder, HOLDER_BINARY, cfg->root, cfg->name, (char *)NULL);
fail:
	msg = -errno;
	if (write(report_fd, &msg, sizeof(msg)) != sizeof(msg))
		_exit(1);
	_exit(1);
}

/**
 * holder_spawn() - Start a holder in a new netns (and a new or given userns)
 * @cfg:	configuration: name, root, userns_path
 * @ret_pid:	set to the holder's pid once its namespaces exist (and are mapped)
 * @unshared:	called once its namespaces exist (before the maps, for a new userns), or NULL
 * @arg:	for @unshared
 * @ret_commit_fd: our end of the holder's channel: holder_ready() before the entry is
 *		published, holder_commit() once it is complete; closing it before then ends the
 *		holder
 *
 * The holder's exec and set-up go on after we return, overlapping the caller's work.
 *
 * Return: 0 on success, negative errno on failure (no holder is left running then)
 */
int holder_spawn(struct netns_cfg *cfg, pid_t *ret_pid, holder_unshared_fn unshared, void *arg,
		 int *ret_commit_fd)
{
	int report[2] = { -1, -1 }, userns_fd = -1, err;
	char holder[PATH_MAX];
	struct usermap map;
	pid_t pid = -1;

	if ((err = binary_path(HOLDER_BINARY, BINPATH_LIBEXEC, holder, sizeof(holder)))) {
		return err_make(&cfg->err, err, "%s not found", HOLDER_BINARY);
	}
	if (cfg->userns_path &&
	    (err = ns_open_at(AT_FDCWD, cfg->userns_path, CLONE_NEWUSER, &userns_fd))) {
		return err_make(&cfg->err, err, "--userns %s: %s", cfg->userns_path,
				err == -ENOTTY	 ? "not a namespace file"
				: err == -EINVAL ? "not a user namespace"
						 : strerror(-err));
	}
	/* Parsed before the fork: the child does not wait for it. */
	if (userns_fd < 0 && (err = holder_map_build(cfg, &map)))
		return err;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, report) < 0) {
		err = -errno;
		goto out;
	}

	pid = fork();
	if (pid < 0) {
		err = -errno;
		goto out;
	}
	if (pid == 0)
		holder_child(holder, cfg, userns_fd, report[1]);

	close(report[1]);
	report[1] = -1;

	if ((err = expect_msg(report[0], HOLDER_MSG_UNSHARED)))
		goto out;
	if ((unshared && (err = unshared(arg, pid))) ||
	    (userns_fd < 0 && (err = usermap_apply(pid, &map, &cfg->err))))
		goto out;
out:
	if (err && pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (!err) {
		*ret_pid = pid;
		*ret_commit_fd = report[0];
		report[0] = -1;
	}
	for (int i = 0; i < 2; i++)
		if (report[i] >= 0)
			close(report[i]);
	if (userns_fd >= 0)
		close(userns_fd);
	return err;
}

/**
 * holder_stop() - Stop a holder: SIGTERM, then SIGKILL if it lingers
 * @st:		state naming the holder
 *
 * Return: 0 once the holder is gone (or was already), negative errno on failure
 */
int holder_stop(const struct netns_state *st)
{
	struct pidfile pf = { .pid = st->holder_pid, .start = st->holder_start };

	if (state_is_host(st))
		return 0;
	return pidfile_stop(&pf, HOLDER_STOP_TIMEOUT_MS);
}

/**
 * holder_ready() - Until the holder, exec'd and isolated, says it waits for the commit
 * @commit_fd:	from holder_spawn()
 *
 * Return: 0 on success, negative errno (its own failure, or -ECHILD: it died without a word)
 */
int holder_ready(int commit_fd)
{
	return expect_msg(commit_fd, HOLDER_MSG_READY);
}

/**
 * holder_commit() - Tell the holder its entry is complete: from now on only SIGTERM ends it
 * @commit_fd:	from holder_spawn(), closed here
 *
 * Return: 0 on success, negative errno (the holder then ends, taking the entry with it)
 */
int holder_commit(int commit_fd)
{
	const char c = HOLDER_COMMIT;
	int err = write(commit_fd, &c, 1) == 1 ? 0 : -errno;

	close(commit_fd);
	return err;
}
