/* libFuzzer target for the /etc/subuid parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "subid.h"

/* What the parser returns must be mappable: never an overflowing or empty range. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct subid_result res;
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (!subid_parse(text, "alice", 1000, 1000, &res))
		for (size_t i = 0; i < res.n; i++)
			if (res.ranges[i].count == 0 ||
			    (uint64_t)res.ranges[i].start + res.ranges[i].count - 1 > UINT32_MAX ||
			    (res.ranges[i].start <= 1000 &&
			     (uint64_t)res.ranges[i].start + res.ranges[i].count > 1000))
				abort();
	free(text);
	return 0;
}
