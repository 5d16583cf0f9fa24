/* rootlet-portfwd's API requests: JSON in, a checked request out, or the reason it is refused. */
#ifndef ROOTLET_PORTFWD_API_REQ_H
#define ROOTLET_PORTFWD_API_REQ_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "fwdspec.h"

enum pf_api_command {
	PF_API_ADD,
	PF_API_LIST,
	PF_API_REMOVE
};

struct pf_api_request {
	enum pf_api_command cmd;
	char target[SPEC_TEXT_MAX + 1]; /* add: the SPEC; remove: the SPEC or the id as text */
	bool reverse;			/* add: a reverse forward */
};

int pf_api_parse(const char *buf, size_t len, struct pf_api_request *ret, struct err *e);

#endif
