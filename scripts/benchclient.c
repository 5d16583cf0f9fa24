/* make bench's load client (short connections per second, 64-byte round trips, a one-way
 * stream) and the echo server behind the forwarders, in C so that the figures are the
 * forwarder's and not an interpreter's. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PING_BYTES 64
#define NSEC	   1000000000.0
#define BACKLOG	   1024
#define EVENTS	   64
#define ECHO_BUF   65536
#define SINK_MAGIC "SINK" /* a connection that starts so is read and dropped, not echoed */
#define STREAM_BUF (256 * 1024)
#define FDS_MAX	   65536 /* the server's per-connection mode, by fd */

enum conn_mode {
	CONN_NEW,
	CONN_ECHO,
	CONN_SINK,
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / NSEC;
}

static int dial(const struct sockaddr_in *to)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)to, sizeof(*to)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int full_read(int fd, char *buf, size_t len)
{
	while (len) {
		ssize_t n = read(fd, buf, len);

		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Connect, one byte there and back, close: how many per second for @seconds. */
static int cps(const struct sockaddr_in *to, double seconds)
{
	double end = now() + seconds;
	long n = 0;
	char c = 'x';

	while (now() < end) {
		int fd = dial(to);

		if (fd < 0 || write(fd, &c, 1) != 1 || full_read(fd, &c, 1)) {
			fprintf(stderr, "benchclient: connection %ld: %s\n", n, strerror(errno));
			return 1;
		}
		close(fd);
		n++;
	}
	printf("%.0f\n", (double)n / seconds);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* @count round trips of PING_BYTES on one connection: "P50 P99" in microseconds. */
static int pingpong(const struct sockaddr_in *to, int count)
{
	double *samples = calloc((size_t)count, sizeof(double));
	char buf[PING_BYTES];
	int fd = dial(to);

	if (!samples || fd < 0) {
		fprintf(stderr, "benchclient: cannot connect: %s\n", strerror(errno));
		free(samples);
		return 1;
	}
	memset(buf, 'p', sizeof(buf));
	for (int i = 0; i < count; i++) {
		double t0 = now();

		if (write(fd, buf, sizeof(buf)) != sizeof(buf) || full_read(fd, buf, sizeof(buf))) {
			fprintf(stderr, "benchclient: round trip %d failed\n", i);
			free(samples);
			close(fd);
			return 1;
		}
		samples[i] = (now() - t0) * 1e6;
	}
	qsort(samples, (size_t)count, sizeof(double), cmp_double);
	printf("%.1f %.1f\n", samples[count / 2], samples[(size_t)count * 99 / 100]);
	free(samples);
	close(fd);
	return 0;
}

/* @count connect()s alone (each socket closed after): "P50 P99" of connect() in microseconds. */
static int connects(const struct sockaddr_in *to, int count)
{
	double *samples = calloc((size_t)count, sizeof(double));
	struct linger reset = { .l_onoff = 1, .l_linger = 0 };

	if (!samples)
		return 1;
	for (int i = 0; i < count; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		double t0 = now();

		if (fd < 0 || connect(fd, (const struct sockaddr *)to, sizeof(*to)) < 0) {
			fprintf(stderr, "benchclient: connect %d: %s\n", i, strerror(errno));
			free(samples);
			return 1;
		}
		samples[i] = (now() - t0) * 1e6;
		/* Closed with a reset: thousands of runs leave no TIME_WAIT to run out of ports. */
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
		close(fd);
	}
	qsort(samples, (size_t)count, sizeof(double), cmp_double);
	printf("%.1f %.1f\n", samples[count / 2], samples[(size_t)count * 99 / 100]);
	free(samples);
	return 0;
}

/*
 * A program that makes many syscalls and no socket call: @count rounds of getppid(), a
 * one-byte read of /dev/zero and fstat(); nanoseconds per round.
 */
static int syscalls(long count)
{
	int fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	struct stat st;
	double t0;
	char c;

	if (fd < 0)
		return 1;
	t0 = now();
	for (long i = 0; i < count; i++)
		if (getppid() < 0 || read(fd, &c, 1) != 1 || fstat(fd, &st) < 0)
			return 1;
	printf("%.1f\n", (now() - t0) * NSEC / (double)count);
	close(fd);
	return 0;
}

/*
 * An allow-all seccomp filter: the cost any filter has, whatever its rules (the kernel's
 * seccomp entry on every syscall), to tell it from what a filter's own rules cost.
 */
static int empty_filter(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int err = ctx ? seccomp_load(ctx) : -ENOMEM;

	seccomp_release(ctx);
	return err;
}

/* One-way: write for @seconds (after SINK_MAGIC), then wait until the server has read it all. */
static int stream(const struct sockaddr_in *to, double seconds)
{
	static char buf[STREAM_BUF];
	int fd = dial(to);
	double start, end;
	size_t total = 0;

	if (fd < 0 || write(fd, SINK_MAGIC, strlen(SINK_MAGIC)) != (ssize_t)strlen(SINK_MAGIC)) {
		fprintf(stderr, "benchclient: stream: %s\n", strerror(errno));
		return 1;
	}
	start = now();
	end = start + seconds;
	while (now() < end) {
		ssize_t n = write(fd, buf, sizeof(buf));

		if (n <= 0) {
			fprintf(stderr, "benchclient: stream: %s\n", strerror(errno));
			return 1;
		}
		total += (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	printf("%.3f\n", (double)total * 8 / (now() - start) / 1e9);
	close(fd);
	return 0;
}

/* A listening socket of our own, or the one at @fd (socket activation). */
static int listener(const struct sockaddr_in *at, int fd)
{
	int one = 1;

	if (fd >= 0)
		return fcntl(fd, F_SETFL, O_NONBLOCK) ? -1 : fd;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (const struct sockaddr *)at, sizeof(*at)) || listen(fd, BACKLOG))
		return -1;
	return fd;
}

/* The first read of a connection says what it is: a stream's magic, or echoed data. */
static bool sink_or_echo(int fd, char *buf, ssize_t got, unsigned char *mode)
{
	if (*mode == CONN_NEW)
		*mode = got >= (ssize_t)strlen(SINK_MAGIC) &&
					!memcmp(buf, SINK_MAGIC, strlen(SINK_MAGIC))
				? CONN_SINK
				: CONN_ECHO;
	return *mode == CONN_SINK || write(fd, buf, (size_t)got) == got;
}

/* Echo every connection on one thread, until killed: accept and echo cost a few syscalls. */
static int serve(const struct sockaddr_in *at, int inherited)
{
	int lfd = listener(at, inherited), one = 1;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN }, evs[EVENTS];
	static unsigned char mode[FDS_MAX];
	static char buf[ECHO_BUF];

	if (lfd < 0 || ep < 0) {
		fprintf(stderr, "benchclient: serve: %s\n", strerror(errno));
		return 1;
	}
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		int n = epoll_wait(ep, evs, EVENTS, -1);

		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			ssize_t got;

			if (fd == lfd) {
				int c;

				while ((c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
					if (c >= FDS_MAX) {
						close(c);
						continue;
					}
					mode[c] = CONN_NEW;
					setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
					ev.data.fd = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
				}
				continue;
			}
			got = read(fd, buf, sizeof(buf));
			if (got <= 0 || !sink_or_echo(fd, buf, got, &mode[fd]))
				close(fd); /* leaves the epoll set with it */
		}
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in to = { .sin_family = AF_INET };

	if (argc == 4 && !strcmp(argv[1], "serve") && !strcmp(argv[2], "fd"))
		return serve(NULL, atoi(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "syscalls"))
		return syscalls(atol(argv[2]));
	if (argc == 4 && !strcmp(argv[1], "syscalls") && !strcmp(argv[3], "empty"))
		return empty_filter() ? 1 : syscalls(atol(argv[2]));
	if (argc >= 3 && !strcmp(argv[1], "empty-filter")) {
		if (empty_filter())
			return 1;
		execvp(argv[2], argv + 2);
		return 127;
	}
	if (argc < 4 || inet_pton(AF_INET, argv[2], &to.sin_addr) != 1 ||
	    (argc != 5 && strcmp(argv[1], "serve"))) {
		fprintf(stderr,
			"Usage: benchclient cps|pingpong|stream|connect IPV4 PORT SECONDS|COUNT\n"
			"       benchclient syscalls COUNT\n"
			"       benchclient serve IPV4 PORT\n"
			"       benchclient serve fd FD\n");
		return 2;
	}
	to.sin_port = htons((uint16_t)atoi(argv[3]));
	if (!strcmp(argv[1], "serve"))
		return serve(&to, -1);
	if (!strcmp(argv[1], "stream"))
		return stream(&to, atof(argv[4]));
	if (!strcmp(argv[1], "cps"))
		return cps(&to, atof(argv[4]));
	if (!strcmp(argv[1], "pingpong"))
		return pingpong(&to, atoi(argv[4]));
	if (!strcmp(argv[1], "connect"))
		return connects(&to, atoi(argv[4]));
	fprintf(stderr, "benchclient: unknown mode '%s'\n", argv[1]);
	return 2;
}
