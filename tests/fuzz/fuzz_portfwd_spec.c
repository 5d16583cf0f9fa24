/* libFuzzer target for port forward specs: whatever parses, formats and parses back the same. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fwdspec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[SPEC_TEXT_MAX + 1], again[SPEC_TEXT_MAX * 2];
	struct err why = { 0 };
	struct fwd_spec a, b;

	if (size > SPEC_TEXT_MAX)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (spec_parse(text, &a, &why))
		return 0;
	if (a.count == 0 || a.port == 0 || (uint32_t)a.port + a.count - 1 > 65535)
		abort();
	spec_format(&a, again, sizeof(again));
	if (spec_parse(again, &b, &why) || memcmp(&a, &b, sizeof(a)))
		abort();
	return 0;
}
