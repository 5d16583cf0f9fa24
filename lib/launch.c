/* Starting a helper daemon of ours detached, waiting for its ready, and why it was not. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "binpath.h"
#include "launch.h"
#include "state.h"
#include "statedir.h"

/*
 * Theory of operation. rootlet-netns add starts rootlet-slirp, rootlet-portfwd and
 * rootlet-bypass for an entry; rootlet-network starts an infra's rootlet-slirp and rootlet-dns
 * and a container's rootlet-portfwd. Each is one of ours, run detached (a session of its own:
 * the user's terminal going away does not take the network), its stdout and stderr in a log in
 * the entry, a pipe at LAUNCH_READY_FD on which it writes "1" once it serves, and nothing else
 * of ours (not a lock: it would hold it for as long as it runs). An early helper is started
 * before its netns exists, so that its exec and libraries overlap the making: it waits on a
 * socket at LAUNCH_WAIT_FD for our go, and exits at end of file there (we died or gave up).
 *
 * A helper that does not get ready is killed, and the error says why in its own words: the
 * last line of its log. The last, not the first: a daemon's main() prints its one failure line
 * as it exits, after whatever it said while it came up (rootlet-slirp's "starting slirp, MTU=",
 * rootlet-bypass's line on what it serves, a --debug trace), so the last line is the cause and
 * the first only ever the progress before it. Its "rootlet-X: " prefix gives way to our
 * "starting rootlet-X: ".
 */

#define LAUNCH_LOG_MODE	  0600
#define LAUNCH_PASS_MOVE  64 /* the fds handed on are moved above this first */
#define LAUNCH_MS_PER_SEC 1000

/*
 * Puts the @npass fds of @pass at LAUNCH_PASS_FD on, in order. They are moved out of the way
 * first, above LAUNCH_PASS_MOVE, since one of them may sit where a helper's fd goes (a socket
 * unit's first socket is fd 3, LAUNCH_READY_FD). In the child, before its own dup2()s.
 */
static int pass_move(const int *pass, int npass, int *moved)
{
	for (int i = 0; i < npass; i++)
		if ((moved[i] = fcntl(pass[i], F_DUPFD_CLOEXEC, LAUNCH_PASS_MOVE)) < 0)
			return -1;
	return 0;
}

static int pass_place(const int *moved, int npass)
{
	for (int i = 0; i < npass; i++)
		if (dup2(moved[i], LAUNCH_PASS_FD + i) < 0)
			return -1;
	return 0;
}

/*
 * In the child: everything in place, then the exec. systemd's variables are ours, not the
 * helper's: a NOTIFY_SOCKET or LISTEN_FDS it inherited would have it speak for, or take the
 * sockets of, our caller's unit.
 */
static void __attribute__((noreturn))
child(const struct launch_opts *o, const char *binary, int log_fd, int ready_fd, int wait_fd)
{
	int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC), moved[LAUNCH_PASS_MAX];

	setsid();
	unsetenv("NOTIFY_SOCKET");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	unsetenv("LISTEN_PID");
	if ((o->state_root && setenv(STATE_ROOT_ENV, o->state_root, 1)) ||
	    o->npass > LAUNCH_PASS_MAX || pass_move(o->pass, o->npass, moved) < 0 || null_fd < 0 ||
	    dup2(null_fd, STDIN_FILENO) < 0 || dup2(log_fd, STDOUT_FILENO) < 0 ||
	    dup2(log_fd, STDERR_FILENO) < 0 || dup2(ready_fd, LAUNCH_READY_FD) < 0 ||
	    (wait_fd >= 0 && dup2(wait_fd, LAUNCH_WAIT_FD) < 0) || pass_place(moved, o->npass) < 0)
		_exit(127);
	if (wait_fd < 0)
		close(LAUNCH_WAIT_FD);
	close_range(LAUNCH_PASS_FD + (unsigned)o->npass, ~0U, 0);
	execv(binary, o->argv);
	dprintf(STDERR_FILENO, "%s: cannot run %s: %s\n", o->argv[0], binary, strerror(errno));
	_exit(127);
}

