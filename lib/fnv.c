/* FNV-1a, 32 bits: the one hash of a short key, for hash tables and names made from an ID. */
#include "fnv.h"

/**
 * fnv1a() - FNV-1a of @len bytes, starting from @seed
 * @seed:	FNV1A_OFFSET for the standard hash (stable names), a secret for a table
 * @data:	the bytes
 * @len:	how many
 *
 * Return: the hash
 */
uint32_t fnv1a(uint32_t seed, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t h = seed;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * FNV1A_PRIME;
	return h;
}
