/* Validation of netns names before they touch a path. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "name.h"

static int name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '+' || c == '-';
}

/**
 * name_check() - Check that a netns name is safe to use as a path component
 * @name:	candidate name
 * @e:		the reason when the name is refused (may be NULL)
 *
 * Return: 0 if @name is 1..NAME_MAX_LEN bytes of [A-Za-z0-9_.+-], not "." or ".." and
 *	   not beginning with '-',
 *	   -EINVAL otherwise
 */
int name_check(const char *name, struct err *e)
{
	const char *why = NULL;
	size_t len = strnlen(name, NAME_MAX_LEN + 1);

	if (len == 0)
		why = "empty name";
	else if (len > NAME_MAX_LEN)
		why = "name longer than 64 bytes";
	else if (!strcmp(name, ".") || !strcmp(name, ".."))
		why = "'.' and '..' are not names";
	else if (strchr(name, '/'))
		why = "name contains '/'";
	else if (name[0] == '-')
		/* it would be read as an option where one binary passes it to another */
		why = "a name may not begin with '-'";
	else
		for (size_t i = 0; i < len; i++)
			if (!name_char_ok(name[i])) {
				why = "name may hold only letters, digits and _ . + -";
				break;
			}

	return why ? err_make(e, -EINVAL, "%s", why) : 0;
}

/**
 * name_quote() - Render any string printable on one line, for an error message about it
 * @name:	the string, possibly holding newlines or control bytes
 * @buf:	output buffer
 * @len:	size of @buf; the output is cut (with "...") to fit
 *
 * Bytes outside printable ASCII become \xNN, so a name cannot break the one-line rule.
 */
void name_quote(const char *name, char *buf, size_t len)
{
	static const char ellipsis[] = "...";
	size_t used = 0;

	if (!len)
		return;
	buf[0] = '\0';
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		char piece[8];
		size_t plen;

		if (*p >= ' ' && *p < 0x7f && *p != '\\')
			snprintf(piece, sizeof(piece), "%c", *p);
		else
			snprintf(piece, sizeof(piece), "\\x%02x", *p);
		plen = strlen(piece);
		if (used + plen + sizeof(ellipsis) > len) {
			if (used + sizeof(ellipsis) <= len)
				memcpy(buf + used, ellipsis, sizeof(ellipsis));
			return;
		}
		memcpy(buf + used, piece, plen + 1);
		used += plen;
	}
}
