/* Host port forwards through libslirp: the table behind add/list/remove_hostfwd. */
#ifndef ROOTLET_SLIRP_HOSTFWD_H
#define ROOTLET_SLIRP_HOSTFWD_H

#include <jansson.h>
#include <libslirp.h>
#include <stdbool.h>

#include "err.h"
#include "api.h"
#include "slirp.h"
#include "udploop.h"

struct loop;

struct hostfwd {
	int id;
	bool udp;
	struct udploop *own;	      /* served by us, not libslirp (udploop.c) */
	struct sockaddr_storage host; /* with the port actually bound */
	struct sockaddr_storage guest;
	struct hostfwd *next;
};

struct hostfwd_table {
	Slirp *slirp;
	const struct slirp_cfg *cfg;
	struct loop *loop;
	struct hostfwd *head;
	int next_id;
	int nown; /* forwards served by udploop.c */
};

int hostfwd_add(struct hostfwd_table *t, struct api_request *r, int *ret_id, int *ret_port,
		struct err *e);
int hostfwd_remove(struct hostfwd_table *t, int id, struct err *e);
json_t *hostfwd_list(const struct hostfwd_table *t);
void hostfwd_free(struct hostfwd_table *t);
bool hostfwd_from_guest(struct hostfwd_table *t, const uint8_t *f, size_t n);

#endif
