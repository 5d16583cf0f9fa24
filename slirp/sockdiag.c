/* Which host socket a datagram would reach: the kernel's own lookup, over NETLINK_SOCK_DIAG. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "sockdiag.h"

/* lo, in every netns: where a datagram to a loopback address arrives */
#define LOOPBACK_IFINDEX 1
#define DIAG_REPLY_MAX	 1024

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
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req_v2 req;
	} q = {
		.nh = { .nlmsg_len = sizeof(q),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST },
		.req = { .sdiag_family = AF_INET,
			 .sdiag_protocol = IPPROTO_UDP,
			 .idiag_states = ~0U },
	};
	static const struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	uint8_t buf[DIAG_REPLY_MAX] __attribute__((aligned(NLMSG_ALIGNTO)));
	const struct nlmsghdr *nh = (const struct nlmsghdr *)buf;
	const struct inet_diag_msg *m;
	ssize_t n;

	q.req.id.idiag_src[0] = from->sin_addr.s_addr;
	q.req.id.idiag_sport = from->sin_port;
	q.req.id.idiag_dst[0] = to->sin_addr.s_addr;
	q.req.id.idiag_dport = to->sin_port;
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
