/* Which host socket a datagram would reach: the kernel's own lookup, over NETLINK_SOCK_DIAG. */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "sockdiag.h"

/* lo, in every netns: where a datagram to any of its own addresses arrives */
#define LOOPBACK_IFINDEX 1
#define DIAG_REPLY_MAX	 1024
#define V4MAPPED_OFF	 12 /* ::ffff:a.b.c.d: the IPv4 address in its last 4 bytes */

/**
 * sockdiag_open() - A NETLINK_SOCK_DIAG socket, in the caller's netns (before the sandbox)
 *
 * Return: the fd, or negative errno
 */
int sockdiag_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);

	return fd < 0 ? -errno : fd;
}

/* The kernel's answer to one exact lookup: the socket's cookie, or its error. */
static int lookup(int fd, const struct inet_diag_req_v2 *req, uint64_t *ret_cookie)
{
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req_v2 req;
	} q = {
		.nh = { .nlmsg_len = sizeof(q),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST },
		.req = *req,
	};
	static const struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	uint8_t buf[DIAG_REPLY_MAX] __attribute__((aligned(NLMSG_ALIGNTO)));
	const struct nlmsghdr *nh = (const struct nlmsghdr *)buf;
	const struct inet_diag_msg *m;
	ssize_t n;

	q.req.sdiag_protocol = IPPROTO_UDP;
	q.req.idiag_states = ~0U;
	q.req.id.idiag_if = LOOPBACK_IFINDEX;
	q.req.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	q.req.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	if (sendto(fd, &q, sizeof(q), 0, (const struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	/* The kernel answers within sendto(): nothing to wait for. */
	n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, NULL, NULL);
	if (n < 0)
		return -errno;
	if (!NLMSG_OK(nh, (size_t)n))
		return -EPROTO;
	if (nh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(nh);

		return nh->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) && e->error ? e->error : -EPROTO;
	}
	if (nh->nlmsg_type != SOCK_DIAG_BY_FAMILY || nh->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return -EPROTO;
	m = NLMSG_DATA(nh);
	*ret_cookie = (uint64_t)m->id.idiag_cookie[1] << 32 | m->id.idiag_cookie[0];
	return 0;
}

/**
 * sockdiag_udp4_receiver() - The cookie of the UDP socket a datagram from @from to @to,
 * arriving on lo, would be delivered to
 * @fd:		sockdiag_open()'s socket
 * @from:	the datagram's source
 * @to:		its destination
 * @ret_cookie:	the socket's cookie (unique while the system runs; a new socket, a new cookie)
 *
 * The kernel's exact lookup for UDP (udp_dump_one) takes the datagram's source as idiag_src
 * and its destination as idiag_dst, and finds the socket as delivery would.
 *
 * Return: 0 on success, -ENOENT when no socket would take it, negative errno
 */
int sockdiag_udp4_receiver(int fd, const struct sockaddr_in *from, const struct sockaddr_in *to,
			   uint64_t *ret_cookie)
{
	struct inet_diag_req_v2 req = { .sdiag_family = AF_INET };

	req.id.idiag_src[0] = from->sin_addr.s_addr;
	req.id.idiag_sport = from->sin_port;
	req.id.idiag_dst[0] = to->sin_addr.s_addr;
	req.id.idiag_dport = to->sin_port;
	return lookup(fd, &req, ret_cookie);
}

/* An IPv4-mapped IPv6 address, as IPv4: the datagram goes as IPv4 and IPv4 delivers it. */
static struct sockaddr_in unmapped(const struct sockaddr_in6 *a)
{
	struct sockaddr_in v4 = { .sin_family = AF_INET, .sin_port = a->sin6_port };

	memcpy(&v4.sin_addr, &a->sin6_addr.s6_addr[V4MAPPED_OFF], sizeof(v4.sin_addr));
	return v4;
}

/**
 * sockdiag_udp_receiver() - sockdiag_udp4_receiver() for either family: IPv4, IPv6, or
 * IPv4-mapped IPv6 addresses (a dual-stack socket's IPv4 peers), looked up as IPv4
 * @fd:		sockdiag_open()'s socket
 * @from:	the datagram's source
 * @to:		its destination, of @from's family
 * @ret_cookie:	the socket's cookie
 *
 * Return: 0 on success, -ENOENT when no socket would take it, -EAFNOSUPPORT for families
 * that differ or are not IP, negative errno
 */
int sockdiag_udp_receiver(int fd, const struct sockaddr_storage *from,
			  const struct sockaddr_storage *to, uint64_t *ret_cookie)
{
	const struct sockaddr_in6 *f6 = (const struct sockaddr_in6 *)from;
	const struct sockaddr_in6 *t6 = (const struct sockaddr_in6 *)to;
	struct inet_diag_req_v2 req = { .sdiag_family = AF_INET6 };

	if (from->ss_family != to->ss_family)
		return -EAFNOSUPPORT;
	if (from->ss_family == AF_INET)
		return sockdiag_udp4_receiver(fd, (const struct sockaddr_in *)from,
					      (const struct sockaddr_in *)to, ret_cookie);
	if (from->ss_family != AF_INET6)
		return -EAFNOSUPPORT;
	if (IN6_IS_ADDR_V4MAPPED(&f6->sin6_addr) && IN6_IS_ADDR_V4MAPPED(&t6->sin6_addr)) {
		struct sockaddr_in f4 = unmapped(f6), t4 = unmapped(t6);

		return sockdiag_udp4_receiver(fd, &f4, &t4, ret_cookie);
	}
	memcpy(req.id.idiag_src, &f6->sin6_addr, sizeof(f6->sin6_addr));
	req.id.idiag_sport = f6->sin6_port;
	memcpy(req.id.idiag_dst, &t6->sin6_addr, sizeof(t6->sin6_addr));
	req.id.idiag_dport = t6->sin6_port;
	return lookup(fd, &req, ret_cookie);
}
