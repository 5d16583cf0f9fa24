/* uid_map/gid_map ranges: parsing /proc/PID/uid_map and turning it into OCI mappings. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "idmap.h"

static int parse_u32(const char **p, uint32_t *ret)
{
	unsigned long long v = 0;
	const char *s = *p;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (unsigned)(*s - '0');
		if (v > UINT32_MAX)
			return -ERANGE;
	}
	*ret = (uint32_t)v;
	*p = s;
	return 0;
}

/**
 * idmap_parse() - Parse the text of a uid_map or gid_map: lines "INSIDE OUTSIDE COUNT"
 * @text:	NUL-terminated content
 * @ranges:	output array
 * @max:	its size
 * @ret_n:	set to the number of ranges parsed
 *
 * Return: 0 on success, -EINVAL on malformed text, -E2BIG past @max ranges, -ERANGE on overflow
 */
int idmap_parse(const char *text, struct idmap_range *ranges, size_t max, size_t *ret_n)
{
	const char *p = text;
	size_t n = 0;
	int err;

	while (*p) {
		struct idmap_range r;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\n') {
			p++;
			continue;
		}
		if (!*p)
			break;
		if ((err = parse_u32(&p, &r.inside)) || (err = parse_u32(&p, &r.outside)) ||
		    (err = parse_u32(&p, &r.count)))
			return err;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p && *p != '\n')
			return -EINVAL;
		if (r.count == 0 || (uint64_t)r.inside + r.count - 1 > UINT32_MAX ||
		    (uint64_t)r.outside + r.count - 1 > UINT32_MAX)
			return -ERANGE;
		if (n == max)
			return -E2BIG;
		ranges[n++] = r;
	}
	*ret_n = n;
	return 0;
}

/**
 * idmap_read_pid() - Read /proc/PID/uid_map or gid_map
 * @pid:	process
 * @file:	"uid_map" or "gid_map"
 * @ranges:	output array
 * @max:	its size
 * @ret_n:	set to the number of ranges
 *
 * The ranges read are relative to the reader's own user namespace, which is what an OCI
 * runtime started from the same namespace expects as hostID.
 *
 * Return: 0 on success, negative errno on failure
 */
int idmap_read_pid(int pid, const char *file, struct idmap_range *ranges, size_t max, size_t *ret_n)
{
	char path[64], *text;
	int err;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	if ((err = file_read_small(AT_FDCWD, path, &text, NULL)))
		return err;
	err = idmap_parse(text, ranges, max, ret_n);
	free(text);
	return err;
}
