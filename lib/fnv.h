/* FNV-1a, 32 bits: the one hash of a short key, for hash tables and names made from an ID. */
#ifndef ROOTLET_FNV_H
#define ROOTLET_FNV_H

#include <stddef.h>
#include <stdint.h>

/*
 * FNV1A_OFFSET is the standard offset basis: the seed of a hash whose values must stay the
 * same from run to run (names). A table a guest can fill is seeded with a secret instead
 * (getrandom()), so that no guest can aim its keys at one bucket.
 */
#define FNV1A_OFFSET 2166136261u
#define FNV1A_PRIME  16777619u

uint32_t fnv1a(uint32_t seed, const void *data, size_t len);

#endif
