/* /etc/subuid and /etc/subgid: the subordinate id ranges delegated to a user. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "subid.h"

#define SUBID_ID_MAX UINT32_MAX

static void note(struct subid_note *n, unsigned line, const char *why)
{
	n->line = line;
	snprintf(n->why, sizeof(n->why), "%s", why);
}

static void warn(struct subid_result *res, unsigned line, const char *why)
{
	if (res->n_warn < SUBID_WARN_MAX)
		note(&res->warn[res->n_warn], line, why);
	res->n_warn++;
}

/* A decimal number of [0, 2^32-1], nothing else: no sign, no space, no empty field. */
static bool parse_id(const char *s, size_t len, uint32_t *ret)
{
	uint64_t v = 0;

	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > SUBID_ID_MAX)
			return false;
	}
	*ret = (uint32_t)v;
	return true;
}

static bool owner_matches(const char *field, size_t len, const char *name, uint32_t id)
{
	uint32_t num;

	if (name && strlen(name) == len && !strncmp(field, name, len))
		return true;
	return parse_id(field, len, &num) && num == id;
}

/* Two ranges of outside ids may not overlap: the kernel refuses such a map. */
static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* Checks one of the user's own ranges; returns false with res->error set if it is unusable. */
static bool check_own(struct subid_result *res, unsigned line, uint32_t start, uint32_t count,
		      uint32_t own_id)
{
	char why[SUBID_WHY_MAX];

	if (count == 0) {
		note(&res->error, line, "COUNT is 0");
		return false;
	}
	if ((uint64_t)start + count - 1 > SUBID_ID_MAX) {
		note(&res->error, line, "START+COUNT goes past 2^32-1");
		return false;
	}
	if (overlaps(start, count, own_id, 1)) {
		snprintf(why, sizeof(why), "range %u-%u holds the user's own id %u", start,
			 (unsigned)((uint64_t)start + count - 1), own_id);
		note(&res->error, line, why);
		return false;
	}
	for (size_t i = 0; i < res->n; i++)
		if (overlaps(start, count, res->ranges[i].start, res->ranges[i].count)) {
			snprintf(why, sizeof(why), "range overlaps the one on line %u",
				 res->ranges[i].line);
			note(&res->error, line, why);
			return false;
		}
	if (res->n == SUBID_MAX_RANGES) {
		note(&res->error, line, "more ranges than a uid_map can hold (339)");
		return false;
	}
	return true;
}

/**
 * subid_parse() - Collect a user's ranges from the text of /etc/subuid or /etc/subgid
 * @text:	NUL-terminated file content, "NAME_OR_ID:START:COUNT" lines
 * @name:	the user's name (or group's, for subgid), may be NULL
 * @id:		the user's numeric id; a line may name the user either way
 * @own_id:	the id mapped to 0, which no subordinate range may contain
 * @res:	filled: the user's ranges in file order, malformed lines, any fatal error
 *
 * Blank lines and '#' comments are passed over. A line that is not three colon-separated
 * fields of the right form is malformed: noted and skipped, whoever it names. A range of this
 * user that cannot be mapped (COUNT 0, past 2^32-1, holding @own_id, overlapping another) is
 * fatal, because mapping the others silently would hand out fewer ids than the admin meant.
 *
 * Return: 0 on success (res->n may be 0: no entry), -EINVAL with res->error set when fatal
 */
int subid_parse(const char *text, const char *name, uint32_t id, uint32_t own_id,
		struct subid_result *res)
{
	const char *line = text;
	unsigned lineno = 0;

	memset(res, 0, sizeof(*res));
	while (*line) {
		const char *end = strchr(line, '\n'), *c1, *c2;
		size_t len = end ? (size_t)(end - line) : strlen(line);
		uint32_t start, count;

		lineno++;
		if (len == 0 || line[0] == '#')
			goto next;
		c1 = memchr(line, ':', len);
		c2 = c1 ? memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - line)) : NULL;
		if (!c1 || !c2 || c1 == line || !parse_id(c1 + 1, (size_t)(c2 - c1 - 1), &start) ||
		    !parse_id(c2 + 1, len - (size_t)(c2 + 1 - line), &count)) {
			warn(res, lineno, "not NAME:START:COUNT with decimal ids up to 2^32-1");
			goto next;
		}
		if (owner_matches(line, (size_t)(c1 - line), name, id)) {
			if (!check_own(res, lineno, start, count, own_id))
				return -EINVAL;
			res->ranges[res->n++] = (struct subid_range){ .start = start,
								      .count = count,
								      .line = lineno };
		}
	next:
		if (!end)
			break;
		line = end + 1;
	}
	return 0;
}
