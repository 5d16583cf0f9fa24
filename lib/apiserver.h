/* A JSON API socket server on a daemon's evloop: one request and one reply per client. */
#ifndef ROOTLET_APISERVER_H
#define ROOTLET_APISERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define APISERVER_REQUEST_MAX (64 * 1024) /* a request is a few hundred bytes */
#define APISERVER_TIMEOUT_MS  5000	  /* to send a whole request */
#define APISERVER_CLIENTS_MAX 64

/*
 * What serving clients calls once the daemon runs (accept, recv, send, close), for the
 * daemon's seccomp allow-list beside SECCOMP_ALLOW_EVLOOP; bind and listen are done before.
 */
#define SECCOMP_ALLOW_APISERVER                                                                    \
	SCMP_SYS(accept4), SCMP_SYS(recvfrom), SCMP_SYS(sendto), SCMP_SYS(close)

/* Answers one request: a malloc()ed reply text, or NULL to drop the client. */
typedef char *(*apiserver_handler)(void *ctx, const char *req, size_t len);

struct evloop;
struct apiserver;

struct apiserver *apiserver_new(const char *path, struct evloop *loop, apiserver_handler handle,
				void *ctx, int *ret_err);
void apiserver_pause(struct apiserver *api);
int apiserver_resume(struct apiserver *api);
void apiserver_free(struct apiserver *s);
char *apiserver_error(const char *why);
/* How far a client's request has been scanned for the end of its JSON value. */
struct apiserver_scan {
	size_t pos;	/* bytes looked at: each byte once, however the request trickles in */
	unsigned depth; /* open objects and arrays */
	bool in_string, escape;
};

int apiserver_scan(struct apiserver_scan *s, const char *buf, size_t len);
int apiserver_request_complete(const char *buf, size_t len);

#endif
