/* rootlet-dns's allow-list: the one socket kind forward.c makes, and not another. */
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dns.h"
#include "unit.h"

#define FORWARD_TYPE (SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC)

/* Runs @probe in a child under the filter; returns its exit status (0: as expected). */
static int under_filter(int (*probe)(void))
{
	struct dns_cfg cfg = { 0 };
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		if (dns_isolate_syscalls(&cfg))
			_exit(100);
		_exit(probe());
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 200;
}

/* forward.c's socket, connected to a loopback resolver (UDP: nothing is sent). */
static int forwards_socket_is_allowed(void)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(DNS_PORT) };
	int fd = socket(AF_INET, FORWARD_TYPE, 0);

	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return 1;
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0)
		return 2;
	return close(fd) ? 3 : 0;
}

static int refused(int domain, int type, int protocol)
{
	return socket(domain, type, protocol) == -1 && errno == EPERM;
}

static int other_sockets_fail_with_eperm(void)
{
	if (!refused(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0))
		return 1;
	if (!refused(AF_INET6, FORWARD_TYPE, 0))
		return 2;
	if (!refused(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE))
		return 3;
	if (!refused(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0))
		return 4;
	if (!refused(AF_INET, SOCK_DGRAM, 0)) /* blocking: the loop would hang on it */
		return 5;
	if (!refused(AF_INET, FORWARD_TYPE, IPPROTO_ICMP)) /* ping sockets */
		return 6;
	if (!refused(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_UDP))
		return 7;
	return 0;
}

TEST(the_forwarders_socket_is_allowed)
{
	CHECK(under_filter(forwards_socket_is_allowed) == 0);
}

TEST(any_other_socket_fails_with_eperm)
{
	CHECK(under_filter(other_sockets_fail_with_eperm) == 0);
}

UNIT_MAIN("dns_seccomp", T(the_forwarders_socket_is_allowed), T(any_other_socket_fails_with_eperm))
