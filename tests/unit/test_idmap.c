/* Unit tests of uid_map/gid_map parsing. */
#include <errno.h>

#include "idmap.h"
#include "unit.h"

TEST(parses_kernel_format)
{
	struct idmap_range r[4];
	size_t n = 0;

	CHECK(idmap_parse("         0       1001          1\n         1     100000      65536\n", r,
			  4, &n) == 0);
	CHECK(n == 2);
	CHECK(r[0].inside == 0 && r[0].outside == 1001 && r[0].count == 1);
	CHECK(r[1].inside == 1 && r[1].outside == 100000 && r[1].count == 65536);
}

TEST(empty_map_has_no_ranges)
{
	struct idmap_range r[1];
	size_t n = 7;

	CHECK(idmap_parse("", r, 1, &n) == 0 && n == 0);
}

TEST(refuses_malformed_and_overflowing_lines)
{
	struct idmap_range r[2];
	size_t n;

	CHECK(idmap_parse("0 1000\n", r, 2, &n) == -EINVAL);
	CHECK(idmap_parse("0 1000 1 4\n", r, 2, &n) == -EINVAL);
	CHECK(idmap_parse("0 -1 1\n", r, 2, &n) == -EINVAL);
	CHECK(idmap_parse("0 4294967296 1\n", r, 2, &n) == -ERANGE);
	CHECK(idmap_parse("0 4294967295 2\n", r, 2, &n) == -ERANGE);
	CHECK(idmap_parse("0 1000 0\n", r, 2, &n) == -ERANGE);
	CHECK(idmap_parse("0 1 1\n1 2 1\n2 3 1\n", r, 2, &n) == -E2BIG);
}

UNIT_MAIN("idmap", T(parses_kernel_format), T(empty_map_has_no_ranges),
	  T(refuses_malformed_and_overflowing_lines))
