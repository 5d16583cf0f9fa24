/* Which host socket a datagram would reach: the kernel's own lookup, over NETLINK_SOCK_DIAG. */
#ifndef ROOTLET_SLIRP_SOCKDIAG_H
#define ROOTLET_SLIRP_SOCKDIAG_H

#include <netinet/in.h>
#include <stdint.h>

int sockdiag_open(void);
int sockdiag_udp4_receiver(int fd, const struct sockaddr_in *from, const struct sockaddr_in *to,
			   uint64_t *ret_cookie);

#endif
