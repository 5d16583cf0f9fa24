/* rootlet-dns's other names: forwarded to the upstream resolver (slirp's), its answers back. */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dns.h"
#include "log.h"
#include "monoclock.h"

/*
 * Theory of operation. An answer rootlet-dns passes on is believed by every container of the
 * network, so forging one must cost what it costs against any stub resolver: guessing a random
 * 16-bit ID, a random source port and the question. So each query goes upstream
 *  - under an ID from getrandom(2), the client's own put back on the answer;
 *  - from a socket of its own, connected to the upstream resolver: connect() binds it to a
 *    port the kernel picks at random from the ephemeral range, and the kernel then delivers
 *    to it only datagrams from the resolver's address and port (checked again here);
 *  - and the answer is passed on only if it is a response under that ID to that one question
 *    (match.c). Anything else on the socket is dropped and the answer still awaited.
 * A socket and a slot each query holds are bounded: at most DNS_PENDING_MAX wait at once, each
 * at most DNS_UPSTREAM_MS; a query finding no free slot, or that cannot be sent, gets SERVFAIL
 * at once: a flood makes the helper hold no more, and its senders learn so. One source address
 * (one container; ports are its to choose) may hold at most DNS_PENDING_PER_SOURCE of them:
 * past that it alone gets SERVFAIL, and the others' queries still find slots free. A slot is freed
 * with its socket closed when its answer comes, when the resolver itself says its port is
 * closed (SERVFAIL), or when its time is up (the client has retried by then).
 *
 * An ICMP error is believed only from the resolver's own address. The kernel hands a connected
 * socket any ICMP error that quotes its datagram, whoever sent it: a container of the network,
 * sweeping the ephemeral ports with port-unreachables under its own address, turned other
 * containers' pending queries into SERVFAIL (an outside attack). So each socket takes its
 * errors with their sender (IP_RECVERR, the offender), and the others are dropped unheeded.
 */

#define DNS_FLAG_QR	 0x8000
#define DNS_FLAG_RD	 0x0100
#define DNS_FLAG_RA	 0x0080
#define DNS_FLAGS_OFF	 2
#define DNS_COUNTS_OFF	 4 /* qd, an, ns, ar */
#define DNS_QUESTION_OFF DNS_HDR_LEN

static void answered(struct evloop *l, void *obj, int fd, uint32_t events);

static uint16_t id_of(const uint8_t *msg)
{
	return (uint16_t)ns_get16(msg);
}

/* SERVFAIL to @p's client: its ID, its question, recursion as it asked and as we offer. */
static void servfail(struct dns_daemon *d, const struct dns_pending *p)
{
	uint8_t msg[DNS_HDR_LEN + DNS_QD_MAX] = { 0 };
	unsigned flags =
		DNS_FLAG_QR | DNS_FLAG_RA | ns_r_servfail | (p->client_rd ? DNS_FLAG_RD : 0);

	ns_put16(p->client_id, msg);
	ns_put16(flags, msg + DNS_FLAGS_OFF);
	ns_put16(1, msg + DNS_COUNTS_OFF); /* one question, no records */
	memcpy(msg + DNS_QUESTION_OFF, p->question.bytes, p->question.len);
	sendto(d->udp_fd, msg, DNS_HDR_LEN + p->question.len, MSG_DONTWAIT,
	       (const struct sockaddr *)&p->client, sizeof(p->client));
}

static void slot_free(struct dns_daemon *d, struct dns_pending *p)
{
	evloop_forget(&d->ev, p->fd); /* closing takes it out of the epoll set */
	close(p->fd);
	p->used = false;
}

/* How many slots queries from @addr hold. */
static size_t slots_of(const struct dns_daemon *d, struct in_addr addr)
{
	size_t n = 0;

	for (size_t i = 0; i < DNS_PENDING_MAX; i++)
		if (d->pending[i].used && d->pending[i].client.sin_addr.s_addr == addr.s_addr)
			n++;
	return n;
}

static struct dns_pending *slot_find_free(struct dns_daemon *d)
{
	for (size_t i = 0; i < DNS_PENDING_MAX; i++)
		if (!d->pending[i].used)
			return &d->pending[i];
	return NULL;
}

/* @q under a random ID from a new socket of @p's; 0, or a negative errno (nothing held). */
static int send_upstream(struct dns_daemon *d, struct dns_pending *p, const uint8_t *q, size_t len)
{
	uint8_t msg[DNS_MSG_MAX];
	uint16_t id;
	int fd, err;

	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != sizeof(id))
		return -EAGAIN; /* never a guessable ID instead */
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno; /* EMFILE: the fd limit is below DNS_PENDING_MAX's needs */
	memcpy(msg, q, len);
	ns_put16(id, msg);
	if (setsockopt(fd, IPPROTO_IP, IP_RECVERR, &(int){ 1 }, sizeof(int)) < 0 ||
	    connect(fd, (const struct sockaddr *)&d->upstream, sizeof(d->upstream)) < 0 ||
	    send(fd, msg, len, MSG_DONTWAIT) < 0) {
		err = -errno; /* no route yet to slirp's tap: SERVFAIL, the client asks again */
		close(fd);
		return err;
	}
	if ((err = evloop_watch(&d->ev, fd, EPOLLIN, answered, p))) {
		close(fd);
		return err;
	}
	p->fd = fd;
	p->our_id = id;
	p->used = true;
	return 0;
}

