/* libFuzzer target for rootlet-portfwd's API request parser, and the SPEC of what it accepts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api_req.h"
#include "apiserver.h"
#include "fwdspec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err why = { 0 }, spec_why = { 0 };
	struct pf_api_request r;
	struct fwd_spec spec;

	apiserver_request_complete((const char *)data, size);
	if (pf_api_parse((const char *)data, size, &r, &why))
		return 0;
	/* What it accepts is a bounded string, which the SPEC parser then takes or refuses. */
	if (strlen(r.target) > SPEC_TEXT_MAX)
		abort();
	if (r.cmd != PF_API_LIST)
		spec_parse(r.target, &spec, &spec_why);
	return 0;
}
