/* churn: many short TCP connections at once, and the server that takes each and closes it. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/*
 * Usage: churn serve ADDR PORT [keep]
 *        churn connect ADDR PORT COUNT PARALLEL [TIMEOUT_S]
 *        churn hold ADDR PORT COUNT SECONDS
 *
 * ADDR: an IPv4 or an IPv6 address.
 *
 * serve: accept every connection and close it at once, until killed (a busy container's
 * peer: the host's server that answers and hangs up); with "keep", keep each open instead.
 * connect: COUNT connections, PARALLEL at a time; each is done when the server's close
 * reaches it (end of file) and is closed then. Prints "ok N errors N refused N seconds S".
 * Any connection not finished TIMEOUT_S (default 30) after it was started counts as an error.
 * hold: COUNT connections tried one after the other and those made kept open for SECONDS;
 * prints "held N refused N" once all were tried.
 */

#define BACKLOG	     4096
#define EVENTS	     256
#define NSEC	     1000000000.0
#define TIMEOUT_S    30.0
#define PARALLEL_MAX 4096
#define READ_BUF     512

/* An IPv4 or IPv6 address and port. */
struct addr {
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} u;
	socklen_t len;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / NSEC;
}

static int serve(const struct addr *at, bool keep)
{
	int lfd = socket(at->u.sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, &at->u.sa, at->len) || listen(lfd, BACKLOG)) {
		fprintf(stderr, "churn: serve: %s\n", strerror(errno));
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (c >= 0 && !keep)
			close(c);
	}
}

struct slot {
	int fd;
	double started;
};

static int start_one(const struct addr *to, int ep, struct slot *s)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };

	s->fd = socket(to->u.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return -errno;
	s->started = now();
	if (connect(s->fd, &to->u.sa, to->len) < 0 && errno != EINPROGRESS) {
		int err = -errno;

		close(s->fd);
		s->fd = -1;
		return err;
	}
	ev.data.ptr = s;
	epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev);
	return 0;
}

static int connects(const struct addr *to, long count, int parallel, double timeout)
{
	struct slot *slots = calloc((size_t)parallel, sizeof(*slots));
	int ep = epoll_create1(EPOLL_CLOEXEC);
	long started = 0, ok = 0, errors = 0, refused = 0;
	struct epoll_event evs[EVENTS];
	double t0 = now();
	char buf[READ_BUF];

	if (!slots || ep < 0)
		return 1;
	for (int i = 0; i < parallel; i++)
		slots[i].fd = -1;
	while (ok + errors < count) {
		for (int i = 0; i < parallel && started < count; i++) {
			if (slots[i].fd >= 0)
				continue;
			started++;
			if (start_one(to, ep, &slots[i]) < 0)
				errors++;
		}
		int n = epoll_wait(ep, evs, EVENTS, 100);

		for (int i = 0; i < n; i++) {
			struct slot *s = evs[i].data.ptr;
			ssize_t got = read(s->fd, buf, sizeof(buf));
			int err = errno;

			if (got > 0 || (got < 0 && err == EAGAIN))
				continue;
			if (got == 0) {
				ok++;
			} else {
				errors++;
				refused += err == ECONNREFUSED || err == ECONNRESET;
			}
			close(s->fd);
			s->fd = -1;
		}
		for (int i = 0; i < parallel; i++)
			if (slots[i].fd >= 0 && now() - slots[i].started > timeout) {
				close(slots[i].fd);
				slots[i].fd = -1;
				errors++;
			}
	}
	printf("ok %ld errors %ld refused %ld seconds %.3f\n", ok, errors, refused, now() - t0);
	free(slots);
	close(ep);
	return 0;
}

static int hold(const struct addr *to, long count, unsigned seconds)
{
	long held = 0, refused = 0;

	for (long i = 0; i < count; i++) {
		int fd = socket(to->u.sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd >= 0 && connect(fd, &to->u.sa, to->len) == 0) {
			held++;
			continue;
		}
		refused += errno == ECONNREFUSED || errno == ECONNRESET;
		if (fd >= 0)
			close(fd);
	}
	printf("held %ld refused %ld\n", held, refused);
	fflush(stdout);
	sleep(seconds);
	return 0;
}

int main(int argc, char **argv)
{
	struct addr to = { .u.in = { .sin_family = AF_INET }, .len = sizeof(to.u.in) };
	uint16_t port;

	if (argc >= 4 && inet_pton(AF_INET6, argv[2], &to.u.in6.sin6_addr) == 1) {
		to.u.in6.sin6_family = AF_INET6;
		to.len = sizeof(to.u.in6);
	} else if (argc < 4 || inet_pton(AF_INET, argv[2], &to.u.in.sin_addr) != 1) {
		fprintf(stderr, "Usage: churn serve|connect|hold ADDR PORT [COUNT [PARALLEL]]\n");
		return 2;
	}
	port = htons((uint16_t)atoi(argv[3]));
	if (to.u.sa.sa_family == AF_INET6)
		to.u.in6.sin6_port = port;
	else
		to.u.in.sin_port = port;
	if (!strcmp(argv[1], "serve"))
		return serve(&to, argc > 4 && !strcmp(argv[4], "keep"));
	if (!strcmp(argv[1], "connect") && argc >= 6 && atoi(argv[5]) > 0 &&
	    atoi(argv[5]) <= PARALLEL_MAX)
		return connects(&to, atol(argv[4]), atoi(argv[5]),
				argc > 6 ? atof(argv[6]) : TIMEOUT_S);
	if (!strcmp(argv[1], "hold") && argc == 6)
		return hold(&to, atol(argv[4]), (unsigned)atoi(argv[5]));
	fprintf(stderr, "churn: bad arguments\n");
	return 2;
}
