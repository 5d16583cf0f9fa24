/* uid_map/gid_map ranges: parsing /proc/PID/uid_map and turning it into OCI mappings. */
#ifndef ROOTLET_IDMAP_H
#define ROOTLET_IDMAP_H

#include <stddef.h>
#include <stdint.h>

/* The kernel accepts at most 340 lines in a uid_map. */
#define IDMAP_MAX_RANGES 340

struct idmap_range {
	uint32_t inside;  /* first id inside the namespace (OCI containerID) */
	uint32_t outside; /* first id outside (OCI hostID) */
	uint32_t count;	  /* OCI size */
};

int idmap_parse(const char *text, struct idmap_range *ranges, size_t max, size_t *ret_n);
int idmap_read_pid(int pid, const char *file, struct idmap_range *ranges, size_t max,
		   size_t *ret_n);

#endif
