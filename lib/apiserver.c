/* A JSON API socket server on a daemon's evloop: one request and one reply per client. */
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

#include "apiserver.h"
#include "evloop.h"
#include "monoclock.h"

/*
 * A client sends one request and reads one reply. Its request is complete when it shuts down
 * its write side or when what it sent parses as a whole JSON value; it must arrive within
 * APISERVER_TIMEOUT_MS and APISERVER_REQUEST_MAX. Clients never block the loop: reads and
 * writes are non-blocking and resume on the next readiness event.
 */

#define API_SOCKET_MODE 0600
#define API_BACKLOG	16
#define API_WHY_MAX	256

struct api_client {
	int fd;
	int64_t deadline;
	char *in;
	size_t in_len;
	struct apiserver_scan scan;
	char *out; /* reply, once the request is handled */
	size_t out_len, out_done;
};

struct apiserver {
	struct evloop *loop;
	apiserver_handler handle;
	void *ctx;
	struct evloop_timer deadline; /* the earliest client's */
	int listen_fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct api_client clients[APISERVER_CLIENTS_MAX];
};

/**
 * apiserver_error() - The reply for a refused request: {"error":{"desc":"bad request: WHY"}}
 * @why:	the reason
 *
 * Return: a malloc()ed text, or NULL
 */
char *apiserver_error(const char *why)
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

/**
 * apiserver_scan() - Look at the bytes of a request not seen yet for the end of its value
 * @s:		the scan so far (zeroed for a new request)
 * @buf:	what the client sent so far
 * @len:	its length
 *
 * A structural scan (strings, escapes, nesting), not a parse: each byte is looked at once, so
 * a request that trickles in costs time linear in its length, and jansson parses it once,
 * whole. A top-level value other than an object, array or string ends at once: it can only be
 * refused, and the parser says why.
 *
 * Return: 1 once a whole top-level value (or something that cannot become one) is there,
 *	   0 if more may come
 */
int apiserver_scan(struct apiserver_scan *s, const char *buf, size_t len)
{
	for (; s->pos < len; s->pos++) {
		char ch = buf[s->pos];

		if (s->in_string) {
			if (s->escape)
				s->escape = false;
			else if (ch == '\\')
				s->escape = true;
			else if (ch == '"') {
				s->in_string = false;
				if (!s->depth)
					return 1;
			}
			continue;
		}
		switch (ch) {
		case '"':
			s->in_string = true;
			break;
		case '{':
		case '[':
			s->depth++;
			break;
		case '}':
		case ']':
			if (!s->depth || !--s->depth)
				return 1;
			break;
		case ' ':
		case '\t':
		case '\n':
		case '\r':
			break;
		default:
			if (!s->depth)
				return 1;
		}
	}
	return 0;
}

/**
 * apiserver_request_complete() - Tell whether a buffer holds a whole JSON value yet
 * @buf:	what the client sent so far
 * @len:	its length
 *
 * Return: 1 if complete (valid or not: either way it gets its reply), 0 if more may come
 */
int apiserver_request_complete(const char *buf, size_t len)
{
	struct apiserver_scan s = { 0 };

	return apiserver_scan(&s, buf, len);
}

static struct api_client *client_of(struct apiserver *api, int fd)
{
	for (int i = 0; i < APISERVER_CLIENTS_MAX; i++)
		if (api->clients[i].fd == fd)
			return &api->clients[i];
	return NULL;
}

static void client_event(struct evloop *l, void *obj, int fd, uint32_t events);

/* Arms the deadline timer for the client that runs out first, if any is waiting. */
static void deadline_update(struct apiserver *api)
{
	int64_t d = -1;

	for (int i = 0; i < APISERVER_CLIENTS_MAX; i++)
		if (api->clients[i].fd >= 0 && (d < 0 || api->clients[i].deadline < d))
			d = api->clients[i].deadline;
	if (d < 0)
		evloop_timer_disarm(&api->deadline);
	else
		evloop_timer_arm(api->loop, &api->deadline, d);
}

static void client_close(struct apiserver *api, struct api_client *c)
{
	evloop_unwatch(api->loop, c->fd);
	close(c->fd);
	free(c->in);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	deadline_update(api);
}

/* Sends what is left of the reply; closes the client once it is all out (or cannot be). */
static void client_flush(struct apiserver *api, struct api_client *c)
{
	while (c->out_done < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_done, c->out_len - c->out_done,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EAGAIN) {
			evloop_watch(api->loop, c->fd, EPOLLOUT, client_event, api);
			return;
		}
		if (n <= 0)
			break;
		c->out_done += (size_t)n;
	}
	client_close(api, c);
}

static void client_reply(struct apiserver *api, struct api_client *c, char *text)
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

