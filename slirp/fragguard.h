/* IP fragments from the guest never reach libslirp: dropped, counted, logged once a burst. */
#ifndef ROOTLET_SLIRP_FRAGGUARD_H
#define ROOTLET_SLIRP_FRAGGUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "burstlog.h"

struct fragguard {
	unsigned long dropped; /* fragments dropped so far */
	struct burstlog log;   /* a burst is logged once */
};

bool fragguard_drops(struct fragguard *g, const uint8_t *frame, size_t len);

#endif
