/*
 * A FUSE file whose pages are never read, and a connect() whose sockaddr is one of them: what
 * the bypass supervisor must read without hanging (the fourth outside attack on issue 24).
 *
 *   fusehang serve MOUNTPOINT [flush]
 *				(root) mount a one-file FUSE filesystem there (allow_other),
 *				print "mounted", then answer everything but READ (and FLUSH, with
 *				"flush": every close() of the file waits), forever
 *   fusehang fdconnect FILE ADDR	connect() FILE's fd (no socket) to ADDR port 53: what the
 *				supervisor takes a copy of, and closes
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
#include <unistd.h>

#define FILE_SIZE 4096
#define FILE_INO  2
#define PORT	  53
#define RETRY_MAX 100	 /* connect()s after GO ... */
#define RETRY_US  100000 /* ... this far apart */
#define GO_MAX	  300	 /* GO looked for this many times, RETRY_US apart, before giving up */

static int dev = -1;

static void reply(uint64_t unique, int error, const void *data, size_t len)
{
	char buf[sizeof(struct fuse_out_header) + 256];
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
	a->size = ino == FUSE_ROOT_ID ? 0 : FILE_SIZE;
	a->blocks = 8;
	a->blksize = FILE_SIZE;
}

static int serve(const char *mnt, bool hang_flush)
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
			/* Read, never answered: whoever faults the page waits, uninterruptible. */
			fprintf(stderr, "fusehang: READ from pid %u, never answered\n", in->pid);
			break;
		case FUSE_FLUSH:
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
		return serve(argv[2], argc == 4 && !strcmp(argv[3], "flush"));
	setvbuf(stdout, NULL, _IONBF, 0);
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
	if (argc == 4 && !strcmp(argv[1], "fdconnect") &&
	    inet_pton(AF_INET, argv[3], &sin.sin_addr) == 1) {
		int f = open(argv[2], O_RDONLY | O_CLOEXEC);

		if (f < 0) {
			perror("fusehang: open");
			return 1;
		}
		if (connect(f, (struct sockaddr *)&sin, sizeof(sin)) < 0)
			printf("connect: %s\n", strerror(errno));
		else
			printf("connect: ok\n");
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "name") &&
	    inet_pton(AF_INET, argv[2], &sin.sin_addr) == 1)
		return try_connect((struct sockaddr *)&sin, true) ? 1 : 0;
	fprintf(stderr, "usage: fusehang serve MOUNTPOINT [flush] | connect FILE [ADDR GO] | "
			"fdconnect FILE ADDR | name ADDR\n");
	return 2;
}
