/* What every binary's main() does alike with its command line: --help, --version, operands. */
#ifndef ROOTLET_CMDLINE_MAIN_H
#define ROOTLET_CMDLINE_MAIN_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "cmdline.h"
#include "err.h"

/* exec verbs: as env(1) and podman do, so they cannot be taken for the command's own status. */
#define CMDLINE_EXIT_EXEC_OWN	   125 /* the binary itself failed */
#define CMDLINE_EXIT_EXEC_CANNOT   126 /* the command is there and cannot run */
#define CMDLINE_EXIT_EXEC_NOTFOUND 127 /* the command is not there */

/* A table's address, its entries and one entry's size, as cmdline_take_verb() takes them. */
#define CMDLINE_TABLE(t) (t), sizeof(t) / sizeof((t)[0]), sizeof((t)[0])

/* A binary, as its usage errors and its --help and --version name it. */
struct cmdline_prog {
	const char *name;	/* "rootlet-netns" */
	void (*usage)(FILE *f); /* the --help text */
};

int cmdline_next(const struct cmdline_prog *prog, int argc, char **argv, const char *shortopts,
		 const struct option *opts);
int cmdline_operand(const char *prog, const char *verb, const char *what, int argc, char **argv,
		    const char **ret);
int cmdline_long(const char *text, long min, long max, long *ret);
int cmdline_usage_why(const char *prog, struct err *e, int code);
int cmdline_exit_failed(bool exec_verb, bool cmd_failed, int code);

#endif
