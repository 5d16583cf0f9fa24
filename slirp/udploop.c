/* UDP forwards on a loopback address, with host loopback disabled: served here, replies too. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_ether.h>

#include "csum.h"
#include "loop.h"
#include "monoclock.h"
#include "seg.h"
#include "slirp.h"
#include "sockdiag.h"
#include "udploop.h"

/*
 * Theory of operation
 *
 * With host loopback disabled, libslirp drops whatever the guest sends to the gateway, and so
 * the replies to the clients of a UDP forward on 127.0.0.1, who are on the host's loopback:
 * libslirp 4.7 serves such a forward one way. rootlet-slirp serves it itself instead. The
 * host socket is ours (bound as libslirp would, but never shared: no SO_REUSEADDR); a
 * datagram from a client goes to the guest as libslirp would send it, from the gateway's
 * address (10.0.2.2) and the client's port, to the forward's guest address and port, written
 * to the tap with the gateway's MAC. The client is remembered by that port and by its socket:
 * at its first datagram the kernel is asked (NETLINK_SOCK_DIAG's exact UDP lookup, the one
 * delivery makes) which socket a datagram from the forward's address to the client's would
 * reach, and that socket's cookie is kept. A datagram from the guest is taken before libslirp
 * sees it only if it is UDP from the forward's guest address and port to the gateway, at the
 * port of a client seen in the last UDPLOOP_IDLE_MS; it goes to that client, from the
 * forward's socket, only if the same lookup still finds the same cookie. Otherwise the client
 * closed its socket, and its port may be another's now (a loopback-only service of another
 * user that bound it since): the client is forgotten and the datagram dropped. So the reply
 * path reaches only the very sockets that sent to the forward, as a UDP reply should;
 * everything else the guest sends to the gateway is libslirp's, and dropped. The netlink
 * socket is opened with the loop, before the sandbox; sendto and recvfrom are the loop's.
 */

#define UDPLOOP_IDLE_MS	  (240 * 1000) /* as libslirp's UDP flows (SO_EXPIRE) */
#define UDPLOOP_BATCH	  64	       /* datagrams taken per wake-up */
#define UDP_HLEN	  8
#define IP4_ID_OFF	  4
#define IP4_TTL_OFF	  8
#define IP4_SRC_OFF	  12
#define IP_TTL_DEFAULT	  64
#define SLIRP_MAC_PREFIX  0x52, 0x55 /* libslirp's MAC for an address: 52:55 and the address */
#define UDPLOOP_FRAME_MAX (SLIRP_ETH_HLEN + IP_MAXPACKET)

