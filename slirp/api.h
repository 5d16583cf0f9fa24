/* The API socket: slirp4netns' JSON protocol, served from the event loop. */
#ifndef ROOTLET_SLIRP_API_H
#define ROOTLET_SLIRP_API_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define API_REQUEST_MAX	   (64 * 1024) /* a request is a few hundred bytes */
#define API_CLIENT_TIMEOUT 5000	       /* ms a client has to send its whole request */
#define API_CLIENTS_MAX	   64
#define API_WHY_MAX	   256

struct loop;
struct hostfwd_table;

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

int api_parse(const char *buf, size_t len, struct api_request *ret, char *why, size_t why_len);
int api_request_complete(const char *buf, size_t len);

struct api *api_new(struct loop *l, struct hostfwd_table *fwd, const char *path, int *ret_err);
void api_accept(struct api *api);
void api_client_event(struct api *api, int fd, uint32_t events);
int64_t api_next_deadline(const struct api *api);
void api_expire(struct api *api, int64_t now);
void api_free(struct api *api);

#endif
