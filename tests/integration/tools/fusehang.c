/*
 * A FUSE file whose pages are never read, and a connect() whose sockaddr is one of them: what
 * the bypass supervisor must read without hanging (the fourth outside attack on issue 24).
 *
 *   fusehang serve MOUNTPOINT [flush | slow MS | slowflush MS]
 *				(root) mount a one-file FUSE filesystem there (allow_other),
 *				print "mounted", then answer everything but READ (and FLUSH, with
 *				"flush": every close() of the file waits), forever. With "slow MS":
 *				every READ answered after MS ms, each page beginning with the
 *				sockaddr 10.0.2.3 port 53, and "READ <us>" and "ANSWERED <us>"
 *				logged (CLOCK_MONOTONIC) as each comes and is answered. With
 *				"slowflush MS": every FLUSH (a close() of the file) answered after
 *				MS ms, "FLUSH <us>" and "ANSWERED <us>" logged
 *   fusehang fastopen FILE N	N sendto()s with MSG_FASTOPEN to 10.0.2.3 port 53 on FILE's fd
 *				(no socket): what the supervisor takes a copy of, and closes; each
 *				answer printed "fastopen: <why>"
 *   fusehang slowconnect FILE N	N connect()s of UDP sockets, each one's sockaddr on a page
 *				of FILE not read before; each answer printed
 *   fusehang times ADDR N	N connect()s to ADDR port 53, sockaddr in ordinary memory,
 *				PAUSE_US apart, each printed "CONNECT <start us> <end us> <answer>"
 *   fusehang fdconnect FILE ADDR	connect() FILE's fd (no socket) to ADDR port 53: what the
 *				supervisor took a copy of, and closed; printed "connect: <why>"
 *   fusehang fdbind FILE ADDR	the same by bind() to ADDR port 53, printed "bind: <why>"
 *   fusehang connect FILE [ADDR GO]
 *				connect() a UDP socket with its sockaddr in an mmap of FILE;
 *				print "connect: ok" or "connect: <why>". With ADDR: then a
 *				connect() to ADDR port 53 (its answer printed), and once the file GO
 *				exists, connect()s to ADDR again until one is ok (at most
 *				RETRY_MAX), the last answer printed
 *   fusehang name ADDR		the same connect(), to ADDR port 53, its sockaddr in ordinary
 *				memory
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FILE_SIZE  4096
#define FILE_PAGES 1024 /* the file's length, in FILE_SIZE pages: slowconnect's at most */
#define PAUSE_US   20000
#define REPLY_MAX  65536
#define FILE_INO   2
#define PORT	   53
#define RETRY_MAX  100	  /* connect()s after GO ... */
#define RETRY_US   100000 /* ... this far apart */
#define GO_MAX	   300	  /* GO looked for this many times, RETRY_US apart, before giving up */

static int dev = -1;

static void reply(uint64_t unique, int error, const void *data, size_t len)
{
	static char buf[sizeof(struct fuse_out_header) + REPLY_MAX];
	struct fuse_out_header *h = (void *)buf;

	if (len > sizeof(buf) - sizeof(*h))
		len = 0;
	h->len = (uint32_t)(sizeof(*h) + len);
	h->error = error;
	h->unique = unique;
	if (len)
		memcpy(buf + sizeof(*h), data, len);
	if (write(dev, buf, h->len) < 0)
		perror("fusehang: write");
}

static void fill_attr(struct fuse_attr *a, uint64_t ino)
{
	memset(a, 0, sizeof(*a));
	a->ino = ino;
	a->mode = ino == FUSE_ROOT_ID ? (S_IFDIR | 0755) : (S_IFREG | 0644);
	a->nlink = 1;
	a->size = ino == FUSE_ROOT_ID ? 0 : (uint64_t)FILE_SIZE * FILE_PAGES;
	a->blocks = (uint64_t)FILE_SIZE * FILE_PAGES / 512;
	a->blksize = FILE_SIZE;
}

static long long now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

