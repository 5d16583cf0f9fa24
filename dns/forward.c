/* rootlet-dns's other names: forwarded to the upstream resolver (slirp's), its answers back. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "dns.h"
#include "monoclock.h"

#define ID_BYTES 2 /* a DNS message starts with its 16-bit ID */

static uint16_t id_of(const uint8_t *msg)
{
	return (uint16_t)(msg[0] << 8 | msg[1]);
}

static void set_id(uint8_t *msg, uint16_t id)
{
	msg[0] = (uint8_t)(id >> 8);
	msg[1] = (uint8_t)id;
}

/**
 * forward_query() - Send a query upstream under an ID of ours, remembering whose it was
 * @d:		the daemon
 * @q:		the query
 * @len:	its length (at least ID_BYTES)
 * @client:	who asked
 *
 * Slot @id % DNS_PENDING_MAX: a query finding its slot still waiting is dropped (the client
 * retries), which bounds what a flood of queries can hold.
 */
void forward_query(struct dns_daemon *d, const uint8_t *q, size_t len,
		   const struct sockaddr_in *client)
{
	uint8_t msg[DNS_MSG_MAX];
	uint16_t id = d->next_id++;
	struct dns_pending *p = &d->pending[id % DNS_PENDING_MAX];
	int64_t now = mono_ms();

	if (d->upstream_fd < 0 || len < ID_BYTES || len > sizeof(msg) ||
	    (p->used && p->expire_ms > now))
		return;
	memcpy(msg, q, len);
	*p = (struct dns_pending){ .used = true,
				   .client_id = id_of(q),
				   .our_id = id,
				   .client = *client,
				   .expire_ms = now + DNS_UPSTREAM_MS };
	set_id(msg, id);
	if (sendto(d->upstream_fd, msg, len, MSG_DONTWAIT, (struct sockaddr *)&d->upstream,
		   sizeof(d->upstream)) < 0) {
		p->used = false;
		return;
	}
	if (d->expiry.expire_ms < 0)
		evloop_timer_arm(&d->ev, &d->expiry, p->expire_ms);
}

/**
 * forward_answer() - An answer from upstream, to the client that asked, under its own ID
 * @l:		the loop
 * @obj:	the daemon
 * @fd:		the upstream socket
 * @events:	EPOLLIN
 */
void forward_answer(struct evloop *l, void *obj, int fd, uint32_t events)
{
	struct dns_daemon *d = obj;
	uint8_t msg[DNS_MSG_MAX];
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	ssize_t n;

	(void)l;
	(void)events;
	while ((n = recvfrom(fd, msg, sizeof(msg), MSG_DONTWAIT, (struct sockaddr *)&from,
			     &flen)) >= ID_BYTES) {
		uint16_t id = id_of(msg);
		struct dns_pending *p = &d->pending[id % DNS_PENDING_MAX];

		flen = sizeof(from);
		/* From the upstream resolver only, and for a query we sent. */
		if (from.sin_addr.s_addr != d->upstream.sin_addr.s_addr ||
		    from.sin_port != d->upstream.sin_port || !p->used || p->our_id != id)
			continue;
		set_id(msg, p->client_id);
		sendto(d->udp_fd, msg, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&p->client,
		       sizeof(p->client));
		p->used = false;
	}
}

/**
 * forward_expire() - Forget the queries upstream never answered
 * @l:		the loop
 * @t:		the daemon's expiry timer
 */
void forward_expire(struct evloop *l, struct evloop_timer *t)
{
	struct dns_daemon *d = container_of(t, struct dns_daemon, expiry);
	int64_t now = mono_ms(), next = -1;

	for (size_t i = 0; i < DNS_PENDING_MAX; i++) {
		struct dns_pending *p = &d->pending[i];

		if (p->used && p->expire_ms <= now)
			p->used = false;
		else if (p->used && (next < 0 || p->expire_ms < next))
			next = p->expire_ms;
	}
	if (next >= 0)
		evloop_timer_arm(l, t, next);
}
