/* bypass.sock: where OCI runtimes (listenerPath) and rootlet-netns exec hand us listener fds. */
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

#include "bypass.h"
#include "bypass_filter.h"
#include "fdpass.h"
#include "log.h"
#include "monoclock.h"
#include "state.h"

/*
 * The runtime-spec's protocol: the runtime connects, sends its ContainerProcessState as JSON
 * in one message with the listener fds in SCM_RIGHTS ("fds" names each, ours is
 * "seccompFd"), and may keep its end open. A message is taken whole from one recvmsg():
 * runc and crun send it in one sendmsg() of a few KiB, and the fds travel with its first
 * byte. Only the user the daemon runs as may connect (the socket is 0600 in a 0700 entry,
 * and the peer's credentials are checked too).
 *
 * Clients never hold the loop or its fds: at most BP_CLIENTS_MAX at once, each given
 * BP_CLIENT_TIMEOUT_MS to send (a client's message is read as soon as it is accepted, so one
 * that sent at once never waits for a slot); a new client past the cap takes the slot of the
 * one that waited longest. Out of fds (accept() fails with EMFILE or ENFILE, and epoll would
 * report the listener ready for ever), the listener is unwatched until a client goes or
 * BP_ACCEPT_RETRY_MS has passed; a connecting client waits in the backlog meanwhile.
 */

#define LISTENER_BACKLOG  16
#define STATE_MSG_MAX	  (64 * 1024)
#define LISTENER_FDS_MAX  FDPASS_MAX
#define LISTENER_META_MAX 64

/* The fd at the index "fds" gives "seccompFd"; the others are closed. */
static int take_fd(const char *text, size_t len, int nfds, int *ret_pid, char *meta,
		   size_t meta_len)
{
	json_t *state = json_loadb(text, len, 0, NULL), *names, *v;
	int found = -1;
	size_t i;

	if (!json_is_object(state)) {
		json_decref(state);
		return -EBADMSG;
	}
	names = json_object_get(state, "fds");
	json_array_foreach(names, i, v) if (json_is_string(v) &&
					    !strcmp(json_string_value(v), BYPASS_FD_NAME) &&
					    i < (size_t)nfds) found = (int)i;
	*ret_pid = (int)json_integer_value(json_object_get(state, "pid"));
	v = json_object_get(state, "metadata");
	if (!json_is_string(v) || !json_string_length(v))
		v = json_object_get(json_object_get(state, "state"), "id");
	snprintf(meta, meta_len, "%s", json_is_string(v) ? json_string_value(v) : "?");
	json_decref(state);
	return found;
}

static void timer_update(struct bp_state *st)
{
	int64_t d = st->accept_at ? st->accept_at : -1;

	for (int i = 0; i < BP_CLIENTS_MAX; i++)
		if (st->clients[i].fd >= 0 && (d < 0 || st->clients[i].deadline < d))
			d = st->clients[i].deadline;
	if (d < 0)
		evloop_timer_disarm(&st->client_timer);
	else
		evloop_timer_arm(&st->ev, &st->client_timer, d);
}

/* Accepting again after running out of fds. */
static void accept_resume(struct bp_state *st)
{
	if (!st->accept_at)
		return;
	st->accept_at = 0;
	if (listener_watch(st))
		st->accept_at = mono_ms() + BP_ACCEPT_RETRY_MS;
}

static void client_drop(struct bp_state *st, struct bp_client *c)
{
	evloop_unwatch(&st->ev, c->fd);
	close(c->fd);
	c->fd = -1;
	accept_resume(st);
	timer_update(st);
}

static struct bp_client *client_of(struct bp_state *st, int fd)
{
	for (int i = 0; i < BP_CLIENTS_MAX; i++)
		if (st->clients[i].fd == fd)
			return &st->clients[i];
	return NULL;
}

static void client_ready(struct evloop *l, void *obj, int fd, uint32_t events)
{
	struct bp_state *st = obj;
	char *text = malloc(STATE_MSG_MAX), meta[LISTENER_META_MAX];
	int fds[LISTENER_FDS_MAX], nfds = 0, pid = 0, at, err;
	struct bp_policy *pol = NULL;
	struct bp_client *cl;
	ssize_t n;

	(void)events;
	n = text ? fdpass_recv(fd, text, STATE_MSG_MAX, fds, LISTENER_FDS_MAX, &nfds, MSG_DONTWAIT)
		 : -1;
	if (n < 0 && errno == EAGAIN) {
		free(text);
		return;
	}
	at = n > 0 ? take_fd(text, (size_t)n, nfds, &pid, meta, sizeof(meta)) : -EBADMSG;
	for (int i = 0; i < nfds; i++)
		if (i != at)
			close(fds[i]);
	if (at >= 0 && st->host && (err = host_policy(st, text, (size_t)n, pid, &pol))) {
		log_warn("pid %d (%s): not served: %s", pid, meta, strerror(-err));
		close(fds[at]); /* its calls fail with ENOSYS: never a host socket unasked */
	} else if (at >= 0 && (err = notifier_add(st, fds[at], pid, meta, pol)))
		log_warn("pid %d (%s): %s", pid, meta,
			 err == -EBADF ? "not a seccomp listener fd" : strerror(-err));
	else if (at < 0 && n > 0)
		log_warn("a client sent no %s", BYPASS_FD_NAME);
	free(text);
	if ((cl = client_of(st, fd))) {
		client_drop(st, cl);
		return;
	}
	evloop_unwatch(l, fd);
	close(fd);
}

