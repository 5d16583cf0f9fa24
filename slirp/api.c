/* The API socket: slirp4netns' JSON protocol, served from the event loop. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "api.h"
#include "hostfwd.h"
#include "loop.h"

/*
 * A client sends one request and reads one reply. Its request is complete when it shuts down
 * its write side or when what it sent parses as a whole JSON value; it must arrive within
 * API_CLIENT_TIMEOUT and API_REQUEST_MAX. Clients never block the loop: reads and writes are
 * non-blocking and resume on the next readiness event.
 */

#define API_SOCKET_MODE 0600
#define API_BACKLOG	16

struct api_client {
	int fd;
	int64_t deadline;
	char *in;
	size_t in_len;
	char *out; /* reply, once the request is handled */
	size_t out_len, out_done;
};

struct api {
	struct loop *loop;
	struct hostfwd_table *fwd;
	int listen_fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct api_client clients[API_CLIENTS_MAX];
};

static char *reply_error(const char *why)
{
	char desc[API_WHY_MAX + 16];
	json_t *r;
	char *text;

	snprintf(desc, sizeof(desc), "bad request: %s", why);
	r = json_pack("{s:{s:s}}", "error", "desc", desc);
	text = json_dumps(r, JSON_COMPACT);
	json_decref(r);
	return text;
}

/* Runs one request against the forward table; returns the reply text (malloc()ed). */
static char *api_handle(struct api *api, const char *buf, size_t len)
{
	char why[API_WHY_MAX] = "";
	struct api_request r;
	json_t *reply = NULL;
	char *text;
	int id, port;

	if (api_parse(buf, len, &r, why, sizeof(why)))
		return reply_error(why);
	switch (r.cmd) {
	case API_ADD_HOSTFWD:
		if (hostfwd_add(api->fwd, &r, &id, &port, why, sizeof(why)))
			return reply_error(why);
		reply = json_pack("{s:{s:i, s:i}}", "return", "id", id, "host_port", port);
		break;
	case API_LIST_HOSTFWD:
		reply = json_pack("{s:{s:o}}", "return", "entries", hostfwd_list(api->fwd));
		break;
	case API_REMOVE_HOSTFWD:
		if (hostfwd_remove(api->fwd, (int)r.id, why, sizeof(why)))
			return reply_error(why);
		reply = json_pack("{s:{}}", "return");
		break;
	}
	text = json_dumps(reply, JSON_COMPACT);
	json_decref(reply);
	return text;
}

static struct api_client *client_of(struct api *api, int fd)
{
	for (int i = 0; i < API_CLIENTS_MAX; i++)
		if (api->clients[i].fd == fd)
			return &api->clients[i];
	return NULL;
}

static void client_close(struct api *api, struct api_client *c)
{
	loop_unwatch(api->loop, c->fd);
	close(c->fd);
	free(c->in);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* Sends what is left of the reply; closes the client once it is all out (or cannot be). */
static void client_flush(struct api *api, struct api_client *c)
{
	while (c->out_done < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_done, c->out_len - c->out_done,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EAGAIN) {
			loop_watch(api->loop, LOOP_API_CLIENT, c->fd, EPOLLOUT);
			return;
		}
		if (n <= 0)
			break;
		c->out_done += (size_t)n;
	}
	client_close(api, c);
}

static void client_reply(struct api *api, struct api_client *c, char *text)
{
	if (!text) {
		client_close(api, c);
		return;
	}
	c->out = text;
	c->out_len = strlen(text);
	c->out_done = 0;
	client_flush(api, c);
}

static void client_read(struct api *api, struct api_client *c)
{
	bool eof = false;

	if (!c->in && !(c->in = malloc(API_REQUEST_MAX))) {
		client_close(api, c);
		return;
	}
	for (;;) {
		ssize_t n;

		if (c->in_len >= API_REQUEST_MAX) {
			client_reply(api, c, reply_error("request larger than 64 KiB"));
			return;
		}
		n = recv(c->fd, c->in + c->in_len, API_REQUEST_MAX - c->in_len, MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0) {
			client_close(api, c);
			return;
		}
		if (n == 0) {
			eof = true;
			break;
		}
		c->in_len += (size_t)n;
	}
	if (!eof && (!c->in_len || !api_request_complete(c->in, c->in_len)))
		return;
	if (!c->in_len) {
		client_reply(api, c, reply_error("empty request"));
		return;
	}
	client_reply(api, c, api_handle(api, c->in, c->in_len));
}

