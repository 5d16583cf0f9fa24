/* Unit tests of netns name validation. */
#include "dnsname.h"
#include "err.h"
#include "name.h"
#include "unit.h"

TEST(accepts_runc_style_names)
{
	CHECK(name_check("web", NULL) == 0);
	CHECK(name_check("a.b_c+d-e", NULL) == 0);
	CHECK(name_check(".hidden", NULL) == 0);
	CHECK(name_check("...", NULL) == 0);
}

TEST(accepts_64_bytes_refuses_65)
{
	char name[NAME_MAX_LEN + 2];

	memset(name, 'a', sizeof(name));
	name[NAME_MAX_LEN] = '\0';
	CHECK(name_check(name, NULL) == 0);
	name[NAME_MAX_LEN] = 'a';
	name[NAME_MAX_LEN + 1] = '\0';
	CHECK(name_check(name, NULL) == -EINVAL);
}

TEST(refuses_path_tricks_with_a_reason)
{
	const char *bad[] = { "",     ".", "..",  "a/b", "../x",   "/", "a b",
			      "a\nb", "é", "a:b", "-h",	 "--json", "-" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct err e = { 0 };

		CHECK(name_check(bad[i], &e) == -EINVAL);
		CHECK(e.code == -EINVAL && strlen(err_text(&e)) > 0);
	}
}

TEST(quote_keeps_a_refused_name_on_one_line)
{
	char buf[NAME_QUOTE_MAX], big[200];

	name_quote("a\nb\\c", buf, sizeof(buf));
	CHECK(!strcmp(buf, "a\\x0ab\\x5cc"));
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	name_quote(big, buf, sizeof(buf));
	CHECK(strlen(buf) < sizeof(buf));
	CHECK(!strcmp(buf + strlen(buf) - 3, "..."));
	name_quote("", buf, sizeof(buf));
	CHECK(buf[0] == '\0');
}

/* Hostnames and aliases become hosts-file records: DNS names only (lib/dnsname.h). */
TEST(dns_names_are_labels_of_letters_digits_and_hyphens)
{
	const char *good[] = { "a",
			       "web",
			       "A2",
			       "db-1",
			       "x.example.com",
			       "1a",
			       "a.b1",
			       "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk" };
	const char *bad[] = {
		"",	"a b",
		"a\nb", "a#b",
		"a_b",	"a..b",
		".a",	"a.",
		"-a",	"a-",
		"a.-b", "1.2.3.4",
		"42",	"é",
		"a\tb", "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl"
	};
	char long_name[DNSNAME_MAX + 2];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK(dnsname_valid(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(!dnsname_valid(bad[i]));
	/* 253 bytes (labels of 9 and dots) is the most. */
	for (size_t i = 0; i < sizeof(long_name); i++)
		long_name[i] = i % 10 == 9 ? '.' : 'a';
	long_name[DNSNAME_MAX] = '\0';
	CHECK(dnsname_valid(long_name));
	long_name[DNSNAME_MAX] = 'a';
	long_name[DNSNAME_MAX + 1] = '\0';
	CHECK(!dnsname_valid(long_name));
}

UNIT_MAIN("name", T(accepts_runc_style_names), T(accepts_64_bytes_refuses_65),
	  T(refuses_path_tricks_with_a_reason), T(quote_keeps_a_refused_name_on_one_line),
	  T(dns_names_are_labels_of_letters_digits_and_hyphens))
