/* fdflood: a blocking connect() restarted by a signal every millisecond, against a supervisor. */
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * Usage: fdflood ADDR PORT SECONDS PID
 *
 * A child connects a blocking TCP socket to ADDR:PORT (a peer that never answers) while
 * SIGALRM, with SA_RESTART, interrupts it every millisecond: under a seccomp-notify supervisor
 * each restart is a new notification. For SECONDS the parent samples how many fds PID (the
 * supervisor) holds (the size of /proc/PID/fd, readable without ptrace access), then kills the
 * child and prints "max_fds=N".
 */

#define SAMPLE_NS 50000000L

static void tick(int sig)
{
	(void)sig;
}

static void flood(const char *addr, int port)
{
	struct sigaction sa = { .sa_handler = tick, .sa_flags = SA_RESTART };
	struct itimerval it = { { 0, 1000 }, { 0, 1000 } };
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int s = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, addr, &a.sin_addr);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	for (;;)
		connect(s, (struct sockaddr *)&a, sizeof(a));
}

int main(int argc, char **argv)
{
	struct timespec pause = { 0, SAMPLE_NS }, now, end;
	char path[64];
	long max = 0;
	pid_t child;

	if (argc != 5) {
		fprintf(stderr, "usage: fdflood ADDR PORT SECONDS PID\n");
		return 2;
	}
	snprintf(path, sizeof(path), "/proc/%s/fd", argv[4]);
	child = fork();
	if (child == 0)
		flood(argv[1], atoi(argv[2]));
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += atoi(argv[3]);
	do {
		struct stat sb;

		if (stat(path, &sb) == 0 && sb.st_size > max)
			max = (long)sb.st_size;
		nanosleep(&pause, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec < end.tv_sec ||
		 (now.tv_sec == end.tv_sec && now.tv_nsec < end.tv_nsec));
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	printf("max_fds=%ld\n", max);
	return 0;
}
