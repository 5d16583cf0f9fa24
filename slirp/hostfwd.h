/* Host port forwards through libslirp: the table behind add/list/remove_hostfwd. */
#ifndef ROOTLET_SLIRP_HOSTFWD_H
#define ROOTLET_SLIRP_HOSTFWD_H

#include <jansson.h>
#include <libslirp.h>
#include <stdbool.h>

#include "err.h"
#include "api.h"
#include "slirp.h"

struct hostfwd {
	int id;
	bool udp;
	struct sockaddr_storage host; /* with the port actually bound */
	struct sockaddr_storage guest;
	struct hostfwd *next;
};

struct hostfwd_table {
	Slirp *slirp;
	const struct slirp_cfg *cfg;
	struct hostfwd *head;
	int next_id;
};

int hostfwd_add(struct hostfwd_table *t, struct api_request *r, int *ret_id, int *ret_port,
		struct err *e);
int hostfwd_remove(struct hostfwd_table *t, int id, struct err *e);
json_t *hostfwd_list(const struct hostfwd_table *t);
void hostfwd_free(struct hostfwd_table *t);

#endif
