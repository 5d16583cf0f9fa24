/* libFuzzer target for rootlet-dns: any datagram a container sends, with libresolv parsing it. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"

#define DNS_HEADER_LEN 12 /* ID, flags and four counts */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dns_table t;
	uint8_t out[DNS_MSG_MAX];
	size_t out_len = sizeof(out);
	enum dns_verdict v;

	if (!t.n && table_parse("10.89.0.2 c1 web\n10.89.0.3 c2\nnonsense line\n", &t))
		abort();
	v = dns_answer(&t, data, size, size % 2, out, &out_len);
	/* An answer is a DNS message with the query's ID, and it fits. */
	if (v == DNS_ANSWERED &&
	    (out_len < DNS_HEADER_LEN || out_len > sizeof(out) || size < 2 || memcmp(out, data, 2)))
		abort();
	if (v == DNS_FORWARD && size % 2 == 0)
		abort(); /* no upstream: nothing may be forwarded */
	return 0;
}
