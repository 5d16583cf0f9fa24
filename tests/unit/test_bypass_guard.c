/* Unit tests of a twin's locked receive filter, against the kernel's own loopback. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bypass.h"
#include "bypass_guard.h"
#include "unit.h"

#define WAIT_MS 300 /* a loopback handshake takes microseconds */

static struct bp_state guarded = { .guard = true }; /* host loopback not allowed */
static const struct bp_sock tcp = { .type = SOCK_STREAM };

static int listener(struct sockaddr_in *ret)
{
	socklen_t len = sizeof(*ret);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	*ret = (struct sockaddr_in){ .sin_family = AF_INET,
				     .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (fd < 0 || bind(fd, (struct sockaddr *)ret, sizeof(*ret)) || listen(fd, 8) ||
	    getsockname(fd, (struct sockaddr *)ret, &len))
		abort();
	return fd;
}

/* Whether a non-blocking connect() of @fd to @to completes within WAIT_MS. */
static bool connects(int fd, const struct sockaddr_in *to)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int error = -1;
	socklen_t len = sizeof(error);

	fcntl(fd, F_SETFL, O_NONBLOCK);
	if (connect(fd, (const struct sockaddr *)to, sizeof(*to)) && errno != EINPROGRESS)
		return false;
	if (poll(&p, 1, WAIT_MS) != 1)
		return false;
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
	return error == 0;
}

/* The kernel lets this process lock a socket filter (not every kernel does, unprivileged). */
static bool guard_available(void)
{
	return !bypass_guard_probe();
}

TEST(a_connect_twin_never_completes_a_handshake_with_host_loopback)
{
	struct sockaddr_in at;
	int l = listener(&at), plain = socket(AF_INET, SOCK_STREAM, 0),
	    twin = socket(AF_INET, SOCK_STREAM, 0);

	CHECK(connects(plain, &at)); /* the listener answers */
	CHECK(!twin_guard(&guarded, &tcp, twin, false));
	CHECK(!connects(twin, &at));
	close(plain);
	close(twin);
	close(l);
}

TEST(a_published_twin_accepts_host_clients_but_opens_nothing)
{
	struct sockaddr_in at, other;
	int pub = socket(AF_INET, SOCK_STREAM, 0), l = listener(&other), client, conn;
	struct sockaddr_in any = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(at);
	char buf[8] = "";

	/* Its own connect(): the SYN-ACK is dropped. */
	CHECK(!twin_guard(&guarded, &tcp, pub, true));
	CHECK(!connects(pub, &other));
	close(pub);
	/* Listening: a client from the host's loopback is accepted, and data flows both ways. */
	pub = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(!twin_guard(&guarded, &tcp, pub, true));
	CHECK(!bind(pub, (struct sockaddr *)&any, sizeof(any)) && !listen(pub, 8) &&
	      !getsockname(pub, (struct sockaddr *)&at, &len));
	client = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(connects(client, &at));
	conn = accept(pub, NULL, NULL);
	CHECK(conn >= 0);
	CHECK(write(client, "ping", 4) == 4 && write(conn, "pong", 4) == 4);
	fcntl(client, F_SETFL, 0);
	CHECK(read(conn, buf, 4) == 4 && !memcmp(buf, "ping", 4));
	CHECK(read(client, buf, 4) == 4 && !memcmp(buf, "pong", 4));
	close(conn);
	close(client);
	close(pub);
	close(l);
}

TEST(the_filter_is_locked)
{
	int twin = socket(AF_INET, SOCK_STREAM, 0), zero = 0;

	CHECK(!twin_guard(&guarded, &tcp, twin, false));
	CHECK(setsockopt(twin, SOL_SOCKET, SO_DETACH_FILTER, &zero, sizeof(zero)) < 0 &&
	      errno == EPERM);
	close(twin);
}

TEST(without_the_guard_no_tcp_twin_is_let_through_but_udp_and_host_loopback_are)
{
	struct bp_state unguarded = { .guard = false }, open = { .pol.loopback = true };
	static const struct bp_sock udp = { .type = SOCK_DGRAM };
	int twin = socket(AF_INET, SOCK_STREAM, 0);

	CHECK(twin_guard(&unguarded, &tcp, twin, false) == -EPERM);
	CHECK(twin_guard(&unguarded, &tcp, twin, true) == -EPERM);
	CHECK(!twin_guard(&unguarded, &udp, twin, false));
	CHECK(!twin_guard(&open, &tcp, twin, false));
	close(twin);
}

TEST(nothing_is_filtered_where_host_loopback_is_allowed)
{
	struct bp_state open = { .guard = true, .pol.loopback = true };
	struct sockaddr_in at;
	int l = listener(&at), twin = socket(AF_INET, SOCK_STREAM, 0);

	CHECK(!twin_guard(&open, &tcp, twin, false));
	CHECK(connects(twin, &at));
	close(twin);
	close(l);
}

int main(void)
{
	static const struct unit_test tests[] = {
		T(a_connect_twin_never_completes_a_handshake_with_host_loopback),
		T(a_published_twin_accepts_host_clients_but_opens_nothing),
		T(the_filter_is_locked),
		T(nothing_is_filtered_where_host_loopback_is_allowed),
	};
	static const struct unit_test always[] = {
		T(without_the_guard_no_tcp_twin_is_let_through_but_udp_and_host_loopback_are),
	};
	int failed = unit_run("bypass_guard", always, sizeof(always) / sizeof(always[0]));

	/* Some kernels refuse socket filters to an unprivileged process: nothing to test there. */
	if (!guard_available()) {
		printf("ok - unit bypass_guard: skipped: this kernel refuses us socket filters\n");
		return failed;
	}
	return unit_run("bypass_guard", tests, sizeof(tests) / sizeof(tests[0])) || failed;
}