/* Clients run out of time: dropped, as if they had sent nothing. */
static void client_expire(struct evloop *l, struct evloop_timer *t)
{
	struct bp_state *st = container_of(t, struct bp_state, client_timer);
	int64_t now = mono_ms();

	(void)l;
	for (int i = 0; i < BP_CLIENTS_MAX; i++)
		if (st->clients[i].fd >= 0 && st->clients[i].deadline <= now) {
			log_warn("a client of %s sent nothing in time", STATE_BYPASS_SOCKET);
			client_drop(st, &st->clients[i]);
		}
	if (st->accept_at && st->accept_at <= now)
		accept_resume(st);
	timer_update(st);
}

/* A slot for a new client: a free one, or the one that has waited longest. */
static struct bp_client *client_slot(struct bp_state *st)
{
	struct bp_client *oldest = &st->clients[0];

	for (int i = 0; i < BP_CLIENTS_MAX; i++) {
		if (st->clients[i].fd < 0)
			return &st->clients[i];
		if (st->clients[i].deadline < oldest->deadline)
			oldest = &st->clients[i];
	}
	log_warn("%d clients of %s at once: dropping the oldest", BP_CLIENTS_MAX,
		 STATE_BYPASS_SOCKET);
	client_drop(st, oldest);
	return oldest;
}

static void listener_accept(struct evloop *l, void *obj, int fd, uint32_t events)
{
	struct bp_state *st = obj;
	struct bp_client *slot;
	struct ucred cred;
	socklen_t len;
	int c;

	(void)events;
	while ((c = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0 || errno == EINTR ||
	       errno == ECONNABORTED) {
		if (c < 0)
			continue;
		len = sizeof(cred);
		if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
		    cred.uid != geteuid() || evloop_watch(l, c, EPOLLIN, client_ready, obj)) {
			close(c);
			continue;
		}
		slot = client_slot(st);
		slot->fd = c;
		slot->deadline = mono_ms() + BP_CLIENT_TIMEOUT_MS;
		/* Its message is usually there already: served now, it never holds a slot. */
		client_ready(l, obj, c, EPOLLIN);
	}
	if (errno == EMFILE || errno == ENFILE) {
		log_warn("%s: %s: not accepting for a while", STATE_BYPASS_SOCKET, strerror(errno));
		evloop_unwatch(l, fd);
		st->accept_at = mono_ms() + BP_ACCEPT_RETRY_MS;
	}
	timer_update(st);
}

/**
 * listener_open() - Bind bypass.sock in the entry and serve it
 * @st:		the daemon
 * @dir_fd:	the entry's directory
 * @name:	the socket's name in it
 * @e:		what went wrong
 *
 * Return: 0 on success, negative errno
 */
int listener_open(struct bp_state *st, int dir_fd, const char *name, struct err *e)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	mode_t mask;
	int err;

	/* Bound through the entry's fd: no symlink on the way, and a short path. */
	snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/%s", dir_fd, name);
	for (int i = 0; i < BP_CLIENTS_MAX; i++)
		st->clients[i].fd = -1;
	st->client_timer.fn = client_expire;
	st->client_timer.expire_ms = -1;
	st->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (st->listen_fd < 0)
		return err_errno(e, -errno, "%s", name);
	unlinkat(dir_fd, name, 0);
	mask = umask(~(mode_t)STATE_FILE_MODE & 0777);
	err = bind(st->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ? -errno : 0;
	umask(mask);
	if (!err && listen(st->listen_fd, LISTENER_BACKLOG) < 0)
		err = -errno;
	if (!err)
		err = listener_watch(st);
	return err ? err_errno(e, err, "%s", name) : 0;
}

/**
 * listener_watch() - Accept clients on bypass.sock (again: a standby taking over)
 * @st:		the daemon
 *
 * Return: 0 on success, negative errno
 */
int listener_watch(struct bp_state *st)
{
	return evloop_watch(&st->ev, st->listen_fd, EPOLLIN, listener_accept, st);
}

/**
 * listener_clients_close() - Close the clients of bypass.sock: in a forked standby, whose
 * copies they are, before its loop is replaced (the original serves them)
 * @st:		the daemon
 */
void listener_clients_close(struct bp_state *st)
{
	for (int i = 0; i < BP_CLIENTS_MAX; i++)
		if (st->clients[i].fd >= 0) {
			evloop_forget(&st->ev, st->clients[i].fd);
			close(st->clients[i].fd);
			st->clients[i].fd = -1;
		}
	/* The loop it was armed on is replaced; the standby accepts anew when it takes over. */
	st->client_timer.expire_ms = -1;
	st->client_timer.linked = false;
	st->accept_at = 0;
}

void listener_close(struct bp_state *st)
{
	if (st->listen_fd >= 0)
		close(st->listen_fd);
	st->listen_fd = -1;
}
