/* Command-line helpers the binaries share. */
#ifndef ROOTLET_CMDLINE_H
#define ROOTLET_CMDLINE_H

#include <stddef.h>

#define CMDLINE_OPT_TEXT 3 /* "-x" and its NUL */

const char *cmdline_bad_option(char **argv, char buf[CMDLINE_OPT_TEXT]);
const void *cmdline_verb(const char *word, const void *table, size_t n, size_t size);
int cmdline_name_check(const char *prog, const char *verb, const char *name);

#endif
