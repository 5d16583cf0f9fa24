/* /etc/subuid and /etc/subgid: the subordinate id ranges delegated to a user. */
#ifndef ROOTLET_SUBID_H
#define ROOTLET_SUBID_H

#include <stddef.h>
#include <stdint.h>

#include "idmap.h"

/* One uid_map line is the user's own id, the kernel takes IDMAP_MAX_RANGES in all. */
#define SUBID_MAX_RANGES (IDMAP_MAX_RANGES - 1)
/* Malformed lines reported one by one; past this many only counted. */
#define SUBID_WARN_MAX 8
#define SUBID_WHY_MAX  96

struct subid_range {
	uint32_t start;
	uint32_t count;
	unsigned line; /* 1-based line in the file, for messages */
};

struct subid_note {
	unsigned line;
	char why[SUBID_WHY_MAX];
};

struct subid_result {
	struct subid_range ranges[SUBID_MAX_RANGES];
	size_t n;
	struct subid_note warn[SUBID_WARN_MAX]; /* malformed lines, skipped */
	size_t n_warn;				/* how many in all, even past SUBID_WARN_MAX */
	struct subid_note error;		/* a fatal problem of the user's own ranges */
};

int subid_parse(const char *text, const char *name, uint32_t id, uint32_t own_id,
		struct subid_result *res);

#endif