/* A READ of @size bytes, answered after @delay_ms: a sockaddr at the start of every page. */
static void slow_read(uint64_t unique, uint32_t size, int delay_ms)
{
	static char data[REPLY_MAX];
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	size_t len = size < sizeof(data) ? size : sizeof(data);

	fprintf(stderr, "READ %lld\n", now_us());
	inet_pton(AF_INET, "10.0.2.3", &sin.sin_addr);
	memset(data, 0, sizeof(data));
	for (size_t off = 0; off + sizeof(sin) <= len; off += FILE_SIZE)
		memcpy(data + off, &sin, sizeof(sin));
	usleep((useconds_t)delay_ms * 1000);
	reply(unique, 0, data, len);
	fprintf(stderr, "ANSWERED %lld\n", now_us());
}

/* A FLUSH answered after @delay_ms: a close() of the file waits that long. */
static void slow_flush(uint64_t unique, int delay_ms)
{
	fprintf(stderr, "FLUSH %lld\n", now_us());
	usleep((useconds_t)delay_ms * 1000);
	reply(unique, 0, NULL, 0);
	fprintf(stderr, "ANSWERED %lld\n", now_us());
}

static int serve(const char *mnt, bool hang_flush, int slow_ms, int flush_ms)
{
	static char buf[FUSE_MIN_READ_BUFFER * 2];
	char opts[128];

	dev = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		perror("fusehang: /dev/fuse");
		return 1;
	}
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other", dev);
	if (mount("fusehang", mnt, "fuse", MS_NOSUID | MS_NODEV, opts) < 0) {
		perror("fusehang: mount");
		return 1;
	}
	printf("mounted\n");
	fflush(stdout);
	for (;;) {
		ssize_t n = read(dev, buf, sizeof(buf));
		struct fuse_in_header *in = (void *)buf;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < (ssize_t)sizeof(*in))
			return n < 0 && errno == ENODEV ? 0 : 1; /* aborted, or unmounted */
		switch (in->opcode) {
		case FUSE_INIT: {
			struct fuse_init_out o = { .major = FUSE_KERNEL_VERSION,
						   .minor = 31,
						   .max_readahead = FILE_SIZE,
						   .max_write = FILE_SIZE,
						   .max_background = 16,
						   .congestion_threshold = 12 };
			reply(in->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_LOOKUP: {
			struct fuse_entry_out e = { .nodeid = FILE_INO, .generation = 1 };

			fill_attr(&e.attr, FILE_INO);
			reply(in->unique, 0, &e, sizeof(e));
			break;
		}
		case FUSE_GETATTR: {
			struct fuse_attr_out o = { 0 };

			fill_attr(&o.attr, in->nodeid);
			reply(in->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_OPEN:
		case FUSE_OPENDIR: {
			struct fuse_open_out o = { .fh = 1 };

			reply(in->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_READ:
			if (slow_ms > 0) {
				slow_read(in->unique, ((struct fuse_read_in *)(in + 1))->size,
					  slow_ms);
				break;
			}
			/* Read, never answered: whoever faults the page waits, uninterruptible. */
			fprintf(stderr, "fusehang: READ from pid %u, never answered\n", in->pid);
			break;
		case FUSE_FLUSH:
			if (flush_ms > 0) {
				slow_flush(in->unique, flush_ms);
				break;
			}
			if (!hang_flush) {
				reply(in->unique, 0, NULL, 0);
				break;
			}
			fprintf(stderr, "fusehang: FLUSH from pid %u, never answered\n", in->pid);
			break;
		case FUSE_FORGET:
		case FUSE_BATCH_FORGET:
		case FUSE_INTERRUPT:
			break;
		default:
			reply(in->unique, -ENOSYS, NULL, 0);
		}
	}
}

/* 0 or the errno of one connect(), printed if @say */
static int try_connect(const struct sockaddr *sa, bool say)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (s < 0 || connect(s, sa, sizeof(struct sockaddr_in)) < 0)
		err = errno;
	if (s >= 0)
		close(s);
	if (say)
		printf("connect: %s\n", err ? strerror(err) : "ok");
	return err;
}

/* After the page: one connect() to @sin, and once @go exists, more until one is ok. */
static int then_connect(const struct sockaddr_in *sin, const char *go)
{
	int i;

	try_connect((const struct sockaddr *)sin, true);
	for (i = 0; access(go, F_OK) < 0; i++) {
		if (i == GO_MAX)
			return 1;
		usleep(RETRY_US);
	}
	for (i = 0; i < RETRY_MAX - 1 && try_connect((const struct sockaddr *)sin, false); i++)
		usleep(RETRY_US);
	try_connect((const struct sockaddr *)sin, true);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(PORT) };

	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "serve"))
		return serve(argv[2], argc == 4 && !strcmp(argv[3], "flush"), 0, 0);
	if (argc == 5 && !strcmp(argv[1], "serve") && !strcmp(argv[3], "slow"))
		return serve(argv[2], false, atoi(argv[4]), 0);
	if (argc == 5 && !strcmp(argv[1], "serve") && !strcmp(argv[3], "slowflush"))
		return serve(argv[2], false, 0, atoi(argv[4]));
	setvbuf(stderr, NULL, _IOLBF, 0);
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc == 4 && !strcmp(argv[1], "slowconnect")) {
		int f = open(argv[2], O_RDONLY | O_CLOEXEC), n = atoi(argv[3]);
		char *p;

		if (f < 0 || n < 1 || n > FILE_PAGES) {
			fprintf(stderr, "fusehang: slowconnect: %s\n",
				f < 0 ? strerror(errno) : "N");
			return 1;
		}
		p = mmap(NULL, (size_t)FILE_SIZE * FILE_PAGES, PROT_READ, MAP_SHARED, f, 0);
		if (p == MAP_FAILED) {
			perror("fusehang: mmap");
			return 1;
		}
		for (int i = 0; i < n; i++)
			try_connect((const struct sockaddr *)(p + (size_t)i * FILE_SIZE), true);
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "times") &&
	    inet_pton(AF_INET, argv[2], &sin.sin_addr) == 1) {
		for (int i = 0; i < atoi(argv[3]); i++) {
			long long t0 = now_us();
			int err = try_connect((struct sockaddr *)&sin, false);

			printf("CONNECT %lld %lld %s\n", t0, now_us(), err ? strerror(err) : "ok");
			usleep(PAUSE_US);
		}
		return 0;
	}
	if ((argc == 3 || argc == 5) && !strcmp(argv[1], "connect")) {
		int f = open(argv[2], O_RDONLY | O_CLOEXEC);
		void *p;

		if (f < 0) {
			perror("fusehang: open");
			return 1;
		}
		p = mmap(NULL, FILE_SIZE, PROT_READ, MAP_SHARED, f, 0);
		if (p == MAP_FAILED) {
			perror("fusehang: mmap");
			return 1;
		}
		try_connect(p, true);
		if (argc == 5 && inet_pton(AF_INET, argv[3], &sin.sin_addr) == 1)
			return then_connect(&sin, argv[4]);
		return 0;
	}
	if (argc == 4 && (!strcmp(argv[1], "fdconnect") || !strcmp(argv[1], "fdbind")) &&
	    inet_pton(AF_INET, argv[3], &sin.sin_addr) == 1) {
		bool bnd = !strcmp(argv[1], "fdbind");
		int f = open(argv[2], O_RDONLY | O_CLOEXEC), r;

		if (f < 0) {
			perror("fusehang: open");
			return 1;
		}
		r = bnd ? bind(f, (struct sockaddr *)&sin, sizeof(sin))
			: connect(f, (struct sockaddr *)&sin, sizeof(sin));
		if (r < 0)
			printf("%s: %s\n", bnd ? "bind" : "connect", strerror(errno));
		else
			printf("%s: ok\n", bnd ? "bind" : "connect");
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "fastopen")) {
		int f = open(argv[2], O_RDONLY | O_CLOEXEC);

		if (f < 0) {
			perror("fusehang: open");
			return 1;
		}
		inet_pton(AF_INET, "10.0.2.3", &sin.sin_addr);
		for (int i = 0; i < atoi(argv[3]); i++) {
			if (sendto(f, "x", 1, MSG_FASTOPEN, (struct sockaddr *)&sin, sizeof(sin)) <
			    0)
				printf("fastopen: %s\n", strerror(errno));
			else
				printf("fastopen: sent\n");
		}
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "name") &&
	    inet_pton(AF_INET, argv[2], &sin.sin_addr) == 1)
		return try_connect((struct sockaddr *)&sin, true) ? 1 : 0;
	fprintf(stderr,
		"usage: fusehang serve MOUNTPOINT [flush | slow MS | slowflush MS] | connect FILE "
		"[ADDR GO] | fdconnect FILE ADDR | fdbind FILE ADDR | fastopen FILE N | name "
		"ADDR | slowconnect FILE N | times ADDR N\n");
	return 2;
}
