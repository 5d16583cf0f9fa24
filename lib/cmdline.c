/* Command-line helpers the binaries share. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "err.h"
#include "name.h"

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

/**
 * cmdline_usage() - Print a usage error in one line, "PROG: <what>; see 'PROG --help'"
 * @prog:	the binary's name
 * @fmt:	what was wrong, with one %s
 * @arg:	its argument
 *
 * Return: CMDLINE_EXIT_USAGE, for main() to return
 */
int cmdline_usage(const char *prog, const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", prog);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "; see '%s --help'\n", prog);
	return CMDLINE_EXIT_USAGE;
}

/**
 * cmdline_unknown_option() - The usage error for the option getopt_long() just refused
 * @prog:	the binary's name
 * @argv:	the arguments
 *
 * Return: CMDLINE_EXIT_USAGE
 */
int cmdline_unknown_option(const char *prog, char **argv)
{
	char bad[CMDLINE_OPT_TEXT];

	return cmdline_usage(prog, "unknown or incomplete option '%s'",
			     cmdline_bad_option(argv, bad));
}

/**
 * cmdline_take_verb() - The verb at argv[optind], found in a binary's table of verbs
 * @prog:	the binary's name, for the usage error
 * @argc:	the arguments' count
 * @argv:	the arguments; optind moves past the verb
 * @table:	the table: each entry starts with its name, a const char *
 * @n:		its entries
 * @size:	one entry's size
 * @ret:	the entry
 *
 * Return: 0, or CMDLINE_EXIT_USAGE once "no verb given" or "unknown verb" is printed
 */
int cmdline_take_verb(const char *prog, int argc, char **argv, const void *table, size_t n,
		      size_t size, const void **ret)
{
	const char *word;

	if (optind >= argc)
		return cmdline_usage(prog, "%s", "no verb given");
	word = argv[optind++];
	for (size_t i = 0; i < n; i++) {
		const char *entry = (const char *)table + i * size;
		const char *name;

		memcpy(&name, entry, sizeof(name));
		if (!strcmp(name, word)) {
			*ret = entry;
			return 0;
		}
	}
	return cmdline_usage(prog, "unknown verb '%s'", word);
}

/**
 * cmdline_name_check() - Refuse a NAME argument that is no valid name, in one line:
 * "PROG: VERB: invalid name 'QUOTED': WHY"
 * @prog:	the binary's name
 * @verb:	the verb
 * @name:	the argument
 *
 * Return: 0, or -EINVAL once the line is printed
 */
int cmdline_name_check(const char *prog, const char *verb, const char *name)
{
	char quoted[NAME_QUOTE_MAX];
	struct err why = { 0 };

	if (!name_check(name, &why))
		return 0;
	name_quote(name, quoted, sizeof(quoted));
	fprintf(stderr, "%s: %s: invalid name '%s': %s\n", prog, verb, quoted, err_text(&why));
	return -EINVAL;
}

/**
 * cmdline_append() - Add @item to a growing list of strings (a repeatable option's values)
 * @list:	the list, realloc()ed
 * @n:		its length
 * @item:	the string, not copied
 *
 * Return: 0, or -ENOMEM (the list is unchanged then)
 */
int cmdline_append(const char ***list, int *n, const char *item)
{
	const char **grown = realloc(*list, (size_t)(*n + 1) * sizeof(**list));

	if (!grown)
		return -ENOMEM;
	grown[(*n)++] = item;
	*list = grown;
	return 0;
}

/**
 * cmdline_open_fd() - An option's fd number, which must be open in this process
 * @text:	the option's value (--ready-fd, --exit-fd)
 * @ret:	the fd
 *
 * Return: 0, or -EINVAL if @text is no decimal fd number or names no open fd
 */
int cmdline_open_fd(const char *text, int *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || *end || end == text || v < 0 || v > INT_MAX || fcntl((int)v, F_GETFD) < 0)
		return -EINVAL;
	*ret = (int)v;
	return 0;
}

/**
 * cmdline_pid() - An option's process id (--owner): a decimal number above 0
 * @text:	the option's value
 * @ret:	the pid
 *
 * Return: 0, or -EINVAL if @text is no decimal process id
 */
int cmdline_pid(const char *text, pid_t *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || *end || end == text || v <= 0 || v > INT_MAX)
		return -EINVAL;
	*ret = (pid_t)v;
	return 0;
}
