/* Where a hooked call may go: the same peers slirp would reach, never more. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bypass.h"
#include "slirpnet.h"

/*
 * Theory of operation
 *
 * A rootlet netns reaches the world through rootlet-slirp: every address outside its own
 * subnet, as the user; the host's loopback only as 10.0.2.2 (fd00::2) and only when
 * --allow-host-loopback was given. A connect() to such a peer may as well be made in the
 * host's netns: the peer is the same, the path is the kernel's. Everything the netns reaches
 * by itself stays there: its loopback, its slirp subnet (the DNS forwarder at .3, the gateway
 * when loopback is not allowed), shared networks (--exclude), link-local and multicast
 * addresses, and IPv6 when slirp gives it none.
 *
 * UDP is bypassed only when host loopback is allowed: a connected UDP socket may still
 * sendto() any address, which the supervisor does not see, so a UDP twin must be one whose
 * every destination slirp would have reached as well.
 *
 * A bind() is bypassed only for a port a --publish rule names, with the address the netns
 * would have had it on (any, or the netns's own): the twin is bound to the rule's host address
 * and port instead, and the service accepts host clients natively. A UDP one only when host
 * loopback is allowed, for the same reason as a UDP connect(): a bound UDP twin sends to any
 * address. Without it rootlet-netns gives UDP rules to rootlet-portfwd instead.
 *
 * TCP is bypassed without host loopback only where each twin can carry guard.c's locked
 * filter: a continued call re-run on a twin swapped in meanwhile would reach the host's
 * loopback otherwise. Where the kernel refuses the supervisor that filter, no TCP twin is made
 * (connect() and bind() continue inside, as without the bypass) and rootlet-netns gives TCP
 * rules to rootlet-portfwd too.
 */

#define BITS_PER_BYTE 8
#define PREFIX4_MAX   32
#define PREFIX6_MAX   128

static int net_parse(const char *text, struct bp_net *ret)
{
	char buf[INET6_ADDRSTRLEN + sizeof("/128")];
	char *slash, *end;
	long prefix;

	if (snprintf(buf, sizeof(buf), "%s", text) >= (int)sizeof(buf))
		return -EINVAL;
	slash = strchr(buf, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	if (inet_pton(AF_INET, buf, ret->addr) == 1)
		ret->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, ret->addr) == 1)
		ret->family = AF_INET6;
	else
		return -EINVAL;
	errno = 0;
	prefix = strtol(slash + 1, &end, 10);
	if (*end || end == slash + 1 || prefix < 0 ||
	    prefix > (ret->family == AF_INET ? PREFIX4_MAX : PREFIX6_MAX))
		return -EINVAL;
	ret->prefix = (unsigned)prefix;
	return 0;
}

/**
 * policy_init() - The policy of a netns from the command line
 * @p:		filled
 * @cfg:	--allow-host-loopback, --ipv6, --exclude, --publish; whether twins can be guarded
 * @e:		what was wrong, on failure
 *
 * Return: 0 on success, -EINVAL with @e saying which value is wrong
 */
int policy_init(struct bp_policy *p, const struct bp_cfg *cfg, struct err *e)
{
	int err;

	memset(p, 0, sizeof(*p));
	p->loopback = cfg->allow_host_loopback;
	p->tcp = cfg->allow_host_loopback || cfg->guard;
	p->ipv6 = cfg->ipv6;
	net_parse(SLIRP_NET4 "/24", &p->nets[p->n_nets++]);
	net_parse(SLIRP_NET6 "/64", &p->nets[p->n_nets++]);
	if (cfg->n_exclude > BP_EXCLUDE_MAX)
		return err_make(e, -EINVAL, "--exclude: at most %d", BP_EXCLUDE_MAX);
	for (int i = 0; i < cfg->n_exclude; i++)
		if (net_parse(cfg->exclude[i], &p->nets[p->n_nets++]))
			return err_make(e, -EINVAL, "--exclude '%s': not ADDRESS/PREFIX",
					cfg->exclude[i]);
	if (cfg->n_publish > BP_PUBLISH_MAX)
		return err_make(e, -EINVAL, "--publish: at most %d", BP_PUBLISH_MAX);
	for (int i = 0; i < cfg->n_publish; i++)
		if ((err = spec_parse(cfg->publish[i], &p->publish[p->n_publish++], e)))
			return err_wrap(e, err, "--publish '%s'", cfg->publish[i]);
	return 0;
}

