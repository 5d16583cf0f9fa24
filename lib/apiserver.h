/* A JSON API socket server for an epoll loop: one request and one reply per client. */
#ifndef ROOTLET_APISERVER_H
#define ROOTLET_APISERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define APISERVER_REQUEST_MAX (64 * 1024) /* a request is a few hundred bytes */
#define APISERVER_TIMEOUT_MS  5000	  /* to send a whole request */
#define APISERVER_CLIENTS_MAX 64

/* What the server needs from its loop, and what it serves. */
struct apiserver_ops {
	/* Watch @fd (the listener when @listener, else a client) for @events in the loop. */
	int (*watch)(void *ctx, int fd, uint32_t events, bool listener);
	void (*unwatch)(void *ctx, int fd);
	/* Answer one request; returns a malloc()ed reply text, or NULL to drop the client. */
	char *(*handle)(void *ctx, const char *req, size_t len);
	int64_t (*now_ms)(void);
};

struct apiserver;

struct apiserver *apiserver_new(const char *path, const struct apiserver_ops *ops, void *ctx,
				int *ret_err);
void apiserver_accept(struct apiserver *s);
void apiserver_client_event(struct apiserver *s, int fd);
int64_t apiserver_next_deadline(const struct apiserver *s);
void apiserver_expire(struct apiserver *s, int64_t now);
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
