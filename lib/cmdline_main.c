/* What every binary's main() does alike with its command line: --help, --version, operands. */
#include <errno.h>
#include <stdlib.h>

#include "cmdline_main.h"
#include "log.h"
#include "strfmt.h"

#define OPERAND_TEXT 64 /* "VERB: WHAT missing", of a verb of our own tables */

/**
 * cmdline_next() - The next option getopt_long() finds, with --help and --version answered
 * @prog:	the binary: --help prints its usage on stdout, --version "NAME VERSION"
 * @argc:	the arguments' count
 * @argv:	the arguments
 * @shortopts:	getopt_long()'s short options; -h is --help, -V --version
 * @opts:	getopt_long()'s long options
 *
 * Both answers end the process with 0 at once, whatever else the command line holds, as
 * every binary's --help and --version do (DESIGN.md).
 *
 * Return: what getopt_long() returned, never 'h' or 'V'
 */
int cmdline_next(const struct cmdline_prog *prog, int argc, char **argv, const char *shortopts,
		 const struct option *opts)
{
	int c = getopt_long(argc, argv, shortopts, opts, NULL);

	if (c == 'h') {
		prog->usage(stdout);
		exit(0);
	}
	if (c == 'V') {
		printf("%s %s\n", prog->name, ROOTLET_VERSION);
		exit(0);
	}
	return c;
}

/**
 * cmdline_operand() - Take a verb's NAME (or ID) operand at argv[optind], a valid name
 * @prog:	the binary's name, for the usage error
 * @verb:	the verb
 * @what:	the operand, as the usage error names it ("NAME", "ID")
 * @argc:	the arguments' count
 * @argv:	the arguments; optind moves past the operand
 * @ret:	the operand
 *
 * Return: 0, or CMDLINE_EXIT_USAGE once "VERB: WHAT missing" or the invalid name is printed
 */
int cmdline_operand(const char *prog, const char *verb, const char *what, int argc, char **argv,
		    const char **ret)
{
	char missing[OPERAND_TEXT];

	if (optind >= argc) {
		if (str_fmt(missing, sizeof(missing), "%s: %s missing", verb, what))
			return cmdline_usage(prog, "%s", "operand missing");
		return cmdline_usage(prog, "%s", missing);
	}
	*ret = argv[optind++];
	if (cmdline_name_check(prog, verb, *ret))
		return CMDLINE_EXIT_USAGE;
	return 0;
}

/**
 * cmdline_long() - An option's decimal number from @min to @max (strtol()'s reading)
 * @text:	the option's value
 * @min:	the least accepted
 * @max:	the most accepted
 * @ret:	the number
 *
 * Return: 0, or -EINVAL if @text is no number or out of range (@ret unchanged then)
 */
int cmdline_long(const char *text, long min, long max, long *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || *end || end == text || v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

/**
 * cmdline_usage_why() - main()'s one line for a usage error its parser left in @e:
 * "PROG: <what>; see 'PROG --help'" (the first PROG as the process is named)
 * @prog:	the binary's name
 * @e:		the error
 * @code:	the negative errno the parser returned
 *
 * Return: CMDLINE_EXIT_USAGE, for main() to return
 */
int cmdline_usage_why(const char *prog, struct err *e, int code)
{
	log_error("%s; see '%s --help'", err_why(e, code), prog);
	return CMDLINE_EXIT_USAGE;
}

/**
 * cmdline_exit_failed() - A failed verb's exit status: an exec verb's as env(1)'s, else 1
 * @exec_verb:	the verb runs a command (rootlet-netns exec, rootlet-uidmap exec)
 * @cmd_failed:	the command itself could not be run (execvp() failed)
 * @code:	the negative errno the verb returned
 *
 * Return: CMDLINE_EXIT_EXEC_NOTFOUND or _CANNOT when the command could not be run,
 * CMDLINE_EXIT_EXEC_OWN when an exec verb failed before it, else EXIT_FAILURE
 */
int cmdline_exit_failed(bool exec_verb, bool cmd_failed, int code)
{
	if (cmd_failed)
		return code == -ENOENT ? CMDLINE_EXIT_EXEC_NOTFOUND : CMDLINE_EXIT_EXEC_CANNOT;
	return exec_verb ? CMDLINE_EXIT_EXEC_OWN : EXIT_FAILURE;
}
