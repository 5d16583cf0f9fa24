/* podman's reload socket: a new ChildIP for every forward after network connect/disconnect. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "portfwd.h"

/*
 * On a bridge network podman (4.x, RootlessCNI) reaches rootlessport at
 * <TmpDir>/rp/<ContainerID>, a SOCK_SEQPACKET socket, whenever the container's address in the
 * rootless netns may have changed: it sends one message, a JSON string holding the new ChildIP
 * ("10.89.0.5\n"), and reads the answer, "OK" or the reason, until the socket closes. Every
 * forward then connects to the new address; connections already relayed go on.
 */

#define RELOAD_DIR_MODE 0700
#define RELOAD_MSG_MAX	512
#define RELOAD_OK	"OK"

static void reload_accept(struct evloop *ev, void *obj, int listen_fd, uint32_t events);
static void reload_client_event(struct evloop *ev, void *obj, int fd, uint32_t events);

/**
 * reload_open() - Serve the reload socket @dir/@name
 * @st:		the daemon
 * @dir:	<TmpDir>/rp, made 0700 if missing
 * @name:	the container id
 * @why:	the reason on failure
 * @len:	size of @why
 *
 * Return: 0 on success, negative errno
 */
int reload_open(struct pf_state *st, const char *dir, const char *name, struct err *e)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd, dfd, err;

	if (mkdir(dir, RELOAD_DIR_MODE) < 0 && errno != EEXIST) {
		err = -errno;
		return err_errno(e, err, "reload socket: %s", dir);
	}
	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		err = -errno;
		return err_errno(e, err, "reload socket: %s", dir);
	}
	/* podman's TmpDir may be long: bound through the directory's fd, as podman's own does. */
	snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/%s", dfd, name);
	unlinkat(dfd, name, 0);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 4) < 0)
		err = -errno;
	else
		err = evloop_watch(&st->ev, fd, EPOLLIN, reload_accept, st);
	if (err) {
		err_errno(e, err, "reload socket: %s/%s", dir, name);
		if (fd >= 0)
			close(fd);
		close(dfd);
		return err;
	}
	st->reload_fd = fd;
	st->reload_dir_fd = dfd;
	st->reload_name = name;
	return 0;
}

/* Takes the connections waiting on the reload socket. */
static void reload_accept(struct evloop *ev, void *obj, int listen_fd, uint32_t events)
{
	int fd;

	(void)events;
	while ((fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0)
		if (evloop_watch(ev, fd, EPOLLIN, reload_client_event, obj) < 0)
			close(fd);
}

/* The new ChildIP becomes where every forward connects. */
static int reload_target(struct pf_state *st, const char *msg, size_t len, struct err *e)
{
	json_t *v = json_loadb(msg, len, JSON_DECODE_ANY, NULL);
	const char *ip = json_string_value(v);
	struct in6_addr a6;
	struct in_addr a4;
	int err = 0;

	if (ip && inet_pton(AF_INET, ip, &a4) == 1) {
		st->ns.target4 = a4;
		st->ns.has4 = true;
	} else if (ip && inet_pton(AF_INET6, ip, &a6) == 1) {
		st->ns.target6 = a6;
		st->ns.has6 = true;
	} else {
		err_make(e, -EINVAL, "rootless port failed to decode ports: not an IP address");
		err = -EINVAL;
	}
	json_decref(v);
	return err;
}

/* Reads a client's one message, answers it and hangs up. */
static void reload_client_event(struct evloop *ev, void *obj, int fd, uint32_t events)
{
	struct pf_state *st = obj;
	char msg[RELOAD_MSG_MAX];
	struct err why = { 0 };
	ssize_t n = recv(fd, msg, sizeof(msg), 0);

	(void)events;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0) {
		const char *reply = RELOAD_OK;

		if (reload_target(st, msg, (size_t)n, &why))
			reply = err_text(&why);
		if (send(fd, reply, strlen(reply), MSG_NOSIGNAL) < 0)
			log_debug(st->debug, "reload socket: answer lost: %s", strerror(errno));
	}
	evloop_unwatch(ev, fd);
	close(fd);
}

/**
 * reload_close() - Stop serving the reload socket and remove it
 * @st:		the daemon
 */
void reload_close(struct pf_state *st)
{
	if (st->reload_fd >= 0) {
		evloop_unwatch(&st->ev, st->reload_fd);
		close(st->reload_fd);
		unlinkat(st->reload_dir_fd, st->reload_name, 0);
	}
	if (st->reload_dir_fd >= 0)
		close(st->reload_dir_fd);
	st->reload_fd = st->reload_dir_fd = -1;
}
