/* Pid files of helpers in a netns entry ("slirp.pid"): a pid and its start time. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <unistd.h>

#include "fileio.h"
#include "pidfile.h"
#include "proc.h"

#define PIDFILE_MODE 0600

/**
 * pidfile_parse() - Parse "PID START\n"
 * @text:	NUL-terminated content
 * @ret:	filled on success
 *
 * Return: 0 on success, -EBADMSG on malformed content
 */
int pidfile_parse(const char *text, struct pidfile *ret)
{
	unsigned long long start;
	char tail;
	int pid;

	if (sscanf(text, "%d %llu%c", &pid, &start, &tail) != 3 || tail != '\n' || pid <= 0)
		return -EBADMSG;
	ret->pid = (pid_t)pid;
	ret->start = start;
	return 0;
}

/**
 * pidfile_write_at() - Record @pid, with its start time read through @proc_fd, in @name
 * @dir_fd:	the entry's directory
 * @name:	file name, e.g. "slirp.pid"
 * @pid:	process to record
 * @proc_fd:	an fd of /proc (a sandboxed daemon has no path to it), or AT_FDCWD
 *
 * Return: 0 on success, negative errno on failure
 */
int pidfile_write_at(int dir_fd, const char *name, pid_t pid, int proc_fd)
{
	unsigned long long start;
	char text[PIDFILE_TEXT_MAX];
	int err;

	if ((err = proc_start_time_at(proc_fd, pid, &start)))
		return err;
	snprintf(text, sizeof(text), "%d %llu\n", (int)pid, start);
	return file_write_state(dir_fd, name, text, strlen(text), PIDFILE_MODE);
}

/**
 * pidfile_write() - Record @pid, with its start time, in @name atomically
 * @dir_fd:	the entry's directory
 * @name:	file name, e.g. "slirp.pid"
 * @pid:	process to record
 *
 * Return: 0 on success, negative errno on failure
 */
int pidfile_write(int dir_fd, const char *name, pid_t pid)
{
	return pidfile_write_at(dir_fd, name, pid, AT_FDCWD);
}

/**
 * pidfile_read() - Read a pid file
 * @dir_fd:	the entry's directory
 * @name:	file name
 * @ret:	filled on success
 *
 * Return: 0 on success, -ENOENT, -EBADMSG, other negative errno
 */
int pidfile_read(int dir_fd, const char *name, struct pidfile *ret)
{
	char *text;
	int err;

	if ((err = file_read_small(dir_fd, name, &text, NULL)))
		return err == -EFBIG ? -EBADMSG : err;
	err = pidfile_parse(text, ret);
	free(text);
	return err;
}

/**
 * pidfile_live() - Tell whether the recorded process still runs (same pid, same start time)
 * @pf:		the pid file's content
 *
 * Return: 1 if live, 0 if gone, negative errno if it cannot be told
 */
int pidfile_live(const struct pidfile *pf)
{
	unsigned long long start;
	int err = proc_start_time(pf->pid, &start);

	if (err == -ESRCH)
		return 0;
	return err ? err : start == pf->start;
}

static int wait_pidfd(int pidfd, int timeout_ms)
{
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
	int ready;

	do
		ready = poll(&pfd, 1, timeout_ms);
	while (ready < 0 && errno == EINTR);
	return ready;
}

/**
 * pidfile_stop() - Stop the recorded process: SIGTERM, then SIGKILL after @timeout_ms
 * @pf:		the pid file's content
 * @timeout_ms:	how long to wait after each signal
 *
 * Signals go through proc_pidfd_open()'s pidfd, so they can reach only the recorded process,
 * never one that reused its pid.
 *
 * Return: 0 once it is gone (or already was), negative errno on failure
 */
int pidfile_stop(const struct pidfile *pf, int timeout_ms)
{
	int pidfd, err = proc_pidfd_open(pf->pid, pf->start, &pidfd);

	if (err)
		return err == -ESRCH ? 0 : err;
	if (pidfd_send_signal(pidfd, SIGTERM, NULL, 0) < 0 && errno != ESRCH) {
		err = -errno;
		goto out;
	}
	if (wait_pidfd(pidfd, timeout_ms) > 0)
		goto out;
	if (pidfd_send_signal(pidfd, SIGKILL, NULL, 0) < 0 && errno != ESRCH) {
		err = -errno;
		goto out;
	}
	if (wait_pidfd(pidfd, timeout_ms) <= 0)
		err = -ETIMEDOUT;
out:
	close(pidfd);
	return err;
}
