/* systemd's readiness protocol (sd_notify), both ends: sending, and the relay's address. */
#ifndef ROOTLET_SDNOTIFY_H
#define ROOTLET_SDNOTIFY_H

#include <sys/socket.h>
#include <sys/un.h>

#define SDNOTIFY_ENV	 "NOTIFY_SOCKET"
#define SDNOTIFY_MSG_MAX 4096 /* systemd reads a datagram into a buffer of this size */

int sdnotify_addr(const char *text, struct sockaddr_un *ret, socklen_t *ret_len);
int sdnotify_open(int *ret_fd);
int sdnotify_send(int fd, const char *text);
int sdnotify_ready(int fd);
void sdnotify_stopping(int *fd);

#endif
