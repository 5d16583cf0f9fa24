/* When a daemon line about what the guest sends is due: once a burst, a bounded number in all. */
#ifndef ROOTLET_SLIRP_BURSTLOG_H
#define ROOTLET_SLIRP_BURSTLOG_H

#include <stdbool.h>
#include <stdint.h>

#define BURSTLOG_GAP_MS	  1000		   /* events this close together are one burst */
#define BURSTLOG_LINES	  100		   /* lines in all before the quiet */
#define BURSTLOG_QUIET_MS (60 * 60 * 1000) /* then a line this often at most */

struct burstlog {
	int64_t last_ms;  /* the last event */
	int64_t quiet_ms; /* the last line written once quiet */
	unsigned lines;	  /* lines written before the quiet */
};

bool burstlog_due(struct burstlog *b, int64_t now);

#endif
