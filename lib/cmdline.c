/* Command-line helpers the binaries share. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
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
 * cmdline_verb() - Find a verb in a binary's table of verbs
 * @word:	what the user typed
 * @table:	the table: each entry starts with its name, a const char *
 * @n:		its entries
 * @size:	one entry's size
 *
 * Return: the entry, or NULL for an unknown verb
 */
const void *cmdline_verb(const char *word, const void *table, size_t n, size_t size)
{
	for (size_t i = 0; i < n; i++) {
		const char *entry = (const char *)table + i * size;
		const char *name;

		memcpy(&name, entry, sizeof(name));
		if (!strcmp(name, word))
			return entry;
	}
	return NULL;
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
