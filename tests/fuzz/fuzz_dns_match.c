/* libFuzzer target for rootlet-dns: any datagram on a forwarded query's socket, matched. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"

#define OUR_ID 0x4242

/* A query for "a.Example." A IN, as a container sends it. */
static const uint8_t asked[] = { 0x42, 0x42, 1,	  0,   0,   1,	 0,   0,   0, 0, 0, 0, 1, 'a',
				 7,    'E',  'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 1, 0, 1 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dns_question qd;

	if (!qd.len && match_question(asked, sizeof(asked), &qd))
		abort();
	/* A match is a response under our ID whose question is ours (letters in any case). */
	if (match_answer(&qd, OUR_ID, data, size) &&
	    (size < sizeof(asked) || data[0] != 0x42 || data[1] != 0x42 || !(data[2] & 0x80) ||
	     strncasecmp((const char *)data + DNS_HDR_LEN, (const char *)asked + DNS_HDR_LEN,
			 qd.len - 4) ||
	     memcmp(data + sizeof(asked) - 4, asked + sizeof(asked) - 4, 4)))
		abort();
	return 0;
}
