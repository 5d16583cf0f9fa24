/* Pid files of helpers in a netns entry ("slirp.pid"): a pid and its start time. */
#ifndef ROOTLET_PIDFILE_H
#define ROOTLET_PIDFILE_H

#include <stdbool.h>
#include <sys/types.h>

#define PIDFILE_SUFFIX	 ".pid"
#define PIDFILE_TEXT_MAX 64 /* "PID START\n" */

struct pidfile {
	pid_t pid;
	unsigned long long start;
};

int pidfile_parse(const char *text, struct pidfile *ret);
int pidfile_write(int dir_fd, const char *name, pid_t pid);
int pidfile_write_at(int dir_fd, const char *name, pid_t pid, int proc_fd);
int pidfile_read(int dir_fd, const char *name, struct pidfile *ret);
int pidfile_live(const struct pidfile *pf);
int pidfile_stop(const struct pidfile *pf, int timeout_ms);

#endif