static bool in_net(const struct bp_net *n, int family, const uint8_t *addr)
{
	unsigned full = n->prefix / BITS_PER_BYTE, rest = n->prefix % BITS_PER_BYTE;

	if (n->family != family || memcmp(n->addr, addr, full))
		return false;
	return !rest || !((n->addr[full] ^ addr[full]) & (uint8_t)(0xff << (BITS_PER_BYTE - rest)));
}

static bool is_addr(int family, const uint8_t *addr, const char *text)
{
	uint8_t want[16];

	return inet_pton(family, text, want) == 1 &&
	       !memcmp(addr, want,
		       family == AF_INET ? sizeof(struct in_addr) : sizeof(struct in6_addr));
}

/* The address (network order) of an AF_INET or AF_INET6 sockaddr, v4-mapped ones as IPv4. */
static int addr_of(const struct sockaddr *sa, socklen_t len, uint8_t *addr, uint16_t *port)
{
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const void *)sa;

		memcpy(addr, &in->sin_addr, sizeof(in->sin_addr));
		*port = ntohs(in->sin_port);
		return AF_INET;
	}
	if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		*port = ntohs(in6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			memcpy(addr, &in6->sin6_addr.s6_addr[12], sizeof(struct in_addr));
			return AF_INET;
		}
		memcpy(addr, &in6->sin6_addr, sizeof(in6->sin6_addr));
		return AF_INET6;
	}
	return AF_UNSPEC;
}

/* Addresses the netns has in itself, whatever its routes: never bypassed. */
static bool local_kind(int family, const uint8_t *a)
{
	if (family == AF_INET)
		return a[0] == IN_LOOPBACKNET || a[0] == 0 || IN_MULTICAST(ntohl(*(uint32_t *)a)) ||
		       (a[0] == 169 && a[1] == 254) || ntohl(*(uint32_t *)a) == INADDR_BROADCAST;
	return IN6_IS_ADDR_LOOPBACK((const struct in6_addr *)a) ||
	       IN6_IS_ADDR_UNSPECIFIED((const struct in6_addr *)a) ||
	       IN6_IS_ADDR_LINKLOCAL((const struct in6_addr *)a) ||
	       IN6_IS_ADDR_MULTICAST((const struct in6_addr *)a);
}

/* @to: @sa with its address replaced by @family's @addr (a v4-mapped one for an AF_INET6 @sa). */
static void rewrite(const struct sockaddr *sa, socklen_t len, int family, const uint8_t *addr,
		    struct sockaddr_storage *to, socklen_t *to_len)
{
	memcpy(to, sa, len);
	*to_len = len;
	if (sa->sa_family == AF_INET) {
		memcpy(&((struct sockaddr_in *)to)->sin_addr, addr, sizeof(struct in_addr));
	} else if (family == AF_INET) {
		struct in6_addr *a6 = &((struct sockaddr_in6 *)to)->sin6_addr;

		memset(a6, 0, sizeof(*a6));
		a6->s6_addr[10] = a6->s6_addr[11] = 0xff;
		memcpy(&a6->s6_addr[12], addr, sizeof(struct in_addr));
	} else {
		memcpy(&((struct sockaddr_in6 *)to)->sin6_addr, addr, sizeof(struct in6_addr));
	}
}

/**
 * policy_connect() - Where a connect() to @sa may go
 * @p:		the netns's policy
 * @sa:		the address, as read once from the caller
 * @len:	its length
 * @udp:	a datagram socket
 * @to:		for BP_BYPASS: the peer in the host's netns
 * @to_len:	its length
 *
 * Return: BP_BYPASS, or BP_CONTINUE for a peer the netns reaches by itself (or only it may),
 *	   and for every TCP one where twins cannot be guarded
 */
