/* swaprace: dup2() a twin over a socket's number while its connect() is being continued. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * Usage: swaprace BIND_PORT PEER_PORT TRIES
 *
 * A twin is made by binding a TCP socket to 0.0.0.0:BIND_PORT (a published port). Then, again
 * and again, a socket of the netns's own takes fd number SLOT and connect()s it to
 * 127.0.0.1:PEER_PORT, which the supervisor continues (an address the netns keeps inside),
 * while a second thread dup2()s the twin and the inside socket over SLOT in turn. When the
 * kernel runs a continued connect() on the twin, it connects from the host's netns. Stops once
 * the twin left its closed state ("landed"), waits 2 s, and prints
 * "twin=host|inside landed=0|1 reached=0|1" (twin: whether the bind made a socket of another
 * netns than the tool's own, the host's; reached: the twin connected, and read what the peer
 * said).
 */

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

#define SLOT	     100
#define SETTLE_MS    2000
#define CONNECT_WAIT 200 /* ms: a connect() that landed on the twin waits no longer */

static int twin, inside;
static atomic_bool stop;

static void *flip(void *arg)
{
	(void)arg;
	while (!stop) {
		dup2(inside, SLOT);
		dup2(twin, SLOT);
	}
	return NULL;
}

static int tcp_state(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	return getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 ? -1 : ti.tcpi_state;
}

/* The netns a socket belongs to, as the kernel names it (0 if it cannot say). */
static uint64_t netns_of(int fd)
{
	uint64_t cookie = 0;
	socklen_t len = sizeof(cookie);

	return getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) < 0 ? 0 : cookie;
}

int main(int argc, char **argv)
{
	struct sockaddr_in local = { .sin_family = AF_INET }, peer = { .sin_family = AF_INET };
	struct timeval wait = { .tv_usec = CONNECT_WAIT * 1000 };
	struct pollfd pfd;
	pthread_t th;
	char buf[64] = "";
	int tries, landed = 0, reached = 0;
	bool host;

	if (argc != 4) {
		fprintf(stderr, "usage: swaprace BIND_PORT PEER_PORT TRIES\n");
		return 2;
	}
	local.sin_port = htons((uint16_t)atoi(argv[1]));
	peer.sin_port = htons((uint16_t)atoi(argv[2]));
	peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	tries = atoi(argv[3]);
	twin = socket(AF_INET, SOCK_STREAM, 0);
	if (twin < 0 || bind(twin, (struct sockaddr *)&local, sizeof(local)) < 0) {
		perror("swaprace: bind");
		return 1;
	}
	/* A blocking connect() of the twin gives up soon: its answer may never come. */
	setsockopt(twin, SOL_SOCKET, SO_SNDTIMEO, &wait, sizeof(wait));
	inside = socket(AF_INET, SOCK_STREAM, 0);
	host = netns_of(twin) != netns_of(inside);
	pthread_create(&th, NULL, flip, NULL);
	for (int i = 0; i < tries && !landed; i++) {
		if (connect(SLOT, (struct sockaddr *)&peer, sizeof(peer)) < 0 &&
		    errno == ECONNREFUSED) {
			close(inside); /* refused inside: a fresh one for the next round */
			inside = socket(AF_INET, SOCK_STREAM, 0);
		}
		landed = tcp_state(twin) != TCP_CLOSE;
	}
	stop = true;
	pthread_join(th, NULL);
	if (landed) {
		pfd = (struct pollfd){ .fd = twin, .events = POLLIN };
		if (poll(&pfd, 1, SETTLE_MS) == 1 && tcp_state(twin) != TCP_SYN_SENT) {
			ssize_t n = recv(twin, buf, sizeof(buf) - 1, MSG_DONTWAIT);

			buf[n > 0 ? n : 0] = '\0';
			reached = n > 0;
		}
	}
	printf("twin=%s landed=%d reached=%d%s%s\n", host ? "host" : "inside", landed, reached,
	       reached ? " read=" : "", buf);
	return 0;
}
