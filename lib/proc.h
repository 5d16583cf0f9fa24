/* Facts about processes read from /proc: identity (start time), memory, id maps. */
#ifndef ROOTLET_PROC_H
#define ROOTLET_PROC_H

#include <stddef.h>
#include <sys/types.h>

int proc_stat_start_time(const char *stat, unsigned long long *ret_start);
int proc_start_time(pid_t pid, unsigned long long *ret_start);
int proc_start_time_at(int proc_fd, pid_t pid, unsigned long long *ret_start);
int proc_pidfd_open(pid_t pid, unsigned long long start, int *ret_fd);
int proc_status_kib(pid_t pid, const char *field, long *ret_kib);
int proc_write(pid_t pid, const char *file, const char *text);
void proc_raise_nofile(void);
pid_t proc_ns_link_pid(const char *target);

#endif
