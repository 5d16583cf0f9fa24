/* rootlet-dns: the names of a shared network's containers, answered in its infra netns. */
#ifndef ROOTLET_DNS_H
#define ROOTLET_DNS_H

#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "evloop.h"

#define DNS_PORT	53
#define DNS_MSG_MAX	4096 /* a UDP query or answer, EDNS0 sizes included */
#define DNS_NAME_MAX	256  /* a name as text, with its dot */
#define DNS_HOSTS_MAX	(1024 * 1024)
#define DNS_PENDING_MAX 256 /* queries forwarded and not yet answered: a socket each */
/* ... of which one source address may hold this many: one container cannot take them all */
#define DNS_PENDING_PER_SOURCE (DNS_PENDING_MAX / 4)
#define DNS_UPSTREAM_MS	       5000 /* a forwarded query's answer is awaited this long */
#define DNS_TTL		       0    /* containers come and go: nobody caches our answers */

#define DNS_HDR_LEN 12	      /* ID, flags, four counts */
#define DNS_QD_MAX  (255 + 4) /* a question: its name (NS_MAXCDNAME), type, class */

/* One name of the table: a container's ID, hostname or alias. */
struct dns_name {
	char name[DNS_NAME_MAX]; /* lower case, no trailing dot */
	int family;		 /* AF_INET or AF_INET6 */
	struct in_addr addr;
	struct in6_addr addr6;
};

struct dns_table {
	struct dns_name *names;
	size_t n;
};

int table_parse(const char *text, struct dns_table *ret);
void table_free(struct dns_table *t);
const struct dns_name *table_find(const struct dns_table *t, const char *name, int family);

enum dns_verdict {
	DNS_ANSWERED, /* @out is the answer */
	DNS_FORWARD,  /* not ours: ask the upstream resolver */
	DNS_DROP,     /* not a query we can parse: no answer */
};
enum dns_verdict dns_answer(const struct dns_table *t, const uint8_t *q, size_t qlen,
			    bool can_forward, uint8_t *out, size_t *out_len);

struct dns_cfg {
	const char *netns;	 /* the infra's rootlet-netns name */
	struct in_addr listen;	 /* the gateway's address on the bridge */
	struct in_addr upstream; /* slirp's resolver; 0: none (an internal network) */
	int ready_fd;
	bool debug;
	struct err err;
};

/* A query's question as sent: name, type, class (match.c). */
struct dns_question {
	uint8_t bytes[DNS_QD_MAX];
	size_t len;
};

int match_question(const uint8_t *q, size_t len, struct dns_question *ret);
bool match_answer(const struct dns_question *question, uint16_t id, const uint8_t *a, size_t len);

struct dns_daemon;

/* A query forwarded upstream from a socket of its own, under a random ID (forward.c). */
struct dns_pending {
	struct dns_daemon *daemon;
	int fd; /* connected to the upstream resolver */
	uint16_t our_id;
	uint16_t client_id;
	bool used;	/* false: a free slot (zeroed memory: free slots, pages untouched) */
	bool client_rd; /* the client asked for recursion (its SERVFAIL says so too) */
	struct sockaddr_in client;
	struct dns_question question;
	int64_t expire_ms;
};

struct dns_daemon {
	struct evloop ev;
	struct dns_cfg *cfg;
	int udp_fd;		     /* :53 on the gateway's address */
	struct sockaddr_in upstream; /* the upstream resolver; 0.0.0.0: none */
	int dir_fd;		     /* the infra's entry: its hosts file */
	int inotify_fd;
	struct dns_table table;
	struct dns_pending pending[DNS_PENDING_MAX];
	struct evloop_timer expiry;
};

int dns_isolate_user_net(struct dns_cfg *cfg, int *ret_dir_fd, int *ret_holder_fd);
int dns_isolate_fs_caps(struct dns_cfg *cfg);
int dns_isolate_syscalls(struct dns_cfg *cfg);

void forward_query(struct dns_daemon *d, const uint8_t *q, size_t len,
		   const struct sockaddr_in *client);
void forward_expire(struct evloop *l, struct evloop_timer *t);

#endif
