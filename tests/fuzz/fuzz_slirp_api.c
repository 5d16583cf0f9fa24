/* libFuzzer target for rootlet-slirp's API request parser and completeness check. */
#include <stdint.h>
#include <stdlib.h>

#include "api.h"
#include "apiserver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err why = { 0 };
	struct api_request r;

	apiserver_request_complete((const char *)data, size);
	if (!api_parse((const char *)data, size, &r, &why) && r.cmd == API_ADD_HOSTFWD &&
	    (r.guest_port == 0 || (r.host.ss_family != AF_INET && r.host.ss_family != AF_INET6)))
		abort(); /* a parsed forward always has a guest port and a host address */
	return 0;
}
