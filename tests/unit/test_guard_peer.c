/* lib/bypass_guard's peer filter on real UDP sockets: its peer's datagrams pass, no one else's. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bypass_guard.h"
#include "unit.h"

#define WAIT_MS 300

/* A UDP socket of @family bound to @addr port 0 (any port), its address in @ret. */
static int bound(int family, const char *addr, struct sockaddr_storage *ret, socklen_t *len)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memset(ret, 0, sizeof(*ret));
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ret;

		in->sin_family = AF_INET;
		inet_pton(AF_INET, addr, &in->sin_addr);
		*len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ret;

		in6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, addr, &in6->sin6_addr);
		*len = sizeof(*in6);
	}
	if (fd < 0 || bind(fd, (struct sockaddr *)ret, *len) < 0 ||
	    getsockname(fd, (struct sockaddr *)ret, len) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Whether a datagram sent by @from to @to's address reaches @to. */
static bool reaches(int from, int to, const struct sockaddr_storage *to_addr, socklen_t len)
{
	struct pollfd p = { .fd = to, .events = POLLIN };
	char b[8];

	if (sendto(from, "x", 1, 0, (const struct sockaddr *)to_addr, len) != 1)
		return false;
	if (poll(&p, 1, WAIT_MS) != 1)
		return false;
	return recv(to, b, sizeof(b), 0) == 1;
}

/* @family sockets on @addr: a receiver locked to peer A; A gets through, B does not. */
static void peer_only(int *failed, int family, const char *addr)
{
	struct sockaddr_storage ra, aa, ba;
	socklen_t rl, al, bl;
	struct sock_filter prog[BYPASS_GUARD_PEER_MAX];
	unsigned short n;
	int r = bound(family, addr, &ra, &rl), a = bound(family, addr, &aa, &al),
	    b = bound(family, addr, &ba, &bl);

	CHECK(r >= 0 && a >= 0 && b >= 0);
	CHECK(!bypass_guard_peer((struct sockaddr *)&aa, al, prog, BYPASS_GUARD_PEER_MAX, &n));
	CHECK(!bypass_guard_lock(r, prog, n));
	CHECK(reaches(a, r, &ra, rl));
	CHECK(!reaches(b, r, &ra, rl));
	CHECK(reaches(a, r, &ra, rl));
	close(r), close(a), close(b);
}

TEST(an_ipv4_peers_datagrams_pass_and_no_one_elses)
{
	peer_only(failed, AF_INET, "127.0.0.1");
}

TEST(an_ipv6_peers_datagrams_pass_and_no_one_elses)
{
	peer_only(failed, AF_INET6, "::1");
}

/* A dual-stack twin connected to ::ffff:127.0.0.1 receives IPv4 packets: the peer's alone. */
TEST(an_ipv4_mapped_peer_is_matched_on_its_ipv4_packets)
{
	struct sockaddr_storage ra, aa, ba, mapped = { 0 };
	struct sockaddr_in6 *m = (struct sockaddr_in6 *)&mapped;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&aa;
	socklen_t rl, al, bl;
	struct sock_filter prog[BYPASS_GUARD_PEER_MAX];
	unsigned short n;
	int r = bound(AF_INET6, "::", &ra, &rl), a = bound(AF_INET, "127.0.0.1", &aa, &al),
	    b = bound(AF_INET, "127.0.0.1", &ba, &bl);
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = ((struct sockaddr_in6 *)&ra)->sin6_port,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	CHECK(r >= 0 && a >= 0 && b >= 0);
	m->sin6_family = AF_INET6;
	m->sin6_port = a4->sin_port;
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &m->sin6_addr);
	CHECK(!bypass_guard_peer((struct sockaddr *)&mapped, sizeof(*m), prog,
				 BYPASS_GUARD_PEER_MAX, &n));
	CHECK(!bypass_guard_lock(r, prog, n));
	CHECK(reaches(a, r, (struct sockaddr_storage *)&to, sizeof(to)));
	CHECK(!reaches(b, r, (struct sockaddr_storage *)&to, sizeof(to)));
	close(r), close(a), close(b);
}

TEST(what_is_no_peer_is_refused)
{
	struct sockaddr_in in = { .sin_family = AF_INET };
	struct sockaddr un = { .sa_family = AF_UNIX };
	struct sock_filter prog[BYPASS_GUARD_PEER_MAX];
	unsigned short n;

	CHECK(bypass_guard_peer(&un, sizeof(un), prog, BYPASS_GUARD_PEER_MAX, &n) == -EAFNOSUPPORT);
	CHECK(bypass_guard_peer((struct sockaddr *)&in, sizeof(in) - 1, prog, BYPASS_GUARD_PEER_MAX,
				&n) == -EINVAL);
	CHECK(bypass_guard_peer((struct sockaddr *)&in, sizeof(in), prog, 4, &n) == -ENOSPC);
}

UNIT_MAIN("guard_peer", T(an_ipv4_peers_datagrams_pass_and_no_one_elses),
	  T(an_ipv6_peers_datagrams_pass_and_no_one_elses),
	  T(an_ipv4_mapped_peer_is_matched_on_its_ipv4_packets), T(what_is_no_peer_is_refused))
