/* rootlet-dns: a shared network's DNS responder, in its infra netns, on lib/evloop. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <unistd.h>

#include "strfmt.h"
#include "cmdline_main.h"
#include "dns.h"
#include "fileio.h"
#include "log.h"
#include "pidfile.h"
#include "state.h"
#include "ready.h"

#define INOTIFY_BUF 4096

enum {
	OPT_NETNS = 256,
	OPT_LISTEN,
	OPT_UPSTREAM,
	OPT_READY,
	OPT_DEBUG,
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: rootlet-dns --netns NAME --listen IP [--upstream IP] [--ready-fd FD] "
		"[--debug]\n"
		"A shared network's DNS responder, run by rootlet-network in the network's infra\n"
		"netns: the containers' names (the entry's hosts file, re-read when it changes)\n"
		"answered, any other name forwarded to the upstream resolver.\n"
		"\n"
		"  --netns NAME      the infra's rootlet netns (joined, user namespace first)\n"
		"  --listen IP       the address to answer on, port 53 (the gateway's)\n"
		"  --upstream IP     where other names go (slirp's 10.0.2.3); none: NXDOMAIN\n"
		"  --ready-fd FD     write 1 to FD once answering\n"
		"  --debug           log each query on stderr\n"
		"  -h, --help        this text\n"
		"  -V, --version     print the version\n"
		"\n"
		"Exit: 0 on SIGTERM or when the netns's holder exits, 1 failed, 2 usage.\n");
}

static int parse(int argc, char **argv, struct dns_cfg *cfg)
{
	static const struct option opts[] = {
		{ "netns", required_argument, NULL, OPT_NETNS },
		{ "listen", required_argument, NULL, OPT_LISTEN },
		{ "upstream", required_argument, NULL, OPT_UPSTREAM },
		{ "ready-fd", required_argument, NULL, OPT_READY },
		{ "debug", no_argument, NULL, OPT_DEBUG },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct cmdline_prog prog = { "rootlet-dns", usage };
	bool listen = false;
	int c;

	opterr = 0;
	while ((c = cmdline_next(&prog, argc, argv, "hV", opts)) != -1) {
		switch (c) {
		case OPT_NETNS:
			cfg->netns = optarg;
			break;
		case OPT_LISTEN:
			if (inet_pton(AF_INET, optarg, &cfg->listen) != 1)
				return cmdline_usage(prog.name,
						     "--listen '%s': not an IPv4 address", optarg);
			listen = true;
			break;
		case OPT_UPSTREAM:
			if (inet_pton(AF_INET, optarg, &cfg->upstream) != 1)
				return cmdline_usage(
					prog.name, "--upstream '%s': not an IPv4 address", optarg);
			break;
		case OPT_READY:
			if (cmdline_open_fd(optarg, &cfg->ready_fd))
				return cmdline_usage(prog.name, "--ready-fd '%s': not an open fd",
						     optarg);
			break;
		case OPT_DEBUG:
			cfg->debug = true;
			break;
		default:
			return cmdline_unknown_option(prog.name, argv);
		}
	}
	if (optind < argc)
		return cmdline_usage(prog.name, "unexpected argument '%s'", argv[optind]);
	if (!cfg->netns || !listen)
		return cmdline_usage(prog.name, "%s", "--netns NAME and --listen IP are needed");
	return 0;
}

/* The hosts file, read again; a missing one is no names. */
static void reload(struct dns_daemon *d)
{
	struct dns_table t = { 0 };
	char *text = NULL;
	size_t len;
	int err = file_read_max(d->dir_fd, STATE_HOSTS, DNS_HOSTS_MAX, &text, &len);

	if (err && err != -ENOENT) {
		log_warn("%s: %s; keeping the names I have", STATE_HOSTS, strerror(-err));
		return;
	}
	if (table_parse(text ? text : "", &t)) {
		free(text);
		return;
	}
	free(text);
	table_free(&d->table);
	d->table = t;
	log_debug(d->cfg->debug, "%zu names", t.n);
}

/* The entry's directory changed: read the names again only if it was the hosts file. */
static void hosts_changed(struct evloop *l, void *obj, int fd, uint32_t events)
{
	char buf[INOTIFY_BUF] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool hosts = false;
	ssize_t n;

	(void)l;
	(void)events;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			hosts |= ev->len && !strcmp(ev->name, STATE_HOSTS);
			p += sizeof(*ev) + ev->len;
		}
	if (hosts)
		reload(obj);
}

