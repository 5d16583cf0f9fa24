/* Messages with fds passed along (SCM_RIGHTS) on a Unix socket: one sender, one receiver. */
#ifndef ROOTLET_FDPASS_H
#define ROOTLET_FDPASS_H

#include <sys/types.h>

#define FDPASS_MAX 8 /* fds one message carries at most */

ssize_t fdpass_send(int sock, const void *msg, size_t len, const int *fds, int nfds, int flags);
ssize_t fdpass_recv(int sock, void *msg, size_t len, int *fds, int max, int *ret_n, int flags);
ssize_t fdpass_send_one(int sock, const void *msg, size_t len, int fd, int flags);
ssize_t fdpass_recv_one(int sock, void *msg, size_t len, int *ret_fd, int flags);

#endif