enum bp_verdict policy_connect(const struct bp_policy *p, const struct sockaddr *sa, socklen_t len,
			       bool udp, struct sockaddr_storage *to, socklen_t *to_len)
{
	uint8_t addr[16];
	uint16_t port;
	int family = addr_of(sa, len, addr, &port);

	if (family == AF_UNSPEC || local_kind(family, addr) || (udp && !p->loopback) ||
	    (!udp && !p->tcp))
		return BP_CONTINUE;
	if ((family == AF_INET6 && !p->ipv6) || (family == AF_INET && p->no_ipv4))
		return BP_CONTINUE;
	if (is_addr(family, addr, family == AF_INET ? SLIRP_HOST4 : SLIRP_HOST6)) {
		uint8_t lo[16];

		if (!p->loopback)
			return BP_CONTINUE;
		inet_pton(family, family == AF_INET ? "127.0.0.1" : "::1", lo);
		rewrite(sa, len, family, lo, to, to_len);
		return BP_BYPASS;
	}
	for (int i = 0; i < p->n_nets; i++)
		if (in_net(&p->nets[i], family, addr))
			return BP_CONTINUE;
	rewrite(sa, len, family, addr, to, to_len);
	return BP_BYPASS;
}

/**
 * policy_bind() - Where a bind() to @sa may go
 * @p:		the netns's policy
 * @sa:		the address, as read once from the caller
 * @len:	its length
 * @udp:	a datagram socket
 * @to:		for BP_BYPASS: the rule's host address and port, in @sa's family
 * @to_len:	its length
 *
 * Return: BP_BYPASS for a port a --publish rule names (UDP: with host loopback allowed; TCP:
 *	   with it or where twins can be guarded), else BP_CONTINUE
 */
enum bp_verdict policy_bind(const struct bp_policy *p, const struct sockaddr *sa, socklen_t len,
			    bool udp, struct sockaddr_storage *to, socklen_t *to_len)
{
	uint8_t addr[16];
	uint16_t port;
	int family = addr_of(sa, len, addr, &port);

	if (family == AF_UNSPEC || !port || (udp && !p->loopback) || (!udp && !p->tcp))
		return BP_CONTINUE;
	/* Any address, or the netns's own on its slirp interface. */
	if (!(family == AF_INET ? !*(uint32_t *)addr || is_addr(family, addr, SLIRP_GUEST4)
				: IN6_IS_ADDR_UNSPECIFIED((struct in6_addr *)addr) ||
					  is_addr(family, addr, SLIRP_GUEST6)))
		return BP_CONTINUE;
	for (int i = 0; i < p->n_publish; i++) {
		const struct fwd_spec *r = &p->publish[i];
		uint16_t host_port;

		if ((r->proto == IPPROTO_UDP) != udp || port < r->port ||
		    port - r->port >= r->count)
			continue;
		host_port = r->host_port ? (uint16_t)(r->host_port + (port - r->port)) : 0;
		memcpy(to, sa, len);
		*to_len = len;
		if (sa->sa_family == AF_INET) {
			struct sockaddr_in *in = (struct sockaddr_in *)to;

			/* A rule for IPv6 only has no IPv4 socket to give. */
			if (!r->dual && r->host.ss_family != AF_INET)
				continue;
			if (r->dual)
				in->sin_addr.s_addr = htonl(INADDR_ANY);
			else
				in->sin_addr = ((const struct sockaddr_in *)&r->host)->sin_addr;
			in->sin_port = htons(host_port);
		} else {
			struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)to;

			if (r->dual)
				in6->sin6_addr = in6addr_any;
			else if (r->host.ss_family == AF_INET6)
				in6->sin6_addr = ((const struct sockaddr_in6 *)&r->host)->sin6_addr;
			else
				rewrite(sa, len, AF_INET,
					(const uint8_t *)&((const struct sockaddr_in *)&r->host)
						->sin_addr,
					to, to_len);
			in6->sin6_port = htons(host_port);
		}
		return BP_BYPASS;
	}
	return BP_CONTINUE;
}