/**
 * launch_spawn() - Start a helper detached; launch_wait() waits for its ready
 * @o:		what to run, its log, what it is handed
 * @ret:	the started helper (LAUNCH_PROC_NONE's fields on failure)
 * @e:		what went wrong
 *
 * Return: 0 on success, negative errno (nothing left running then)
 */
int launch_spawn(const struct launch_opts *o, struct launch_proc *ret, struct err *e)
{
	char binary[PATH_MAX];
	int pipefd[2] = { -1, -1 }, go[2] = { -1, -1 }, log_fd, err = 0;
	struct launch_proc p = LAUNCH_PROC_NONE;
	pid_t pid;

	*ret = p;
	if (strlen(o->argv[0]) >= sizeof(p.name))
		return err_make(e, -ENAMETOOLONG, "%s: no helper's name", o->argv[0]);
	/* Its own copy: the caller's argv is freed once it runs. */
	memcpy(p.name, o->argv[0], strlen(o->argv[0]) + 1);
	if (o->npass > LAUNCH_PASS_MAX)
		return err_make(e, -E2BIG, "%s: more than %d fds to hand on", p.name,
				LAUNCH_PASS_MAX);
	if (binary_path(p.name, o->libexec, binary, sizeof(binary)))
		return err_make(e, -ENOENT, "%s not found", p.name);
	/* Never through a link: a log is a file of ours, made here. */
	log_fd = openat(o->log_dir_fd, o->log,
			O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, LAUNCH_LOG_MODE);
	if (log_fd < 0)
		return err_errno(e, -errno, "%s's log %s", p.name, o->log);
	/* Our own reader: the directory may be renamed, or the log replaced, meanwhile. */
	p.log_fd = openat(o->log_dir_fd, o->log, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	/* A socket, not a pipe: a go to a helper that already died is EPIPE, not SIGPIPE. */
	if (p.log_fd < 0 || pipe2(pipefd, O_CLOEXEC) < 0 ||
	    (o->early && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, go) < 0)) {
		err = err_errno(e, -errno, "starting %s", p.name);
		goto out;
	}
	pid = fork();
	if (pid == 0)
		child(o, binary, log_fd, pipefd[1], go[0]);
	if (pid < 0) {
		err = err_errno(e, -errno, "starting %s", p.name);
		goto out;
	}
	p.pid = pid;
	p.ready_fd = pipefd[0];
	p.go_fd = go[1];
	pipefd[0] = go[1] = -1;
	*ret = p;
	p.log_fd = -1;
out:
	for (int i = 0; i < 2; i++) {
		if (pipefd[i] >= 0)
			close(pipefd[i]);
		if (go[i] >= 0)
			close(go[i]);
	}
	if (p.log_fd >= 0)
		close(p.log_fd);
	close(log_fd);
	return err;
}

/**
 * launch_go() - The namespaces exist (and are mapped): let an early helper open them
 * @p:		from launch_spawn() with o->early
 *
 * Return: 0 on success, negative errno (it died already: launch_wait() says why)
 */
int launch_go(struct launch_proc *p)
{
	int err = send(p->go_fd, "g", 1, MSG_NOSIGNAL) == 1 ? 0 : -errno;

	close(p->go_fd);
	p->go_fd = -1;
	return err;
}

