/* The infra's daemons (rootlet-dns, a container's rootlet-portfwd): started detached, ready. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "binpath.h"
#include "fileio.h"
#include "network.h"
#include "state.h"

#define NET_DAEMON_READY_MS 5000

/**
 * net_daemon_spawn() - Start a daemon of ours detached; net_daemon_wait() waits for its ready
 * @cfg:	the state root; cfg->err on failure
 * @infra:	the infra's entry in <root>/~infra, whose root the daemon is given as its
 *		state root: its stderr goes to @log there
 * @argv:	its name (found beside us, or in LIBEXECDIR) and arguments; it writes 1 to
 *		NET_DAEMON_READY_FD once ready
 * @log:	its log's file name in the entry
 * @d:		the started daemon
 *
 * In a session of its own, with nothing of ours but the ready pipe: not the networks' lock,
 * which it would otherwise hold for as long as it runs.
 *
 * Return: 0, or a negative errno
 */
int net_daemon_spawn(struct net_cfg *cfg, const char *infra, char *const argv[], const char *log,
		     struct net_daemon *d)
{
	char binary[PATH_MAX];
	int pipefd[2], err;

	d->pid = -1;
	d->ready_fd = -1;
	d->name = argv[0];
	if (binary_path(argv[0], BINPATH_LIBEXEC, binary, sizeof(binary)))
		return err_make(&cfg->err, -ENOENT, "%s not found", argv[0]);
	if ((err = infra_path(cfg, infra, log, d->log, sizeof(d->log))))
		return err_errno(&cfg->err, err, "%s/%s/%s", cfg->infra_root, infra, log);
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	d->pid = fork();
	if (d->pid == 0) {
		int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		int log_fd =
			open(d->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, STATE_FILE_MODE);

		setsid();
		/* It finds the infra by name in the infras' state root. */
		if (setenv(NET_STATE_ROOT_ENV, cfg->infra_root, 1) || null_fd < 0 || log_fd < 0 ||
		    dup2(null_fd, STDIN_FILENO) < 0 || dup2(null_fd, STDOUT_FILENO) < 0 ||
		    dup2(log_fd, STDERR_FILENO) < 0 || dup2(pipefd[1], NET_DAEMON_READY_FD) < 0)
			_exit(127);
		close_range(NET_DAEMON_READY_FD + 1, ~0U, 0);
		execv(binary, argv);
		_exit(127);
	}
	close(pipefd[1]);
	if (d->pid < 0) {
		close(pipefd[0]);
		return -errno;
	}
	d->ready_fd = pipefd[0];
	return 0;
}

/**
 * net_daemon_wait() - Until a spawned daemon says ready; one that does not is killed
 * @cfg:	cfg->err on failure: the daemon's own first line, if it said one
 * @d:		from net_daemon_spawn(); its ready pipe is closed here
 *
 * Return: 0 once ready (or when @d was never spawned), or a negative errno
 */
int net_daemon_wait(struct net_cfg *cfg, struct net_daemon *d)
{
	struct pollfd p = { .fd = d->ready_fd, .events = POLLIN };
	char c = 0, *text = NULL;
	int err;

	if (d->ready_fd < 0)
		return 0;
	if (poll(&p, 1, NET_DAEMON_READY_MS) == 1 && read(d->ready_fd, &c, 1) == 1 && c == '1') {
		close(d->ready_fd);
		d->ready_fd = -1;
		return 0;
	}
	close(d->ready_fd);
	d->ready_fd = -1;
	kill(d->pid, SIGKILL);
	waitpid(d->pid, NULL, 0);
	file_read_small(AT_FDCWD, d->log, &text, NULL);
	if (text)
		text[strcspn(text, "\n")] = '\0';
	err = err_make(&cfg->err, -ECHILD, "starting %s: %s", d->name,
		       text && *text ? text : "it did not say ready");
	free(text);
	return err;
}

/**
 * net_daemon_start() - net_daemon_spawn(), then net_daemon_wait()
 * @cfg:	cfg->err on failure
 * @infra:	the infra's entry
 * @argv:	the daemon's name and arguments
 * @log:	its log's file name in the entry
 * @ret_pid:	its pid
 *
 * Return: 0 once ready, or a negative errno (it is killed then)
 */
int net_daemon_start(struct net_cfg *cfg, const char *infra, char *const argv[], const char *log,
		     pid_t *ret_pid)
{
	struct net_daemon d;
	int err = net_daemon_spawn(cfg, infra, argv, log, &d);

	if (!err)
		err = net_daemon_wait(cfg, &d);
	*ret_pid = d.pid;
	return err;
}
