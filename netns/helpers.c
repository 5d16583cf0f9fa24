/* The helpers attached to a netns (slirp, portfwd): started, awaited, found, stopped. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "binpath.h"
#include "fileio.h"
#include "netns.h"
#include "pidfile.h"

/* Helpers get this long to exit on SIGTERM before SIGKILL. */
#define HELPER_STOP_TIMEOUT_MS 2000
#define HELPER_LOG_MODE	       0600
#define HELPER_READY_MS	       10000 /* to say ready, after exec */

/**
 * helpers_each() - Call @fn for every "<helper>.pid" of an entry
 * @dir_fd:	the entry's directory
 * @fn:		called with the helper's name (file name without ".pid") and its pid file
 * @data:	passed to @fn
 *
 * Return: 0 on success, the first negative value @fn returned, or negative errno
 */
int helpers_each(int dir_fd, int (*fn)(const char *helper, const struct pidfile *pf, void *data),
		 void *data)
{
	size_t slen = strlen(PIDFILE_SUFFIX);
	struct dirent *de;
	DIR *dir;
	int err;

	if ((err = dir_stream(dir_fd, &dir)))
		return err;
	while ((de = readdir(dir))) {
		size_t len = strlen(de->d_name);
		char helper[NAME_MAX_LEN + 1];
		struct pidfile pf;
		int ret;

		if (len <= slen || len - slen > NAME_MAX_LEN ||
		    strcmp(de->d_name + len - slen, PIDFILE_SUFFIX))
			continue;
		if (pidfile_read(dir_fd, de->d_name, &pf))
			continue;
		snprintf(helper, sizeof(helper), "%.*s", (int)(len - slen), de->d_name);
		if ((ret = fn(helper, &pf, data)) < 0 && !err)
			err = ret;
	}
	closedir(dir);
	return err;
}

static int helper_stop_one(const char *helper, const struct pidfile *pf, void *data)
{
	(void)helper;
	(void)data;
	return pidfile_stop(pf, HELPER_STOP_TIMEOUT_MS);
}

/**
 * helpers_stop() - Stop every helper recorded in an entry
 * @dir_fd:	the entry's directory
 *
 * Return: 0 on success, negative errno of the first failure (the others are still stopped)
 */
int helpers_stop(int dir_fd)
{
	return helpers_each(dir_fd, helper_stop_one, NULL);
}

/* The last line a helper logged: why it did not come up. */
/*
 * Why a helper did not become ready, from the last line of its log: "starting rootlet-slirp:
 * configuring tap0: <why>". Its own "rootlet-slirp: " prefix gives way to ours.
 */
static int explain_not_ready(int dir_fd, const struct helper_proc *h, int code, struct err *e)
{
	size_t prefix = strlen(h->name);
	char *text, *line, *end;

	if (file_read_small(dir_fd, h->log, &text, NULL))
		return err_errno(e, code, "starting %s (no %s)", h->name, h->log);
	end = text + strlen(text);
	while (end > text && end[-1] == '\n')
		*--end = '\0';
	line = strrchr(text, '\n');
	line = line ? line + 1 : text;
	if (!strncmp(line, h->name, prefix) && !strncmp(line + prefix, ": ", 2))
		line += prefix + 2;
	if (*line)
		err_make(e, code, "starting %s: %s", h->name, line);
	else
		err_errno(e, code, "starting %s: it did not become ready", h->name);
	free(text);
	return code;
}

static int wait_ready(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char c;
	int n;

	do
		n = poll(&pfd, 1, HELPER_READY_MS);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n < 0 ? -errno : -ETIMEDOUT;
	return read(fd, &c, 1) == 1 && c == '1' ? 0 : -ECHILD;
}

/*
 * Puts the @npass fds of @pass at HELPER_PASS_FD on, in order. They are moved out of the way
 * first, above HELPER_PASS_MOVE, since one of them may sit where a helper's fd goes (a socket
 * unit's first socket is fd 3, HELPER_READY_FD). In the child, before its own dup2()s.
 */
#define HELPER_PASS_MOVE 64
static int helper_pass_move(const int *pass, int npass, int *moved)
{
	for (int i = 0; i < npass; i++)
		if ((moved[i] = fcntl(pass[i], F_DUPFD_CLOEXEC, HELPER_PASS_MOVE)) < 0)
			return -1;
	return 0;
}

static int helper_pass_place(const int *moved, int npass)
{
	for (int i = 0; i < npass; i++)
		if (dup2(moved[i], HELPER_PASS_FD + i) < 0)
			return -1;
	return 0;
}

/*
 * Runs @argv (a binary of ours) detached, in a session of its own so that the user's terminal
 * going away does not take the network, logging to <entry>/@log, with a pipe at
 * HELPER_READY_FD for it to say ready on; helper_wait() waits for that. @pass are given it
 * from HELPER_PASS_FD on. systemd's variables are ours, not the helper's: a NOTIFY_SOCKET or
 * LISTEN_FDS it inherited would have it speak for, or take the sockets of, our caller's unit.
 */
