/* rootlet-dns's names: the hosts file rootlet-network writes, "ADDRESS NAME..." per line. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "dnsname.h"

/**
 * table_parse() - Every name of a hosts file: "10.89.0.2 c1 web www" lines (and IPv6 ones)
 * @text:	the file, NUL-terminated
 * @ret:	the table (names lower-cased); table_free() it
 *
 * A line that does not start with an address is skipped, and a word that is no DNS name
 * (lib/dnsname.h): the file is rootlet-network's, and a torn or foreign line costs that line
 * only.
 *
 * Return: 0, or -ENOMEM
 */
int table_parse(const char *text, struct dns_table *ret)
{
	struct dns_table t = { 0 };
	size_t cap = 0;

	for (const char *line = text; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char buf[DNS_NAME_MAX * 4], *save = NULL, *word;
		struct in6_addr addr6 = { 0 };
		struct in_addr addr = { 0 };
		int family = 0;

		if (len < sizeof(buf)) {
			memcpy(buf, line, len);
			buf[len] = '\0';
			word = strtok_r(buf, " \t", &save);
			if (word && inet_pton(AF_INET, word, &addr) == 1)
				family = AF_INET;
			else if (word && inet_pton(AF_INET6, word, &addr6) == 1)
				family = AF_INET6;
			if (family) {
				while ((word = strtok_r(NULL, " \t", &save))) {
					/* Only what rootlet-network writes: a hand-made
					 * or torn word is no name. */
					if (strlen(word) >= DNS_NAME_MAX || !dnsname_valid(word))
						continue;
					if (t.n == cap) {
						size_t ncap = cap ? cap * 2 : 16;
						struct dns_name *g =
							realloc(t.names, ncap * sizeof(*g));

						if (!g) {
							table_free(&t);
							return -ENOMEM;
						}
						t.names = g;
						cap = ncap;
					}
					for (size_t i = 0; word[i]; i++)
						word[i] = (char)tolower((unsigned char)word[i]);
					strcpy(t.names[t.n].name, word);
					t.names[t.n].family = family;
					t.names[t.n].addr = addr;
					t.names[t.n++].addr6 = addr6;
				}
			}
		}
		line = end ? end + 1 : NULL;
	}
	*ret = t;
	return 0;
}

void table_free(struct dns_table *t)
{
	free(t->names);
	t->names = NULL;
	t->n = 0;
}

/**
 * table_find() - A name's entry of a family
 * @t:		the table
 * @name:	lower case, without its trailing dot
 * @family:	AF_INET, AF_INET6, or 0 for either
 *
 * Return: the entry, or NULL
 */
const struct dns_name *table_find(const struct dns_table *t, const char *name, int family)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->names[i].name, name) && (!family || t->names[i].family == family))
			return &t->names[i];
	return NULL;
}
