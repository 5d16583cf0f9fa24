/* Facts about processes read from /proc: identity (start time), memory, id maps. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fileio.h"
#include "proc.h"

/* Field 22 of /proc/PID/stat; fields are counted from 1 and "comm" is field 2. */
#define STAT_FIELD_STARTTIME  22
#define STAT_FIELD_AFTER_COMM 3

/**
 * proc_stat_start_time() - Parse the start time out of the text of /proc/PID/stat
 * @stat:	NUL-terminated content
 * @ret_start:	set to the start time in clock ticks after boot
 *
 * comm may hold spaces and parentheses, so fields are counted from the last ')'. A zombie has
 * exited: whatever it held (its namespaces) is gone even though its pid is not yet free.
 *
 * Return: 0 on success, -ESRCH for a zombie or dead process, -EINVAL on malformed text
 */
int proc_stat_start_time(const char *stat, unsigned long long *ret_start)
{
	const char *p = strrchr(stat, ')');
	int field = STAT_FIELD_AFTER_COMM;
	unsigned long long value;
	bool exited;
	char *end;

	if (!p)
		return -EINVAL;
	p++;
	while (*p == ' ')
		p++;
	exited = *p == 'Z' || *p == 'X' || *p == 'x';
	for (;;) {
		while (*p == ' ')
			p++;
		if (!*p)
			return -EINVAL;
		if (field == STAT_FIELD_STARTTIME)
			break;
		while (*p && *p != ' ')
			p++;
		field++;
	}
	if (*p < '0' || *p > '9')
		return -EINVAL;
	errno = 0;
	value = strtoull(p, &end, 10);
	if (errno || (*end != ' ' && *end != '\n' && *end != '\0'))
		return -EINVAL;
	*ret_start = value;
	return exited ? -ESRCH : 0;
}

/**
 * proc_start_time_at() - Read a process's start time through a /proc of our own
 * @proc_fd:	an fd of /proc (a sandboxed daemon's), or AT_FDCWD for the path /proc
 * @pid:	process id
 * @ret_start:	set to the start time in clock ticks after boot
 *
 * Return: 0 on success, -ESRCH if there is no such process or it has exited, other errno
 */
int proc_start_time_at(int proc_fd, pid_t pid, unsigned long long *ret_start)
{
	char path[64], *buf;
	int ret;

	snprintf(path, sizeof(path), "%s%d/stat", proc_fd == AT_FDCWD ? "/proc/" : "", (int)pid);
	ret = file_read_small(proc_fd, path, &buf, NULL);
	if (ret == -ENOENT)
		return -ESRCH;
	if (ret)
		return ret;
	ret = proc_stat_start_time(buf, ret_start);
	free(buf);
	return ret;
}

/**
 * proc_start_time() - Read a process's start time, which tells it apart from a reused pid
 * @pid:	process id
 * @ret_start:	set to the start time in clock ticks after boot
 *
 * Return: 0 on success, -ESRCH if there is no such process or it has exited, other errno
 */
int proc_start_time(pid_t pid, unsigned long long *ret_start)
{
	return proc_start_time_at(AT_FDCWD, pid, ret_start);
}

/**
 * proc_pidfd_open() - A pidfd of the process that runs as @pid and started at @start
 * @pid:	process id
 * @start:	its start time, as proc_start_time() read it when it was recorded
 * @ret_fd:	set to the pidfd; -1 on failure
 *
 * The pidfd is taken first and the start time read after: a match then proves that the pid
 * was the recorded process's all along (it started before, and runs still), so the pidfd is
 * its and never a process's that reused the pid.
 *
 * Return: 0 on success, -ESRCH if it has exited or the pid is someone else's now, other
 * negative errno (pidfd_open()'s, proc_start_time()'s)
 */
int proc_pidfd_open(pid_t pid, unsigned long long start, int *ret_fd)
{
	unsigned long long now;
	int fd, err;

	*ret_fd = -1;
	fd = pidfd_open(pid, 0);
	if (fd < 0)
		return -errno;
	err = proc_start_time(pid, &now);
	if (!err && now != start)
		err = -ESRCH;
	if (err) {
		close(fd);
		return err;
	}
	*ret_fd = fd;
	return 0;
}

/**
 * proc_status_kib() - Read a "kB" field of /proc/PID/status, such as RssAnon
 * @pid:	process id
 * @field:	field name without the colon
 * @ret_kib:	set to the value in KiB
 *
 * Return: 0 on success, -ENODATA if the field is absent, other negative errno
 */
int proc_status_kib(pid_t pid, const char *field, long *ret_kib)
{
	size_t flen = strlen(field);
	char path[64], *buf, *line;
	int ret = -ENODATA;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((ret = file_read_small(AT_FDCWD, path, &buf, NULL)))
		return ret == -ENOENT ? -ESRCH : ret;
	ret = -ENODATA;
	for (line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (!strncmp(line, field, flen) && line[flen] == ':') {
			*ret_kib = strtol(line + flen + 1, NULL, 10);
			ret = 0;
			break;
		}
	}
	free(buf);
	return ret;
}

/**
 * proc_write() - Write @text to /proc/PID/@file (uid_map, setgroups, ...) in one write
 * @pid:	process, or 0 for the caller itself
 * @file:	file under /proc/PID
 * @text:	what to write; the kernel takes these files in a single write or not at all
 *
 * Return: 0 on success, negative errno on failure (-EIO on a short write)
 */
int proc_write(pid_t pid, const char *file, const char *text)
{
	char path[64];
	ssize_t n;
	int fd, err = 0;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	else
		snprintf(path, sizeof(path), "/proc/self/%s", file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	if (n < 0)
		err = -errno;
	else if ((size_t)n != strlen(text))
		err = -EIO;
	close(fd);
	return err;
}

/**
 * proc_raise_nofile() - Raise our soft limit of open files to the hard one
 *
 * A daemon holding a socket or more per connection (libslirp keeps each host socket through
 * its 10 s TIME_WAIT) would otherwise hit the usual 1024 under load, and a listener it can no
 * longer accept from stays readable: the loop spins.
 */
void proc_raise_nofile(void)
{
	struct rlimit nofile;

	if (!getrlimit(RLIMIT_NOFILE, &nofile) && nofile.rlim_cur < nofile.rlim_max) {
		nofile.rlim_cur = nofile.rlim_max;
		setrlimit(RLIMIT_NOFILE, &nofile);
	}
}

/**
 * proc_ns_link_pid() - The pid in a namespace link's target, "/proc/PID/ns/net"
 * @target:	what the link (a rootless entry's net file) points to
 *
 * Return: the pid, or 0 when @target is not of that form
 */
pid_t proc_ns_link_pid(const char *target)
{
	char tail;
	int pid;

	if (sscanf(target, "/proc/%d/ns/net%c", &pid, &tail) != 1 || pid <= 0)
		return 0;
	return pid;
}
