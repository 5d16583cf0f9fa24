/* Unit tests of the one Internet checksum rootlet-slirp uses (slirp/csum.c). */
#include <stdint.h>
#include <string.h>

#include "csum.h"
#include "unit.h"

/* The folded sum as it lands in a frame: its two bytes in memory order. */
static void folded_bytes(uint64_t sum, uint8_t out[2])
{
	uint16_t v = csum_fold(sum);

	memcpy(out, &v, 2);
}

/* RFC 1071, section 3's example: 00 01 f2 03 f4 f5 f6 f7 sums to dd f2. */
TEST(rfc_1071_example)
{
	static const uint8_t data[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	uint8_t out[2];

	folded_bytes(csum_add(data, sizeof(data), 0), out);
	CHECK(out[0] == 0xdd && out[1] == 0xf2);
	/* Any alignment, and in pieces of even length, the same. */
	folded_bytes(csum_add(data + 2, 6, csum_add(data, 2, 0)), out);
	CHECK(out[0] == 0xdd && out[1] == 0xf2);
}

/* An odd last byte is the high byte of a zero-padded word: 01 02 03 -> 0102 + 0300. */
TEST(odd_length_pads_the_last_byte)
{
	static const uint8_t data[] = { 0x01, 0x02, 0x03 };
	uint8_t out[2];

	folded_bytes(csum_add(data, sizeof(data), 0), out);
	CHECK(out[0] == 0x04 && out[1] == 0x02);
}

/* Carries wrap around: ff ff + 00 01 folds to 00 01. */
TEST(carries_fold_back_in)
{
	static const uint8_t data[] = { 0xff, 0xff, 0x00, 0x01 };
	uint8_t out[2];

	folded_bytes(csum_add(data, sizeof(data), 0), out);
	CHECK(out[0] == 0x00 && out[1] == 0x01);
}

UNIT_MAIN("slirp-csum", T(rfc_1071_example), T(odd_length_pads_the_last_byte),
	  T(carries_fold_back_in))
