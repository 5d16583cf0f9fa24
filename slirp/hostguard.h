/* Guest frames addressed to the host's own loopback, or the network's edges, never reach libslirp.
 */
#ifndef ROOTLET_SLIRP_HOSTGUARD_H
#define ROOTLET_SLIRP_HOSTGUARD_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

bool hostguard_drops(const uint8_t *frame, size_t len, struct in_addr net, struct in_addr mask);

#endif
