/* The TCP flows libslirp holds a host socket for: by that socket and by the flow. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "array.h"
#include "fnv.h"
#include "flows.h"

/*
 * Every TCP connection libslirp keeps has a host socket for its whole life: opened before its
 * first segment to the guest (tcp_fconnect() on the guest's SYN, tcp_connect() on a forward's
 * accept) and closed in tcp_close(), which frees the connection; libslirp tells of both
 * (register_poll_fd, unregister_poll_fd). So its flows are kept here by fd, each in a hash
 * chain by flow, as many as libslirp has sockets and never more: the chains grow with them
 * (buckets double past one flow a bucket), none is pushed out by another.
 */

#define FLOWS_BUCKETS_MIN 256
#define FLOWS_GROW	  64 /* fd entries added at once */

/**
 * flows_init() - No flow yet
 * @t:		the table, zeroed
 *
 * Return: 0, or negative errno
 */
int flows_init(struct flows *t)
{
	t->buckets = malloc(FLOWS_BUCKETS_MIN * sizeof(*t->buckets));
	if (!t->buckets)
		return -ENOMEM;
	t->nbuckets = FLOWS_BUCKETS_MIN;
	memset(t->buckets, 0xff, FLOWS_BUCKETS_MIN * sizeof(*t->buckets)); /* all -1 */
	if (getrandom(&t->seed, sizeof(t->seed), 0) != sizeof(t->seed))
		return -errno;
	return 0;
}

/**
 * flows_free() - Release the table
 * @t:		the table
 */
void flows_free(struct flows *t)
{
	free(t->byfd);
	free(t->buckets);
	t->byfd = NULL;
	t->buckets = NULL;
}

static size_t bucket_of(const struct flows *t, const uint8_t *key)
{
	uint32_t h = fnv1a(t->seed, key, FLOW_KEY_LEN);

	h ^= h >> 16;
	return h & (t->nbuckets - 1);
}

static void link_fd(struct flows *t, int fd)
{
	size_t b = bucket_of(t, t->byfd[fd].key);

	t->byfd[fd].chain = t->buckets[b];
	t->buckets[b] = fd;
}

static void unlink_fd(struct flows *t, int fd)
{
	int *p = &t->buckets[bucket_of(t, t->byfd[fd].key)];

	while (*p >= 0 && *p != fd)
		p = &t->byfd[*p].chain;
	if (*p == fd)
		*p = t->byfd[fd].chain;
}

/* Past one flow a bucket, twice the buckets; without the memory, longer chains. */
static void grow_buckets(struct flows *t)
{
	size_t n = t->nbuckets * 2;
	int *more;

	if (t->live <= t->nbuckets || !(more = malloc(n * sizeof(*more))))
		return;
	memset(more, 0xff, n * sizeof(*more));
	free(t->buckets);
	t->buckets = more;
	t->nbuckets = n;
	for (int fd = 0; fd < t->nfd; fd++)
		if (t->byfd[fd].state == FLOW_LIVE)
			link_fd(t, fd);
}

/**
 * flows_find() - The flow @key libslirp holds a socket for
 * @t:		the table
 * @key:	the flow
 *
 * Return: it, or NULL
 */
struct flow *flows_find(const struct flows *t, const uint8_t *key)
{
	for (int fd = t->buckets[bucket_of(t, key)]; fd >= 0; fd = t->byfd[fd].chain)
		if (!memcmp(t->byfd[fd].key, key, FLOW_KEY_LEN))
			return &t->byfd[fd];
	return NULL;
}

/**
 * flows_gone() - libslirp closed @fd: its flow, if any, goes with it
 * @t:		the table
 * @fd:		the socket
 */
void flows_gone(struct flows *t, int fd)
{
	struct flow *f;

	if (fd < 0 || fd >= t->nfd)
		return;
	f = &t->byfd[fd];
	if (f->state == FLOW_LIVE) {
		unlink_fd(t, fd);
		t->live--;
	} else if (f->state == FLOW_UNCLAIMED) {
		t->unclaimed--;
	}
	f->state = FLOW_NONE;
}

static struct flow *make_live(struct flows *t, int fd, const uint8_t *key)
{
	struct flow *f = &t->byfd[fd];

	memcpy(f->key, key, FLOW_KEY_LEN);
	f->state = FLOW_LIVE;
	f->mark_known = f->edge_known = f->sent_known = f->floor_acked = false;
	link_fd(t, fd);
	t->live++;
	grow_buckets(t);
	return &t->byfd[fd];
}

/**
 * flows_add() - libslirp opened @fd: the socket of flow @key, or (@key NULL) of a flow not
 * known yet
 * @t:		the table
 * @fd:		the socket
 * @key:	its flow, or NULL
 *
 * Return: the flow, or NULL (no memory, or @key NULL)
 */
struct flow *flows_add(struct flows *t, int fd, const uint8_t *key)
{
	if (fd < 0 || array_grow((void **)&t->byfd, &t->nfd, fd, sizeof(*t->byfd), FLOWS_GROW))
		return NULL;
	flows_gone(t, fd); /* never told of its end: the number is new now */
	if (key)
		return make_live(t, fd, key);
	t->byfd[fd].state = FLOW_UNCLAIMED;
	t->unclaimed++;
	t->last_unclaimed = fd;
	return NULL;
}

/* The port of @fd's peer, or 0. */
static uint16_t peer_port(int fd)
{
	struct sockaddr_storage a;
	socklen_t len = sizeof(a);

	if (getpeername(fd, (struct sockaddr *)&a, &len) < 0)
		return 0;
	if (a.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&a)->sin_port);
	if (a.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&a)->sin6_port);
	return 0;
}

/**
 * flows_claim() - libslirp opens flow @key to the guest (a forward's connection): it is the
 * unclaimed socket whose peer has @remote_port (libslirp keeps the peer's port, and may
 * change only its address), else, its peer gone already (no address to ask), the socket
 * unclaimed last (libslirp sends the SYN right after it accepted the socket)
 * @t:			the table
 * @key:		the flow
 * @remote_port:	its remote port
 *
 * Return: the flow, or NULL if no socket is unclaimed
 */
struct flow *flows_claim(struct flows *t, const uint8_t *key, uint16_t remote_port)
{
	int fd = t->nfd - 1;

	if (!t->unclaimed)
		return NULL;
	while (fd >= 0 && !(t->byfd[fd].state == FLOW_UNCLAIMED && peer_port(fd) == remote_port))
		fd--;
	if (fd < 0)
		fd = t->last_unclaimed;
	if (t->byfd[fd].state != FLOW_UNCLAIMED)
		return NULL;
	t->unclaimed--;
	return make_live(t, fd, key);
}
