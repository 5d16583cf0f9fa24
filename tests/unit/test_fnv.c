/* lib/fnv: FNV-1a as its authors publish it, and a seed that changes it. */
#include <stdint.h>

#include "fnv.h"
#include "unit.h"

/* The published test vectors of 32-bit FNV-1a (the offset basis as the seed). */
TEST(the_standard_seed_gives_the_published_vectors)
{
	CHECK(fnv1a(FNV1A_OFFSET, "", 0) == 0x811c9dc5u);
	CHECK(fnv1a(FNV1A_OFFSET, "a", 1) == 0xe40c292cu);
	CHECK(fnv1a(FNV1A_OFFSET, "foobar", 6) == 0xbf9cf968u);
}

TEST(a_hash_goes_on_from_its_seed)
{
	uint32_t foo = fnv1a(FNV1A_OFFSET, "foo", 3);

	CHECK(fnv1a(foo, "bar", 3) == 0xbf9cf968u);
	CHECK(fnv1a(FNV1A_OFFSET ^ 1, "foobar", 6) != 0xbf9cf968u);
	CHECK(fnv1a(1234, "", 0) == 1234);
}

UNIT_MAIN("fnv", T(the_standard_seed_gives_the_published_vectors), T(a_hash_goes_on_from_its_seed))
