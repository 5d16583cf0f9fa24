/* twinroute: try to connect a twin (a bypassed socket) by a route other than connect(). */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/io_uring.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * Usage: twinroute ROUTE BIND_PORT PEER_PORT
 *
 * Makes a TCP socket and binds it to 0.0.0.0:BIND_PORT: under rootlet-bypass with that port
 * published, the socket is then a twin of the host's netns. Then connects it to
 * 127.0.0.1:PEER_PORT by ROUTE, past connect():
 *   io_uring  IORING_OP_CONNECT through a ring of its own
 *   i386      the i386 ABI's connect() (int $0x80, syscall 362)
 *   socketcall  the i386 ABI's socketcall(SYS_CONNECT)
 *   x32       the x32 ABI's connect() (the native number with the x32 bit)
 * and prints "bound=PORT" (the socket's local port: a twin's is the host's) and either
 * "read=TEXT" (what the peer said: the route reached it) or "error=ERRNO".
 * "twinroute i386-getpid" prints "getpid=ok" when the i386 ABI's getpid() works.
 */

#define I386_CONNECT	   362
#define I386_SOCKETCALL	   102
#define SOCKETCALL_CONNECT 3
#define RING_ENTRIES	   1
#define I386_GETPID	   20
#define X32_BIT		   0x40000000

static long int80(long nr, long a, long b, long c)
{
	long ret;

	/* int $0x80 from 64-bit code: 32-bit arguments, r8-r11 zeroed on return. */
	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a), "c"(b), "d"(c)
			 : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

/* @sa in memory below 4 GiB, where a 32-bit pointer reaches it. */
static struct sockaddr_in *low_copy(const struct sockaddr_in *sa)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
		       -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memcpy(p, sa, sizeof(*sa));
	return p;
}

static int by_i386(int fd, const struct sockaddr_in *sa, bool socketcall)
{
	struct sockaddr_in *low = low_copy(sa);
	uint32_t *args = low ? (uint32_t *)(low + 1) : NULL;
	long ret;

	if (!low)
		return -ENOMEM;
	if (socketcall) {
		args[0] = (uint32_t)fd;
		args[1] = (uint32_t)(uintptr_t)low;
		args[2] = sizeof(*low);
		ret = int80(I386_SOCKETCALL, SOCKETCALL_CONNECT, (long)(uintptr_t)args, 0);
	} else {
		ret = int80(I386_CONNECT, fd, (long)(uintptr_t)low, sizeof(*low));
	}
	return (int)ret;
}

static int by_io_uring(int fd, const struct sockaddr_in *sa)
{
	struct io_uring_params p = { 0 };
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
	unsigned *sq_tail, *sq_array, *cq_head;
	char *sq, *cq;
	int ring = (int)syscall(__NR_io_uring_setup, RING_ENTRIES, &p);

	if (ring < 0)
		return -errno;
	sq = mmap(NULL, p.sq_off.array + p.sq_entries * sizeof(unsigned), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQ_RING);
	cq = mmap(NULL, p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe),
		  PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_CQ_RING);
	sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED)
		return -ENOMEM;
	sq_tail = (unsigned *)(sq + p.sq_off.tail);
	sq_array = (unsigned *)(sq + p.sq_off.array);
	cq_head = (unsigned *)(cq + p.cq_off.head);
	cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	memset(&sqes[0], 0, sizeof(sqes[0]));
	sqes[0].opcode = IORING_OP_CONNECT;
	sqes[0].fd = fd;
	sqes[0].addr = (uint64_t)(uintptr_t)sa;
	sqes[0].off = sizeof(*sa);
	sq_array[0] = 0;
	__atomic_store_n(sq_tail, *sq_tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, ring, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
		return -errno;
	return cqes[*cq_head & *(unsigned *)(cq + p.cq_off.ring_mask)].res;
}

int main(int argc, char **argv)
{
	struct sockaddr_in local = { .sin_family = AF_INET }, peer = { .sin_family = AF_INET };
	socklen_t len = sizeof(local);
	char buf[64];
	ssize_t n;
	int fd, err;

	/* The rest of the i386 ABI: getpid() through int $0x80. */
	if (argc == 2 && !strcmp(argv[1], "i386-getpid")) {
		printf("getpid=%s\n", int80(I386_GETPID, 0, 0, 0) == getpid() ? "ok" : "wrong");
		return 0;
	}
	if (argc != 4) {
		fprintf(stderr,
			"usage: twinroute io_uring|i386|socketcall|x32 BIND_PORT PEER_PORT\n");
		return 2;
	}
	local.sin_port = htons((uint16_t)atoi(argv[2]));
	peer.sin_port = htons((uint16_t)atoi(argv[3]));
	peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&local, sizeof(local)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&local, &len) < 0) {
		perror("twinroute: socket");
		return 1;
	}
	printf("bound=%d ", ntohs(local.sin_port));
	if (!strcmp(argv[1], "io_uring"))
		err = by_io_uring(fd, &peer);
	else if (!strcmp(argv[1], "x32"))
		err = syscall(X32_BIT | SYS_connect, fd, &peer, sizeof(peer)) < 0 ? -errno : 0;
	else
		err = by_i386(fd, &peer, !strcmp(argv[1], "socketcall"));
	if (err < 0) {
		printf("error=%s\n", strerrorname_np(-err) ? strerrorname_np(-err) : "?");
		return 0;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	printf("read=%s\n", buf);
	return 0;
}
