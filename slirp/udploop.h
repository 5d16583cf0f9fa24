/* UDP forwards on a loopback address, with host loopback disabled: served here, replies too. */
#ifndef ROOTLET_SLIRP_UDPLOOP_H
#define ROOTLET_SLIRP_UDPLOOP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UDPLOOP_CLIENTS 64 /* clients a forward answers at once; the longest idle goes first */

struct loop;

/* A client on the host's loopback: the port it sent from and the socket it sent with. */
struct udploop_client {
	struct sockaddr_in addr;
	uint64_t cookie; /* the socket a datagram to addr reached when it first sent */
	int64_t last_ms; /* 0: a free slot */
};

struct udploop {
	struct loop *loop;
	int fd;
	struct sockaddr_in bound; /* the forward's host address and port */
	struct sockaddr_in guest; /* where datagrams go in the guest */
	uint32_t gateway;	  /* the address they come from, network order */
	uint8_t *frame;
	struct udploop_client clients[UDPLOOP_CLIENTS];
};

int udploop_new(struct loop *l, const struct sockaddr_in *host, const struct sockaddr_in *guest,
		struct in_addr gateway, struct sockaddr_in *ret_bound, struct udploop **ret);
void udploop_free(struct udploop *u);
bool udploop_from_guest(struct udploop *u, const uint8_t *f, size_t n);

#endif