/**
 * forward_query() - Send a query upstream, or answer SERVFAIL
 * @d:		the daemon
 * @q:		the query, one question (dns_answer() parsed it)
 * @len:	its length
 * @client:	who asked
 */
void forward_query(struct dns_daemon *d, const uint8_t *q, size_t len,
		   const struct sockaddr_in *client)
{
	struct dns_pending ask = { .daemon = d, .fd = -1 }, *p;
	int err;

	if (len > DNS_MSG_MAX || match_question(q, len, &ask.question))
		return;
	ask.client = *client;
	ask.client_id = id_of(q);
	ask.client_rd = ns_get16(q + DNS_FLAGS_OFF) & DNS_FLAG_RD;
	ask.expire_ms = mono_ms() + DNS_UPSTREAM_MS;
	if (slots_of(d, client->sin_addr) >= DNS_PENDING_PER_SOURCE) {
		log_debug(d->cfg->debug, "%d queries of one source wait upstream: SERVFAIL",
			  DNS_PENDING_PER_SOURCE);
		servfail(d, &ask);
		return;
	}
	p = slot_find_free(d);
	if (!p) {
		log_debug(d->cfg->debug, "%d queries wait upstream: SERVFAIL", DNS_PENDING_MAX);
		servfail(d, &ask);
		return;
	}
	*p = ask; /* still free (not used) until sent */
	if ((err = send_upstream(d, p, q, len))) {
		log_debug(d->cfg->debug, "upstream: %s: SERVFAIL", strerror(-err));
		servfail(d, p);
		return;
	}
	/* Every query waits as long: the one armed, if any, expires first. */
	if (d->expiry.expire_ms < 0)
		evloop_timer_arm(&d->ev, &d->expiry, p->expire_ms);
}

/*
 * Whether an ICMP error queued on @fd came from the upstream resolver's address; every error
 * queued is read (epoll says EPOLLERR while one is left).
 */
static bool from_upstream(struct dns_daemon *d, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct sock_extended_err) + sizeof(struct sockaddr_in))];
		struct cmsghdr align;
	} ctl;
	bool theirs = false;

	for (;;) {
		struct msghdr mh = { .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
		struct sock_extended_err *ee;
		struct sockaddr_in who;
		struct cmsghdr *c;

		if (recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			return theirs;
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level != IPPROTO_IP || c->cmsg_type != IP_RECVERR)
				continue;
			ee = (struct sock_extended_err *)CMSG_DATA(c);
			memcpy(&who, SO_EE_OFFENDER(ee), sizeof(who));
			if (ee->ee_origin == SO_EE_ORIGIN_ICMP && who.sin_family == AF_INET &&
			    who.sin_addr.s_addr == d->upstream.sin_addr.s_addr)
				theirs = true;
			else
				log_debug(d->cfg->debug,
					  "upstream: an ICMP error from %s, not the resolver: "
					  "ignored",
					  inet_ntoa(who.sin_addr));
		}
	}
}

/**
 * answered() - A datagram on a query's socket: passed on if it answers that query
 * @l:		the loop
 * @obj:	the query's slot
 * @fd:		its socket
 * @events:	EPOLLIN (or EPOLLERR)
 */
static void answered(struct evloop *l, void *obj, int fd, uint32_t events)
{
	struct dns_pending *p = obj;
	struct dns_daemon *d = p->daemon;
	uint8_t msg[DNS_MSG_MAX];
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	ssize_t n;

	(void)l;
	(void)events;
	while ((n = recvfrom(fd, msg, sizeof(msg), MSG_DONTWAIT | MSG_TRUNC,
			     (struct sockaddr *)&from, &flen)) >= 0) {
		bool ours = flen == sizeof(from) && from.sin_family == AF_INET &&
			    from.sin_addr.s_addr == d->upstream.sin_addr.s_addr &&
			    from.sin_port == d->upstream.sin_port;

		flen = sizeof(from);
		/* Longer than we take (MSG_TRUNC: its real length): no answer, only its start. */
		if (!ours || (size_t)n > sizeof(msg) ||
		    !match_answer(&p->question, p->our_id, msg, (size_t)n)) {
			log_debug(d->cfg->debug,
				  "upstream: a datagram answering no query: dropped");
			continue;
		}
		ns_put16(p->client_id, msg);
		sendto(d->udp_fd, msg, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&p->client,
		       sizeof(p->client));
		slot_free(d, p);
		return;
	}
	/* Every error queued is read, the resolver's or not: else EPOLLERR would call again. */
	if (from_upstream(d, fd)) {
		/* The resolver's own ICMP error (ECONNREFUSED: nothing on its port). */
		log_debug(d->cfg->debug, "upstream: the resolver's port is closed: SERVFAIL");
		servfail(d, p);
		slot_free(d, p);
	}
}

/**
 * forward_expire() - Forget the queries upstream never answered, and their sockets
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
			slot_free(d, p);
		else if (p->used && (next < 0 || p->expire_ms < next))
			next = p->expire_ms;
	}
	if (next >= 0)
		evloop_timer_arm(l, t, next);
}
