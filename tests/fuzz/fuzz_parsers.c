/* libFuzzer target for rootlet-netns's parsers: state.json, pid files, /proc stat, id maps. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "idmap.h"
#include "name.h"
#include "pidfile.h"
#include "proc.h"
#include "state.h"

/* The first byte picks the parser, the rest is its input as a C string. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct idmap_range ranges[IDMAP_MAX_RANGES];
	unsigned long long start;
	struct netns_state st;
	struct pidfile pf;
	char *text;
	size_t n;

	if (size < 1)
		return 0;
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';

	switch (data[0] % 5) {
	case 0:
		if (!state_parse(text, &st) && name_check(st.name, NULL))
			abort(); /* a parsed state must carry a valid name */
		break;
	case 1:
		pidfile_parse(text, &pf);
		break;
	case 2:
		proc_stat_start_time(text, &start);
		break;
	case 3:
		if (!idmap_parse(text, ranges, IDMAP_MAX_RANGES, &n) && n > IDMAP_MAX_RANGES)
			abort();
		break;
	default:
		name_check(text, NULL);
		break;
	}
	free(text);
	return 0;
}
