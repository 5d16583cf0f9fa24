/* Messages with fds passed along (SCM_RIGHTS) on a Unix socket: one sender, one receiver. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdpass.h"

union fdpass_ctl {
	char buf[CMSG_SPACE(FDPASS_MAX * sizeof(int))];
	struct cmsghdr align;
};

/**
 * fdpass_send() - One message on @sock, with @nfds fds passed along
 * @sock:	a Unix socket
 * @msg:	the message
 * @len:	its length
 * @fds:	the fds, still the caller's to close
 * @nfds:	how many: 0 (none) to FDPASS_MAX
 * @flags:	sendmsg()'s; MSG_NOSIGNAL is added (a peer gone is EPIPE, never a signal)
 *
 * Return: the bytes sent, or -1 with errno set (EINVAL for more than FDPASS_MAX fds)
 */
ssize_t fdpass_send(int sock, const void *msg, size_t len, const int *fds, int nfds, int flags)
{
	union fdpass_ctl ctl;
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (nfds < 0 || nfds > FDPASS_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (nfds > 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, (size_t)nfds * sizeof(int));
	}
	return sendmsg(sock, &mh, flags | MSG_NOSIGNAL);
}

/**
 * fdpass_recv() - One message from @sock, and the fds passed along with it
 * @sock:	a Unix socket
 * @msg:	where the message goes
 * @len:	its room
 * @fds:	where the fds go (close-on-exec), ours to close
 * @max:	their room: 0 to FDPASS_MAX
 * @ret_n:	how many came (0 on failure)
 * @flags:	recvmsg()'s; MSG_CMSG_CLOEXEC is added
 *
 * Whatever a peer sends past @max fds (or fds in more than one SCM_RIGHTS) is closed here:
 * none is left open unseen. Other control messages are ignored.
 *
 * Return: the bytes received, or -1 with errno set
 */
ssize_t fdpass_recv(int sock, void *msg, size_t len, int *fds, int max, int *ret_n, int flags)
{
	union fdpass_ctl ctl;
	struct iovec iov = { .iov_base = msg, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf) };
	ssize_t n;

	*ret_n = 0;
	if (max < 0 || max > FDPASS_MAX) {
		errno = EINVAL;
		return -1;
	}
	n = recvmsg(sock, &mh, flags | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return n;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*ret_n < max)
				fds[(*ret_n)++] = fd;
			else
				close(fd);
		}
	}
	return n;
}

/**
 * fdpass_send_one() - fdpass_send() of one fd, or none
 * @sock, @msg, @len, @flags: as fdpass_send()'s
 * @fd:		the fd, or -1: none
 *
 * Return: as fdpass_send()
 */
ssize_t fdpass_send_one(int sock, const void *msg, size_t len, int fd, int flags)
{
	return fdpass_send(sock, msg, len, &fd, fd >= 0, flags);
}

/**
 * fdpass_recv_one() - fdpass_recv() of one fd at most
 * @sock, @msg, @len, @flags: as fdpass_recv()'s
 * @ret_fd:	the fd, or -1 if none came
 *
 * Return: as fdpass_recv()
 */
ssize_t fdpass_recv_one(int sock, void *msg, size_t len, int *ret_fd, int flags)
{
	int n;
	ssize_t r = fdpass_recv(sock, msg, len, ret_fd, 1, &n, flags);

	if (!n)
		*ret_fd = -1;
	return r;
}
