/* systemd's readiness protocol (sd_notify): a datagram of "KEY=VALUE" lines to NOTIFY_SOCKET. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sdnotify.h"

/**
 * sdnotify_addr() - The address NOTIFY_SOCKET names: a path, or "@name" for an abstract socket
 * @text:	the variable's value
 * @ret:	the address
 * @ret_len:	its length (an abstract name's is exact: it is not NUL-terminated)
 *
 * Return: 0, or -EINVAL for an empty, relative or too long name
 */
int sdnotify_addr(const char *text, struct sockaddr_un *ret, socklen_t *ret_len)
{
	size_t n = strlen(text);

	memset(ret, 0, sizeof(*ret));
	ret->sun_family = AF_UNIX;
	if ((text[0] != '/' && text[0] != '@') || n < 2 || n >= sizeof(ret->sun_path))
		return -EINVAL;
	memcpy(ret->sun_path, text, n);
	if (text[0] == '@')
		ret->sun_path[0] = '\0';
	*ret_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (text[0] == '/'));
	return 0;
}

/**
 * sdnotify_open() - Connect to the socket NOTIFY_SOCKET names, then forget the variable
 * @ret_fd:	the connected socket, or -1 when the variable is not set
 *
 * Connected now, before any sandbox: an abstract name is looked up in the caller's netns and
 * a path in its mount namespace, and neither may be reachable later. The variable goes so
 * that no child of ours takes our readiness for its own.
 *
 * Return: 0, or a negative errno (the socket is unusable; the daemon may go on without it)
 */
int sdnotify_open(int *ret_fd)
{
	const char *text = getenv(SDNOTIFY_ENV);
	struct sockaddr_un addr;
	socklen_t len;
	int fd, err;

	*ret_fd = -1;
	if (!text)
		return 0;
	err = sdnotify_addr(text, &addr, &len);
	unsetenv(SDNOTIFY_ENV);
	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&addr, len) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	*ret_fd = fd;
	return 0;
}

/**
 * sdnotify_send() - Send one notification
 * @fd:		from sdnotify_open(), or -1 (then nothing is sent)
 * @text:	newline-separated "KEY=VALUE" assignments
 *
 * Return: 0, or a negative errno
 */
int sdnotify_send(int fd, const char *text)
{
	ssize_t n;

	if (fd < 0)
		return 0;
	do
		n = send(fd, text, strlen(text), MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : 0;
}

/**
 * sdnotify_ready() - Say READY=1, naming this process as the service's main one
 * @fd:		from sdnotify_open(), or -1
 *
 * Return: 0, or a negative errno
 */
int sdnotify_ready(int fd)
{
	char text[sizeof("READY=1\nMAINPID=") + sizeof("-2147483648")];

	snprintf(text, sizeof(text), "READY=1\nMAINPID=%d", (int)getpid());
	return sdnotify_send(fd, text);
}

/**
 * sdnotify_stopping() - Say STOPPING=1 and close the socket
 * @fd:		from sdnotify_open(); -1 afterwards
 */
void sdnotify_stopping(int *fd)
{
	if (*fd < 0)
		return;
	sdnotify_send(*fd, "STOPPING=1");
	close(*fd);
	*fd = -1;
}