/* Its ready byte within @timeout_ms: 0, -ETIMEDOUT, or -ECHILD when it ended without one. */
static int ready_byte(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char c;
	int n;

	do
		n = poll(&pfd, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n < 0 ? -errno : -ETIMEDOUT;
	return read(fd, &c, 1) == 1 && c == '1' ? 0 : -ECHILD;
}

/* The last non-empty line of its log, its "NAME: " taken off, in @tail; "" when none. */
static const char *log_last_line(int log_fd, const char *name, char tail[LAUNCH_LOG_TAIL + 1])
{
	size_t prefix = strlen(name);
	char *line, *end;
	struct stat st;
	off_t from = 0;
	ssize_t n;

	tail[0] = '\0';
	if (log_fd < 0 || fstat(log_fd, &st) < 0)
		return tail;
	if (st.st_size > LAUNCH_LOG_TAIL)
		from = st.st_size - LAUNCH_LOG_TAIL;
	n = pread(log_fd, tail, LAUNCH_LOG_TAIL, from);
	if (n <= 0)
		return tail;
	tail[n] = '\0';
	end = tail + strlen(tail);
	while (end > tail && (end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	line = strrchr(tail, '\n');
	line = line ? line + 1 : tail;
	if (!strncmp(line, name, prefix) && !strncmp(line + prefix, ": ", 2))
		line += prefix + 2;
	return line;
}

/* Why @p did not get ready (@code), in @e: its own last word, else what we saw. */
static int explain(const struct launch_proc *p, int code, int timeout_ms, struct err *e)
{
	char tail[LAUNCH_LOG_TAIL + 1];
	const char *line = log_last_line(p->log_fd, p->name, tail);

	if (line[0])
		return err_make(e, code, "starting %s: %s", p->name, line);
	if (code == -ETIMEDOUT)
		return err_make(e, code, "starting %s: not ready after %d.%03d s", p->name,
				timeout_ms / LAUNCH_MS_PER_SEC, timeout_ms % LAUNCH_MS_PER_SEC);
	if (code == -ECHILD)
		return err_make(e, code, "starting %s: it ended without a word", p->name);
	return err_errno(e, code, "starting %s", p->name);
}

/**
 * launch_abort() - Stop a helper that was spawned and is not to be kept; close what is ours
 * @p:		the helper, or one never spawned (pid -1)
 */
void launch_abort(struct launch_proc *p)
{
	if (p->pid > 0) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
	}
	if (p->ready_fd >= 0)
		close(p->ready_fd);
	if (p->go_fd >= 0)
		close(p->go_fd);
	if (p->log_fd >= 0)
		close(p->log_fd);
	p->pid = p->ready_fd = p->go_fd = p->log_fd = -1;
}

/**
 * launch_wait() - Until a spawned helper says ready; one that does not is killed
 * @p:		from launch_spawn(); our fds of it are closed here, its pid kept
 * @timeout_ms:	how long it has (LAUNCH_READY_TIMEOUT_MS)
 * @e:		why it did not: "starting rootlet-X: <its log's last line>"
 *
 * Return: 0 once ready (or when @p was never spawned, or already waited for), negative errno
 */
int launch_wait(struct launch_proc *p, int timeout_ms, struct err *e)
{
	int err;

	if (p->ready_fd < 0)
		return 0;
	err = ready_byte(p->ready_fd, timeout_ms);
	close(p->ready_fd);
	p->ready_fd = -1;
	if (p->go_fd >= 0)
		close(p->go_fd);
	p->go_fd = -1;
	if (err) {
		/* Killed and reaped first: what it logged is then all it will say. */
		if (p->pid > 0) {
			kill(p->pid, SIGKILL);
			waitpid(p->pid, NULL, 0);
		}
		explain(p, err, timeout_ms, e);
		p->pid = -1;
	}
	close(p->log_fd);
	p->log_fd = -1;
	return err;
}

/**
 * launch_run() - launch_spawn(), then launch_wait()
 * @o:		what to run (not early)
 * @timeout_ms:	as launch_wait()'s
 * @ret_pid:	its pid, once ready
 * @e:		why it failed
 *
 * Return: 0 once ready, negative errno (nothing left running then)
 */
int launch_run(const struct launch_opts *o, int timeout_ms, pid_t *ret_pid, struct err *e)
{
	struct launch_proc p;
	int err = launch_spawn(o, &p, e);

	if (!err && !(err = launch_wait(&p, timeout_ms, e)))
		*ret_pid = p.pid;
	return err;
}