int helper_spawn(struct netns_cfg *cfg, int dir_fd, const char *log, char **argv, int wait_fd,
		 const int *pass, int npass, struct helper_proc *h)
{
	char binary[PATH_MAX];
	int pipefd[2], log_fd, err = 0;
	pid_t pid;

	h->pid = -1;
	h->ready_fd = -1;
	h->go_fd = -1;
	h->log = log;
	h->name = argv[0];
	if (binary_path(argv[0], NULL, binary, sizeof(binary)))
		return err_make(&cfg->err, -ENOENT, "%s not found", argv[0]);
	log_fd = openat(dir_fd, log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, HELPER_LOG_MODE);
	if (log_fd < 0)
		return -errno;
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		err = -errno;
		close(log_fd);
		return err;
	}
	pid = fork();
	if (pid == 0) {
		int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC), moved[HELPER_PASS_MAX];

		setsid();
		unsetenv("NOTIFY_SOCKET");
		unsetenv("LISTEN_FDS");
		unsetenv("LISTEN_FDNAMES");
		unsetenv("LISTEN_PID");
		if (npass > HELPER_PASS_MAX || helper_pass_move(pass, npass, moved) < 0 ||
		    null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 ||
		    dup2(log_fd, STDOUT_FILENO) < 0 || dup2(log_fd, STDERR_FILENO) < 0 ||
		    dup2(pipefd[1], HELPER_READY_FD) < 0 ||
		    (wait_fd >= 0 && dup2(wait_fd, HELPER_WAIT_FD) < 0) ||
		    helper_pass_place(moved, npass) < 0)
			_exit(127);
		if (wait_fd < 0)
			close(HELPER_WAIT_FD);
		close_range(HELPER_PASS_FD + (unsigned)npass, ~0U, 0);
		execv(binary, argv);
		dprintf(STDERR_FILENO, "rootlet-netns: cannot run %s: %s\n", binary,
			strerror(errno));
		_exit(127);
	}
	if (pid < 0) {
		err = -errno;
		close(pipefd[0]);
	} else {
		h->pid = pid;
		h->ready_fd = pipefd[0];
	}
	close(pipefd[1]);
	close(log_fd);
	return err;
}

/**
 * helper_abort() - Stop a helper that was spawned and is not to be kept
 * @h:		the helper, or one never spawned (pid -1)
 */
void helper_abort(struct helper_proc *h)
{
	if (h->pid > 0) {
		kill(h->pid, SIGKILL);
		waitpid(h->pid, NULL, 0);
	}
	if (h->ready_fd >= 0)
		close(h->ready_fd);
	if (h->go_fd >= 0)
		close(h->go_fd);
	h->pid = h->ready_fd = h->go_fd = -1;
}

/* Until the helper says ready; if it does not, its last log line says why and it goes. */
int helper_wait(struct netns_cfg *cfg, int dir_fd, struct helper_proc *h)
{
	int err = wait_ready(h->ready_fd);

	close(h->ready_fd);
	h->ready_fd = -1;
	if (err) {
		helper_abort(h);
		explain_not_ready(dir_fd, h, err, &cfg->err);
	}
	return err;
}

/**
 * helper_spawn_early() - helper_spawn() for a netns not made yet: it waits for helper_go() on
 * its --wait-fd (HELPER_WAIT_FD), and exits at end of file there (we died or gave up)
 * @cfg:	configuration; cfg->err on failure
 * @dir_fd:	the entry's directory, for the log
 * @log:	the log's name in it
 * @argv:	its command line, --wait-fd HELPER_WAIT_FD among it
 * @pass:	fds handed on, from HELPER_PASS_FD
 * @npass:	how many
 * @h:		the helper, for helper_go(), helper_finish() or helper_abort()
 *
 * Return: 0 on success, negative errno
 */
int helper_spawn_early(struct netns_cfg *cfg, int dir_fd, const char *log, char **argv,
		       const int *pass, int npass, struct helper_proc *h)
{
	int go[2], err;

	/* A socket, not a pipe: a go to a helper that already died is EPIPE, not SIGPIPE. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, go) < 0)
		return -errno;
	err = helper_spawn(cfg, dir_fd, log, argv, go[0], pass, npass, h);
	close(go[0]);
	if (err)
		close(go[1]);
	else
		h->go_fd = go[1];
	return err;
}

/**
 * helper_go() - The namespaces exist (and are mapped): let an early helper open them
 * @h:		from helper_spawn_early()
 *
 * Return: 0 on success, negative errno
 */
int helper_go(struct helper_proc *h)
{
	int err = send(h->go_fd, "g", 1, MSG_NOSIGNAL) == 1 ? 0 : -errno;

	close(h->go_fd);
	h->go_fd = -1;
	return err;
}

/**
 * helper_finish() - Wait for an early helper to be ready and record it in its pid file
 * @cfg:	configuration; cfg->err on failure
 * @dir_fd:	the entry's directory
 * @h:		from helper_spawn_early()
 * @pidfile:	the pid file's name in the entry
 *
 * Return: 0 on success, negative errno (it is not left running then)
 */
int helper_finish(struct netns_cfg *cfg, int dir_fd, struct helper_proc *h, const char *pidfile)
{
	int err = helper_wait(cfg, dir_fd, h);

	if (!err && (err = pidfile_write(dir_fd, pidfile, h->pid)))
		helper_abort(h);
	return err;
}

int helper_launch(struct netns_cfg *cfg, int dir_fd, const char *log, char **argv, const int *pass,
		  int npass)
{
	struct helper_proc h;
	int err = helper_spawn(cfg, dir_fd, log, argv, -1, pass, npass, &h);

	return err ? err : helper_wait(cfg, dir_fd, &h);
}
