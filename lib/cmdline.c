/* Command-line helpers the binaries share. */
#include <getopt.h>
#include <stdio.h>

#include "cmdline.h"

/**
 * cmdline_bad_option() - The option getopt_long() just refused, as the user typed it
 * @argv:	the arguments
 * @buf:	room for a short option's "-x"
 *
 * A short one is named by optopt ("-r" of "add -rf", where argv[optind - 1] may be a verb
 * getopt has moved past); a long one, or a known option missing its value, by its argument.
 *
 * Return: the option's text
 */
const char *cmdline_bad_option(char **argv, char buf[CMDLINE_OPT_TEXT])
{
	if (optopt > ' ' && optopt <= '~') {
		snprintf(buf, CMDLINE_OPT_TEXT, "-%c", optopt);
		return buf;
	}
	return argv[optind - 1];
}
