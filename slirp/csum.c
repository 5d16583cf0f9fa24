/* The Internet checksum (RFC 1071) of frames going through the tap. */
#include <string.h>

#include "csum.h"

/**
 * csum_add() - Add @len bytes at @p to a ones' complement sum
 * @p:		the bytes (any alignment: they sit unaligned after an Ethernet header)
 * @len:	how many; an odd last byte is the first of a zero-padded word
 * @sum:	the sum so far (0 to start); chained calls must add even lengths but the last
 *
 * A ones' complement sum does not care which byte of a word is high, so words are summed as
 * the CPU loads them, 32 bits at a time into 64, and the result stored back the same way.
 *
 * Return: the new sum, not folded
 */
uint64_t csum_add(const uint8_t *p, size_t len, uint64_t sum)
{
	uint8_t last[2] = { 0, 0 };
	uint32_t w32;
	uint16_t w16;

	for (; len >= 4; p += 4, len -= 4) {
		memcpy(&w32, p, 4);
		sum += w32;
	}
	if (len >= 2) {
		memcpy(&w16, p, 2);
		sum += w16;
		p += 2;
		len -= 2;
	}
	if (len) {
		last[0] = *p;
		memcpy(&w16, last, 2);
		sum += w16;
	}
	return sum;
}

/**
 * csum_fold() - Fold a sum to 16 bits, in memory byte order, not yet inverted
 * @sum:	from csum_add() and any other words added to it
 *
 * Return: the folded sum
 */
uint16_t csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}