static void client_read(struct apiserver *api, struct api_client *c)
{
	bool eof = false;

	if (!c->in && !(c->in = malloc(APISERVER_REQUEST_MAX))) {
		client_close(api, c);
		return;
	}
	for (;;) {
		ssize_t n;

		if (c->in_len >= APISERVER_REQUEST_MAX) {
			client_reply(api, c, apiserver_error("request larger than 64 KiB"));
			return;
		}
		n = recv(c->fd, c->in + c->in_len, APISERVER_REQUEST_MAX - c->in_len, MSG_DONTWAIT);
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
	if (!eof && (!c->in_len || !apiserver_scan(&c->scan, c->in, c->in_len)))
		return;
	if (!c->in_len) {
		client_reply(api, c, apiserver_error("empty request"));
		return;
	}
	client_reply(api, c, api->handle(api->ctx, c->in, c->in_len));
}

/* Readiness of a client: read its request, or send its reply. */
static void client_event(struct evloop *l, void *obj, int fd, uint32_t events)
{
	struct apiserver *api = obj;
	struct api_client *c = client_of(api, fd);

	(void)l;
	(void)events;
	if (!c)
		return;
	if (c->out)
		client_flush(api, c);
	else
		client_read(api, c);
}

/* Takes new clients; past APISERVER_CLIENTS_MAX at once, refuses them. */
static void listener_event(struct evloop *l, void *obj, int listen_fd, uint32_t events)
{
	struct apiserver *api = obj;
	int fd;

	(void)events;
	while ((fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		struct api_client *c = client_of(api, -1);
		static const char busy[] = "{\"error\":{\"desc\":\"busy: too many API clients\"}}";

		if (!c || evloop_watch(l, fd, EPOLLIN | EPOLLRDHUP, client_event, api)) {
			if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
				(void)0; /* it is being turned away anyway */
			close(fd);
			continue;
		}
		c->fd = fd;
		c->deadline = mono_ms() + APISERVER_TIMEOUT_MS;
	}
	deadline_update(api);
}

/* Answers clients that ran out of time with an error, and drops them. */
static void expire(struct evloop *l, struct evloop_timer *t)
{
	struct apiserver *api = container_of(t, struct apiserver, deadline);
	int64_t now = mono_ms();

	(void)l;
	for (int i = 0; i < APISERVER_CLIENTS_MAX; i++) {
		struct api_client *c = &api->clients[i];

		if (c->fd < 0 || c->deadline > now)
			continue;
		if (c->out)
			client_close(api, c);
		else
			client_reply(api, c, apiserver_error("timed out waiting for the request"));
	}
	deadline_update(api);
}

/**
 * apiserver_new() - Listen on an API socket, mode 0600
 * @path:	socket path; an existing socket file there is replaced
 * @loop:	the daemon's loop
 * @handle:	the request handler
 * @ctx:	passed to @handle
 * @ret_err:	negative errno on failure
 *
 * Return: the server, or NULL
 */
struct apiserver *apiserver_new(const char *path, struct evloop *loop, apiserver_handler handle,
				void *ctx, int *ret_err)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct apiserver *api;
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
	api->loop = loop;
	api->handle = handle;
	api->ctx = ctx;
	api->deadline.fn = expire;
	api->deadline.expire_ms = -1;
	for (int i = 0; i < APISERVER_CLIENTS_MAX; i++)
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
	if (listen(api->listen_fd, API_BACKLOG) < 0) {
		err = -errno;
		goto fail;
	}
	if ((err = evloop_watch(loop, api->listen_fd, EPOLLIN, listener_event, api)))
		goto fail;
	return api;
fail:
	if (api->listen_fd >= 0)
		close(api->listen_fd);
	free(api);
	*ret_err = err;
	return NULL;
}

/**
 * apiserver_pause() - Stop serving, the socket kept: in a forked copy of the daemon, whose loop
 * is a new one (its clients, the original's, are closed here)
 * @api:	the server
 */
void apiserver_pause(struct apiserver *api)
{
	for (int i = 0; i < APISERVER_CLIENTS_MAX; i++)
		if (api->clients[i].fd >= 0)
			client_close(api, &api->clients[i]);
	evloop_timer_remove(api->loop, &api->deadline);
	evloop_unwatch(api->loop, api->listen_fd);
}

/**
 * apiserver_resume() - Serve again on the loop, after apiserver_pause()
 * @api:	the server
 *
 * Return: 0 on success, negative errno
 */
int apiserver_resume(struct apiserver *api)
{
	return evloop_watch(api->loop, api->listen_fd, EPOLLIN, listener_event, api);
}

/**
 * apiserver_free() - Close every client and the listener, and remove the socket file
 * @api:	the server, or NULL
 */
void apiserver_free(struct apiserver *api)
{
	if (!api)
		return;
	for (int i = 0; i < APISERVER_CLIENTS_MAX; i++)
		if (api->clients[i].fd >= 0)
			client_close(api, &api->clients[i]);
	evloop_timer_remove(api->loop, &api->deadline);
	evloop_unwatch(api->loop, api->listen_fd);
	close(api->listen_fd);
	unlink(api->path); /* fails harmlessly inside the sandbox */
	free(api);
}
