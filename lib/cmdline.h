/* Command-line helpers the binaries share. */
#ifndef ROOTLET_CMDLINE_H
#define ROOTLET_CMDLINE_H

#include <stddef.h>
#include <sys/types.h>

#define CMDLINE_OPT_TEXT   3 /* "-x" and its NUL */
#define CMDLINE_EXIT_USAGE 2 /* DESIGN.md: 2 is a usage error, for every binary */

const char *cmdline_bad_option(char **argv, char buf[CMDLINE_OPT_TEXT]);
int cmdline_usage(const char *prog, const char *fmt, const char *arg);
int cmdline_unknown_option(const char *prog, char **argv);
int cmdline_take_verb(const char *prog, int argc, char **argv, const void *table, size_t n,
		      size_t size, const void **ret);
int cmdline_name_check(const char *prog, const char *verb, const char *name);
int cmdline_append(const char ***list, int *n, const char *item);
int cmdline_open_fd(const char *text, int *ret);
int cmdline_pid(const char *text, pid_t *ret);

#endif