static const uint8_t broadcast[SLIRP_MAC_LEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static struct udploop_client *client_by_port(struct udploop *u, uint16_t port, int64_t now)
{
	for (int i = 0; i < UDPLOOP_CLIENTS; i++) {
		struct udploop_client *c = &u->clients[i];

		if (c->last_ms && now - c->last_ms <= UDPLOOP_IDLE_MS &&
		    ntohs(c->addr.sin_port) == port)
			return c;
	}
	return NULL;
}

/*
 * The client's slot: its own, else a free or the longest idle one, with the cookie of the
 * socket that a reply to its address would reach now (the one that sent, or one that took
 * its port since). If none would, or the kernel cannot say, it is not remembered.
 */
static void client_seen(struct udploop *u, const struct sockaddr_in *from, int64_t now)
{
	struct udploop_client *c = client_by_port(u, ntohs(from->sin_port), now), *old;
	uint64_t cookie;

	if (c) {
		c->last_ms = now;
		return;
	}
	if (sockdiag_udp4_receiver(u->loop->diag_fd, &u->bound, from, &cookie))
		return;
	c = old = &u->clients[0];
	for (int i = 1; i < UDPLOOP_CLIENTS && old->last_ms; i++)
		if (u->clients[i].last_ms < old->last_ms)
			c = old = &u->clients[i];
	c->addr = *from;
	c->cookie = cookie;
	c->last_ms = now;
}

/*
 * Whether a reply to @c would reach the very socket that sent to the forward: a client that
 * closed its socket leaves its port to whoever binds it next (another user's service), and
 * a port alone would lead the guest to it. If not, the client is forgotten.
 */
static bool client_still_there(const struct udploop *u, struct udploop_client *c)
{
	uint64_t cookie;

	if (!sockdiag_udp4_receiver(u->loop->diag_fd, &u->bound, &c->addr, &cookie) &&
	    cookie == c->cookie)
		return true;
	c->last_ms = 0;
	return false;
}

/* A client's datagram as libslirp would give it to the guest: from the gateway. */
static size_t build_udp(const struct udploop *u, const struct loop *l, uint16_t sport,
			const uint8_t *payload, size_t len, uint8_t *f)
{
	const size_t ip = SLIRP_ETH_HLEN, udp = ip + IP4_HLEN;
	uint16_t v, csum;
	uint64_t sum;

	memcpy(f, l->guest_mac_known ? l->guest_mac : broadcast, SLIRP_MAC_LEN);
	f[SLIRP_MAC_LEN] = 0x52;
	f[SLIRP_MAC_LEN + 1] = 0x55;
	memcpy(f + SLIRP_MAC_LEN + 2, &u->gateway, 4);
	v = htons(ETH_P_IP);
	memcpy(f + ETH_TYPE_OFF, &v, 2);
	memset(f + ip, 0, IP4_HLEN);
	f[ip] = 0x45;
	v = htons((uint16_t)(IP4_HLEN + UDP_HLEN + len));
	memcpy(f + ip + IP4_TOTLEN_OFF, &v, 2);
	v = htons(IP_DF);
	memcpy(f + ip + IP4_FRAG_OFF, &v, 2);
	f[ip + IP4_TTL_OFF] = IP_TTL_DEFAULT;
	f[ip + IP4_PROTO_OFF] = IPPROTO_UDP;
	memcpy(f + ip + IP4_SRC_OFF, &u->gateway, 4);
	memcpy(f + ip + IP4_SRC_OFF + 4, &u->guest.sin_addr, 4);
	csum = (uint16_t)~csum_fold(csum_add(f + ip, IP4_HLEN, 0));
	memcpy(f + ip + IP4_CSUM_OFF, &csum, 2);
	v = htons(sport);
	memcpy(f + udp, &v, 2);
	memcpy(f + udp + 2, &u->guest.sin_port, 2);
	v = htons((uint16_t)(UDP_HLEN + len));
	memcpy(f + udp + 4, &v, 2);
	memset(f + udp + 6, 0, 2);
	memmove(f + udp + UDP_HLEN, payload, len);
	sum = csum_add(f + ip + IP4_SRC_OFF, IP4_ADDRS_LEN, 0);
	sum += htons(IPPROTO_UDP) + v;
	csum = (uint16_t)~csum_fold(csum_add(f + udp, UDP_HLEN + len, sum));
	if (!csum)
		csum = 0xffff; /* 0 would say "no checksum" */
	memcpy(f + udp + 6, &csum, 2);
	return udp + UDP_HLEN + len;
}

static void host_event(struct evloop *ev, void *obj, int fd, uint32_t events)
{
	struct udploop *u = obj;
	struct loop *l = u->loop;
	/* Room for a whole frame: at most the MTU goes to the guest, the rest is dropped. */
	const size_t room = l->mtu - IP4_HLEN - UDP_HLEN;
	int64_t now = mono_ms();

	(void)ev;
	(void)events;
	for (int i = 0; i < UDPLOOP_BATCH; i++) {
		struct sockaddr_in from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(fd, u->frame + SLIRP_ETH_HLEN + IP4_HLEN + UDP_HLEN,
				     UDPLOOP_FRAME_MAX - SLIRP_ETH_HLEN - IP4_HLEN - UDP_HLEN,
				     MSG_TRUNC, (struct sockaddr *)&from, &flen);

		if (n < 0)
			break;
		if ((size_t)n > room || from.sin_family != AF_INET)
			continue;
		client_seen(u, &from, now);
		/* build_udp() moves nothing: the payload is already where it goes. */
		gro_send(l->gro, l->tap_fd, u->frame,
			 build_udp(u, l, ntohs(from.sin_port),
				   u->frame + SLIRP_ETH_HLEN + IP4_HLEN + UDP_HLEN, (size_t)n,
				   u->frame));
	}
}

/**
 * udploop_new() - Serve a UDP forward on a loopback address ourselves
 * @l:		the loop
 * @host:	the host address and port to bind (port 0: the kernel's choice)
 * @guest:	where its datagrams go in the guest
 * @gateway:	the gateway's address, which they come from
 * @ret_bound:	the address bound
 * @ret:	the forward
 *
 * Return: 0 on success, negative errno
 */
int udploop_new(struct loop *l, const struct sockaddr_in *host, const struct sockaddr_in *guest,
		struct in_addr gateway, struct sockaddr_in *ret_bound, struct udploop **ret)
{
	struct udploop *u = calloc(1, sizeof(*u));
	socklen_t len = sizeof(*ret_bound);
	int err;

	if (!u || !(u->frame = malloc(UDPLOOP_FRAME_MAX))) {
		free(u);
		return -ENOMEM;
	}
	u->loop = l;
	u->guest = *guest;
	u->gateway = gateway.s_addr;
	u->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (u->fd < 0 || bind(u->fd, (const struct sockaddr *)host, sizeof(*host)) ||
	    getsockname(u->fd, (struct sockaddr *)ret_bound, &len)) {
		err = errno ? -errno : -EIO;
		udploop_free(u);
		return err;
	}
	u->bound = *ret_bound;
	if ((err = evloop_watch(&l->ev, u->fd, EPOLLIN, host_event, u))) {
		udploop_free(u);
		return err;
	}
	*ret = u;
	return 0;
}

/**
 * udploop_free() - Stop serving the forward and close its socket
 * @u:		the forward, or NULL
 */
void udploop_free(struct udploop *u)
{
	if (!u)
		return;
	if (u->fd >= 0) {
		if (evloop_watched_by(&u->loop->ev, u->fd, host_event))
			evloop_unwatch(&u->loop->ev, u->fd);
		close(u->fd);
	}
	free(u->frame);
	free(u);
}

/**
 * udploop_from_guest() - Whether the guest's frame is a reply to one of @u's clients; sent
 * to it if so
 * @u:		the forward
 * @f:		the Ethernet frame
 * @n:		its length
 *
 * Return: true if the frame was the forward's (libslirp must not see it)
 */
bool udploop_from_guest(struct udploop *u, const uint8_t *f, size_t n)
{
	const uint8_t *ip = f + SLIRP_ETH_HLEN;
	struct udploop_client *c;
	uint16_t type, frag, tot, dport, ulen;
	size_t udp;

	if (n < SLIRP_ETH_HLEN + IP4_HLEN + UDP_HLEN)
		return false;
	memcpy(&type, f + ETH_TYPE_OFF, 2);
	memcpy(&frag, ip + IP4_FRAG_OFF, 2);
	if (type != htons(ETH_P_IP) || (ip[0] >> 4) != 4 || ip[IP4_PROTO_OFF] != IPPROTO_UDP ||
	    (ntohs(frag) & (IP_MF | IP_OFFMASK)))
		return false;
	udp = SLIRP_ETH_HLEN + (size_t)(ip[0] & 0xf) * 4;
	if (n < udp + UDP_HLEN || memcmp(ip + IP4_SRC_OFF + 4, &u->gateway, 4) ||
	    memcmp(ip + IP4_SRC_OFF, &u->guest.sin_addr, 4) ||
	    memcmp(f + udp, &u->guest.sin_port, 2))
		return false;
	memcpy(&dport, f + udp + 2, 2);
	if (!(c = client_by_port(u, ntohs(dport), mono_ms())))
		return false;
	memcpy(&tot, ip + IP4_TOTLEN_OFF, 2);
	memcpy(&ulen, f + udp + 4, 2);
	if (ntohs(ulen) < UDP_HLEN || udp + ntohs(ulen) > n ||
	    SLIRP_ETH_HLEN + (size_t)ntohs(tot) > n)
		return true; /* malformed: dropped, as libslirp would */
	if (!client_still_there(u, c))
		return true; /* to a port its client left: dropped, as libslirp would */
	sendto(u->fd, f + udp + UDP_HLEN, ntohs(ulen) - UDP_HLEN, MSG_DONTWAIT,
	       (const struct sockaddr *)&c->addr, sizeof(c->addr));
	return true;
}