/**
 * api_client_event() - Readiness of a client: read its request, or send its reply
 * @api:	the API
 * @fd:		the client's socket
 * @events:	epoll events
 */
void api_client_event(struct api *api, int fd, uint32_t events)
{
	struct api_client *c = client_of(api, fd);

	(void)events;
	if (!c)
		return;
	if (c->out)
		client_flush(api, c);
	else
		client_read(api, c);
}

/**
 * api_accept() - Take new clients; past API_CLIENTS_MAX at once, refuse them with a reply
 * @api:	the API
 */
void api_accept(struct api *api)
{
	int fd;

	while ((fd = accept4(api->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		struct api_client *c = client_of(api, -1);
		static const char busy[] = "{\"error\":{\"desc\":\"busy: too many API clients\"}}";

		if (!c || loop_watch(api->loop, LOOP_API_CLIENT, fd, EPOLLIN | EPOLLRDHUP)) {
			if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
				(void)0; /* it is being turned away anyway */
			close(fd);
			continue;
		}
		c->fd = fd;
		c->deadline = loop_now_ms() + API_CLIENT_TIMEOUT;
	}
}

/**
 * api_next_deadline() - The earliest time a client's request runs out
 * @api:	the API, or NULL
 *
 * Return: ms on the loop's clock, or -1 if no client is waiting
 */
int64_t api_next_deadline(const struct api *api)
{
	int64_t d = -1;

	if (!api)
		return -1;
	for (int i = 0; i < API_CLIENTS_MAX; i++)
		if (api->clients[i].fd >= 0 && (d < 0 || api->clients[i].deadline < d))
			d = api->clients[i].deadline;
	return d;
}

/**
 * api_expire() - Answer clients that ran out of time with an error and drop them
 * @api:	the API, or NULL
 * @now:	the loop's clock
 */
void api_expire(struct api *api, int64_t now)
{
	if (!api)
		return;
	for (int i = 0; i < API_CLIENTS_MAX; i++) {
		struct api_client *c = &api->clients[i];

		if (c->fd < 0 || c->deadline > now)
			continue;
		if (c->out)
			client_close(api, c);
		else
			client_reply(api, c, reply_error("timed out waiting for the request"));
	}
}

/**
 * api_new() - Listen on the API socket, mode 0600
 * @l:		the loop
 * @fwd:	the forward table requests act on
 * @path:	socket path; an existing socket file there is replaced
 * @ret_err:	negative errno on failure
 *
 * Return: the API, or NULL
 */
struct api *api_new(struct loop *l, struct hostfwd_table *fwd, const char *path, int *ret_err)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct api *api;
	mode_t old_umask;
	struct stat st;
	int err;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		*ret_err = -ENAMETOOLONG;
		return NULL;
	}
	api = calloc(1, sizeof(*api));
	if (!api) {
		*ret_err = -ENOMEM;
		return NULL;
	}
	api->loop = l;
	api->fwd = fwd;
	for (int i = 0; i < API_CLIENTS_MAX; i++)
		api->clients[i].fd = -1;
	snprintf(api->path, sizeof(api->path), "%s", path);
	memcpy(sun.sun_path, path, strlen(path) + 1);

	/* A stale socket of an earlier run is replaced; any other file is not ours to remove. */
	if (!lstat(path, &st) && S_ISSOCK(st.st_mode))
		unlink(path);
	api->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (api->listen_fd < 0) {
		err = -errno;
		goto fail;
	}
	/* The socket file takes its mode at bind(): never a moment open to others. */
	old_umask = umask(0777 & ~API_SOCKET_MODE);
	err = bind(api->listen_fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ? -errno : 0;
	umask(old_umask);
	if (err)
		goto fail;
	if (listen(api->listen_fd, API_BACKLOG) < 0 ||
	    loop_watch(l, LOOP_API_LISTEN, api->listen_fd, EPOLLIN)) {
		err = -errno;
		goto fail;
	}
	return api;
fail:
	if (api->listen_fd >= 0)
		close(api->listen_fd);
	free(api);
	*ret_err = err;
	return NULL;
}

/**
 * api_free() - Close every client and the listener, and remove the socket file
 * @api:	the API, or NULL
 */
void api_free(struct api *api)
{
	if (!api)
		return;
	for (int i = 0; i < API_CLIENTS_MAX; i++)
		if (api->clients[i].fd >= 0)
			client_close(api, &api->clients[i]);
	close(api->listen_fd);
	unlink(api->path); /* fails harmlessly inside the sandbox */
	free(api);
}