static void query(struct evloop *l, void *obj, int fd, uint32_t events)
{
	struct dns_daemon *d = obj;
	uint8_t q[DNS_MSG_MAX], out[DNS_MSG_MAX];
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	ssize_t n;

	(void)l;
	(void)events;
	while ((n = recvfrom(fd, q, sizeof(q), MSG_DONTWAIT, (struct sockaddr *)&from, &flen)) >=
	       0) {
		size_t olen = sizeof(out);

		switch (dns_answer(&d->table, q, (size_t)n, d->upstream.sin_addr.s_addr != 0, out,
				   &olen)) {
		case DNS_ANSWERED:
			sendto(fd, out, olen, MSG_DONTWAIT, (struct sockaddr *)&from, flen);
			break;
		case DNS_FORWARD:
			forward_query(d, q, (size_t)n, &from);
			break;
		case DNS_DROP:
			break;
		}
		flen = sizeof(from);
	}
}

/* :53 on @addr, for the containers' queries. */
static int udp_socket(struct in_addr addr, struct dns_cfg *cfg)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(DNS_PORT),
				   .sin_addr = addr };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), err;

	if (fd < 0)
		return err_errno(&cfg->err, -errno, "socket");
	/* No SO_REUSEADDR: nobody else may bind our port and take the queries. */
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		err = -errno;
		close(fd);
		return err_errno(&cfg->err, err, "binding %s:%d", inet_ntoa(addr), DNS_PORT);
	}
	return fd;
}

/* Steps 1 and 2 of isolate.c's timeline: namespaces, sockets, inotify, the pid file. */
static int setup(struct dns_daemon *d, struct dns_cfg *cfg)
{
	char watch[sizeof("/proc/self/fd/2147483647")];
	int holder_fd, err;

	if ((err = dns_isolate_user_net(cfg, &d->dir_fd, &holder_fd)))
		return err;
	if ((err = evloop_init(&d->ev, -1)) ||
	    (holder_fd >= 0 && (err = evloop_quit_on(&d->ev, holder_fd))))
		return err_errno(&cfg->err, err, "event loop");
	if ((d->udp_fd = udp_socket(cfg->listen, cfg)) < 0)
		return d->udp_fd;
	/*
	 * Each forwarded query gets a socket of its own when it is sent (forward.c): none now,
	 * since the route to the upstream (slirp's tap) may come up after we start.
	 */
	d->upstream = (struct sockaddr_in){ .sin_family = AF_INET,
					    .sin_port = htons(DNS_PORT),
					    .sin_addr = cfg->upstream };
	if ((err = str_fmt(watch, sizeof(watch), "/proc/self/fd/%d", d->dir_fd)))
		return err_errno(&cfg->err, err, "inotify");
	d->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (d->inotify_fd < 0 ||
	    inotify_add_watch(d->inotify_fd, watch, IN_MOVED_TO | IN_CLOSE_WRITE) < 0)
		return err_errno(&cfg->err, -errno, "inotify");
	reload(d);
	if ((err = evloop_watch(&d->ev, d->udp_fd, EPOLLIN, query, d)) ||
	    (err = evloop_watch(&d->ev, d->inotify_fd, EPOLLIN, hosts_changed, d)))
		return err_errno(&cfg->err, err, "event loop");
	if ((err = pidfile_write(d->dir_fd, STATE_DNS_PIDFILE, getpid())))
		return err_errno(&cfg->err, err, "%s", STATE_DNS_PIDFILE);
	return 0;
}

int main(int argc, char **argv)
{
	static struct dns_cfg cfg = { .ready_fd = -1 };
	/* Zeroed (bss), set below: its query slots' pages stay untouched until used. */
	static struct dns_daemon d;
	int err, no_notify = -1; /* it says nothing to systemd, as before */

	if (parse(argc, argv, &cfg))
		return CMDLINE_EXIT_USAGE;
	d.ev.epfd = d.ev.signal_fd = -1;
	d.udp_fd = d.dir_fd = d.inotify_fd = -1;
	d.expiry = (struct evloop_timer){ .expire_ms = -1, .fn = forward_expire };
	d.cfg = &cfg;
	if ((err = setup(&d, &cfg)) || (err = dns_isolate_fs_caps(&cfg)) ||
	    (err = dns_isolate_syscalls(&cfg))) {
		log_error("%s", err_why(&cfg.err, err));
		if (d.dir_fd >= 0)
			unlinkat(d.dir_fd, STATE_DNS_PIDFILE, 0);
		return EXIT_FAILURE;
	}
	err = ready_serve(&d.ev, &cfg.ready_fd, &no_notify);
	table_free(&d.table);
	evloop_free(&d.ev);
	return err ? EXIT_FAILURE : 0;
}
