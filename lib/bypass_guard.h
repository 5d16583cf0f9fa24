/* Whether rootlet-bypass can guard a TCP twin: one probe for the supervisor and rootlet-netns. */
#ifndef ROOTLET_BYPASS_GUARD_H
#define ROOTLET_BYPASS_GUARD_H

#include <linux/filter.h>
#include <sys/socket.h>

/* bypass_guard_peer()'s longest program: protocol, four address words, port, accept, drop. */
#define BYPASS_GUARD_PEER_MAX 16

int bypass_guard_lock(int fd, const struct sock_filter *filter, unsigned short len);
int bypass_guard_probe(void);
int bypass_guard_peer(const struct sockaddr *peer, socklen_t len, struct sock_filter *prog,
		      unsigned short max, unsigned short *ret_len);

#endif
