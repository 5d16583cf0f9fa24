/* Unit tests of the /etc/subuid parser. */
#include <stdint.h>

#include "subid.h"
#include "unit.h"

#define OWN 1000

TEST(collects_every_line_of_the_user_by_name_or_uid_in_file_order)
{
	struct subid_result r;

	CHECK(subid_parse("bob:100000:65536\nalice:200000:65536\n1000:300000:10\n"
			  "alice:400000:5\n",
			  "alice", OWN, OWN, &r) == 0);
	CHECK(r.n == 3);
	CHECK(r.ranges[0].start == 200000 && r.ranges[0].count == 65536 && r.ranges[0].line == 2);
	CHECK(r.ranges[1].start == 300000 && r.ranges[1].count == 10 && r.ranges[1].line == 3);
	CHECK(r.ranges[2].start == 400000 && r.ranges[2].line == 4);
	CHECK(r.n_warn == 0);
}

TEST(no_entry_is_no_ranges_not_an_error)
{
	struct subid_result r;

	CHECK(subid_parse("bob:100000:65536\n", "alice", OWN, OWN, &r) == 0);
	CHECK(r.n == 0);
	CHECK(subid_parse("", "alice", OWN, OWN, &r) == 0 && r.n == 0);
}

TEST(comments_and_blank_lines_pass_silently)
{
	struct subid_result r;

	CHECK(subid_parse("# alice:1:1\n\n\nalice:100000:10\n", "alice", OWN, OWN, &r) == 0);
	CHECK(r.n == 1 && r.ranges[0].line == 4 && r.n_warn == 0);
}

TEST(malformed_lines_are_noted_with_line_number_and_skipped)
{
	const char *text = "alice: 100000:10\n"	  /* space */
			   "alice::10\n"	  /* empty field */
			   "alice:-5:10\n"	  /* negative */
			   "alice:4294967296:1\n" /* past 2^32-1 */
			   "alice:1:2:3\n"	  /* four fields */
			   ":100:10\n"		  /* no owner */
			   "alice 100 10\n"	  /* no colons */
			   "alice:500000:10\n";	  /* the good one */
	struct subid_result r;

	CHECK(subid_parse(text, "alice", OWN, OWN, &r) == 0);
	CHECK(r.n == 1 && r.ranges[0].start == 500000 && r.ranges[0].line == 8);
	CHECK(r.n_warn == 7);
	CHECK(r.warn[0].line == 1 && r.warn[6].line == 7);
}

TEST(last_line_without_newline_counts)
{
	struct subid_result r;

	CHECK(subid_parse("bob:1:1\nalice:100000:10", "alice", OWN, OWN, &r) == 0);
	CHECK(r.n == 1 && r.ranges[0].count == 10);
}

TEST(own_ranges_that_cannot_be_mapped_are_fatal)
{
	struct subid_result r;

	CHECK(subid_parse("alice:100000:0\n", "alice", OWN, OWN, &r) == -EINVAL);
	CHECK(r.error.line == 1 && strstr(r.error.why, "COUNT is 0"));
	CHECK(subid_parse("alice:4294967295:2\n", "alice", OWN, OWN, &r) == -EINVAL);
	CHECK(strstr(r.error.why, "2^32-1"));
	CHECK(subid_parse("x:1:1\nalice:990:20\n", "alice", OWN, OWN, &r) == -EINVAL);
	CHECK(r.error.line == 2 && strstr(r.error.why, "own id 1000"));
	CHECK(subid_parse("alice:100000:100\nalice:100050:10\n", "alice", OWN, OWN, &r) == -EINVAL);
	CHECK(strstr(r.error.why, "line 1"));
	/* Someone else's unusable range is not ours to refuse. */
	CHECK(subid_parse("bob:100000:0\nalice:5000:5\n", "alice", OWN, OWN, &r) == 0);
	CHECK(r.n == 1);
}

TEST(largest_range_ending_at_2_32_minus_1_is_accepted)
{
	struct subid_result r;

	CHECK(subid_parse("alice:4294967295:1\n", "alice", OWN, OWN, &r) == 0);
	CHECK(r.n == 1 && r.ranges[0].start == UINT32_MAX);
}

TEST(ten_thousand_lines)
{
	size_t len = 10000 * 32;
	char *text = malloc(len), *p = text;
	struct subid_result r;

	for (int i = 0; i < 10000; i++)
		p += sprintf(p, "%s:%u:%u\n", i % 1000 == 0 ? "alice" : "bob",
			     100000u + (unsigned)i * 100u, 100u);
	CHECK(subid_parse(text, "alice", OWN, OWN, &r) == 0);
	CHECK(r.n == 10 && r.ranges[9].line == 9001);
	free(text);
}

TEST(more_ranges_than_a_uid_map_holds_is_fatal)
{
	char *text = malloc(400 * 32), *p = text;
	struct subid_result r;

	for (unsigned i = 0; i < 400; i++)
		p += sprintf(p, "alice:%u:1\n", 100000u + i * 2u);
	CHECK(subid_parse(text, "alice", OWN, OWN, &r) == -EINVAL);
	CHECK(r.error.line == SUBID_MAX_RANGES + 1);
	free(text);
}

UNIT_MAIN("subid", T(collects_every_line_of_the_user_by_name_or_uid_in_file_order),
	  T(no_entry_is_no_ranges_not_an_error), T(comments_and_blank_lines_pass_silently),
	  T(malformed_lines_are_noted_with_line_number_and_skipped),
	  T(last_line_without_newline_counts), T(own_ranges_that_cannot_be_mapped_are_fatal),
	  T(largest_range_ending_at_2_32_minus_1_is_accepted), T(ten_thousand_lines),
	  T(more_ranges_than_a_uid_map_holds_is_fatal))
