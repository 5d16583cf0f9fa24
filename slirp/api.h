/* slirp4netns' JSON API: requests parsed, and answered against the forward table. */
#ifndef ROOTLET_SLIRP_API_H
#define ROOTLET_SLIRP_API_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "err.h"

enum api_command {
	API_ADD_HOSTFWD,
	API_LIST_HOSTFWD,
	API_REMOVE_HOSTFWD
};

struct api_request {
	enum api_command cmd;
	bool udp;
	struct sockaddr_storage host; /* address and port (0: ephemeral) */
	bool guest_given;
	struct sockaddr_storage guest; /* with guest_port, once guest_given or defaulted */
	uint16_t guest_port;
	long id; /* remove_hostfwd */
};

int api_parse(const char *buf, size_t len, struct api_request *ret, struct err *e);
char *api_handle(void *loop, const char *buf, size_t len);

#endif
