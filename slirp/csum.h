/* The Internet checksum (RFC 1071) of frames going through the tap. */
#ifndef ROOTLET_SLIRP_CSUM_H
#define ROOTLET_SLIRP_CSUM_H

#include <stddef.h>
#include <stdint.h>

uint64_t csum_add(const uint8_t *p, size_t len, uint64_t sum);
uint16_t csum_fold(uint64_t sum);

#endif
