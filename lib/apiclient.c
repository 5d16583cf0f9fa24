/* A client of rootlet's JSON API sockets: one request, one reply. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "apiclient.h"
#include "fileio.h"

/* Replies are small; a longer one is a broken server. */
#define APICLIENT_REPLY_MAX (1024 * 1024)

static int wait_readable(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int n;

	do
		n = poll(&pfd, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n == 0 ? -ETIMEDOUT : 0;
}

/**
 * api_call() - Send @request to the API socket at @path and read the whole reply
 * @path:	socket path
 * @request:	JSON request
 * @ret_reply:	the parsed reply
 * @timeout_ms:	how long to wait for each part of the reply
 *
 * The request is followed by a shutdown of our write side, which marks its end.
 *
 * Return: 0 on success, negative errno on failure (-EBADMSG: the reply is not JSON)
 */
int api_call(const char *path, json_t *request, json_t **ret_reply, int timeout_ms)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len = 0, cap = 4096;
	char *text = NULL, *buf = NULL;
	int fd, err = 0;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		err = -errno;
		goto out;
	}
	text = json_dumps(request, JSON_COMPACT);
	if (!text) {
		err = -ENOMEM;
		goto out;
	}
	/*
	 * A server that turns us away ("busy") answers and hangs up before reading: the send
	 * then fails, but its answer waits to be read, and says more than EPIPE would.
	 */
	if ((send(fd, text, strlen(text), MSG_NOSIGNAL) != (ssize_t)strlen(text) ||
	     shutdown(fd, SHUT_WR) < 0) &&
	    errno != EPIPE && errno != ECONNRESET) {
		err = -errno;
		goto out;
	}
	buf = malloc(cap);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n;

		if ((err = buf_reserve(&buf, &cap, len, APICLIENT_REPLY_MAX)) ||
		    (err = wait_readable(fd, timeout_ms)))
			goto out;
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n < 0 && len && errno == ECONNRESET)
			break; /* what came before the reset is the answer */
		if (n < 0) {
			err = -errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*ret_reply = json_loadb(buf, len, 0, NULL);
	if (!*ret_reply)
		err = -EBADMSG;
out:
	free(text);
	free(buf);
	close(fd);
	return err;
}
