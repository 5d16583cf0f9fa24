/* Which host socket a datagram would reach: the kernel's own lookup, over NETLINK_SOCK_DIAG. */
#ifndef ROOTLET_SOCKDIAG_H
#define ROOTLET_SOCKDIAG_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

int sockdiag_open(void);
int sockdiag_udp4_receiver(int fd, const struct sockaddr_in *from, const struct sockaddr_in *to,
			   uint64_t *ret_cookie);
int sockdiag_udp_receiver(int fd, const struct sockaddr_storage *from,
			  const struct sockaddr_storage *to, uint64_t *ret_cookie);

#endif
