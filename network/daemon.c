/* The infra's daemons (rootlet-slirp, rootlet-dns, a container's rootlet-portfwd): started on
 * lib/launch, detached, given the infras' state root, their logs in the infra's entry. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include "binpath.h"
#include "fileio.h"
#include "launch.h"
#include "network.h"
#include "state.h"
#include "statedir.h"

/**
 * net_daemon_spawn() - Start a daemon of ours detached; net_daemon_wait() waits for its ready
 * @cfg:	the state root; cfg->err on failure
 * @infra:	the infra, whose entry's root (<root>/~infra) the daemon is given as its
 *		state root: its output goes to @log in the entry
 * @argv:	its name (found beside us, or in LIBEXECDIR) and arguments (lib/launch's builders)
 * @log:	its log's file name in the entry
 * @pass:	fds handed on to it from LAUNCH_PASS_FD (@npass of them)
 * @npass:	how many
 * @d:		the started daemon
 *
 * With nothing of ours but the ready pipe: not the networks' lock, which it would otherwise
 * hold for as long as it runs.
 *
 * Return: 0, or a negative errno
 */
int net_daemon_spawn(struct net_cfg *cfg, const struct net_infra *infra, char **argv,
		     const char *log, const int *pass, int npass, struct launch_proc *d)
{
	struct launch_opts o = { .argv = argv,
				 .libexec = BINPATH_LIBEXEC,
				 .log = log,
				 .state_root = cfg->infra_root,
				 .pass = pass,
				 .npass = npass };
	int err;

	*d = (struct launch_proc)LAUNCH_PROC_NONE;
	if ((o.log_dir_fd = open(infra->dir, DIR_OPEN_FLAGS)) < 0)
		return err_errno(&cfg->err, -errno, "%s", infra->dir);
	err = launch_spawn(&o, d, &cfg->err);
	close(o.log_dir_fd);
	return err;
}

/**
 * net_daemon_wait() - Until a spawned daemon says ready; one that does not is killed
 * @cfg:	cfg->err on failure: the last line of the daemon's log
 * @d:		from net_daemon_spawn(); its ready pipe is closed here
 *
 * Return: 0 once ready (or when @d was never spawned), or a negative errno
 */
int net_daemon_wait(struct net_cfg *cfg, struct launch_proc *d)
{
	return launch_wait(d, LAUNCH_READY_TIMEOUT_MS, &cfg->err);
}

/**
 * net_daemon_start() - net_daemon_spawn(), then net_daemon_wait()
 * @cfg:	cfg->err on failure
 * @infra:	the infra's entry
 * @argv:	the daemon's name and arguments
 * @log:	its log's file name in the entry
 * @pass:	fds handed on to it from LAUNCH_PASS_FD (@npass of them)
 * @npass:	how many
 * @ret_pid:	its pid
 *
 * Return: 0 once ready, or a negative errno (it is killed then)
 */
int net_daemon_start(struct net_cfg *cfg, const struct net_infra *infra, char **argv,
		     const char *log, const int *pass, int npass, pid_t *ret_pid)
{
	struct launch_proc d;
	int err = net_daemon_spawn(cfg, infra, argv, log, pass, npass, &d);

	if (!err && !(err = net_daemon_wait(cfg, &d)))
		*ret_pid = d.pid;
	return err;
}
