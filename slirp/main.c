/* rootlet-slirp: libslirp user-mode networking for a netns, a drop-in for slirp4netns. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "api.h"
#include "apiserver.h"
#include "cmdline_main.h"
#include "hostfwd.h"
#include "log.h"
#include "loop.h"
#include "owner.h"
#include "pidfile.h"
#include "proc.h"
#include "ready.h"
#include "sdnotify.h"
#include "slirp.h"
#include "state.h"

#define EXIT_USAGE	  2 /* the rootlet form (--netns NAME) */
#define EXIT_USAGE_COMPAT 1 /* slirp4netns' form: it exits 1 on a usage error */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: rootlet-slirp [OPTION]... PID|PATH [TAPNAME]\n"
		"       rootlet-slirp --netns NAME [OPTION]...\n"
		"User-mode networking for unprivileged network namespaces (a drop-in for\n"
		"slirp4netns; libslirp %s).\n"
		"\n"
		"-c, --configure          bring up the interface\n"
		"-e, --exit-fd=FD         specify the FD for terminating rootlet-slirp\n"
		"-r, --ready-fd=FD        specify the FD to write to when the network is "
		"configured\n"
		"-m, --mtu=MTU            specify MTU (default=1500, max=65521)\n"
		"-6, --enable-ipv6        enable IPv6\n"
		"-a, --api-socket=PATH    specify API socket path\n"
		"--cidr=CIDR              specify network address CIDR (default=10.0.2.0/24)\n"
		"--disable-host-loopback  prohibit connecting to 127.0.0.1:* on the host "
		"namespace\n"
		"--netns-type=TYPE        specify network namespace type ([path|pid], "
		"default=pid)\n"
		"--userns-path=PATH       specify user namespace path\n"
		"--enable-sandbox         create a new mount namespace (and drop all caps except\n"
		"                         CAP_NET_BIND_SERVICE if running as the root)\n"
		"--enable-seccomp         enable seccomp to limit syscalls (an allow-list)\n"
		"--outbound-addr=IPv4     sets outbound ipv4 address to bound to\n"
		"--outbound-addr6=IPv6    sets outbound ipv6 address to bound to\n"
		"--disable-dns            disables 10.0.2.3 (or configured internal ip) to host "
		"dns "
		"redirect\n"
		"--macaddress=MAC         specify the MAC address of the TAP (only valid with -c)\n"
		"--target-type=TYPE       specify the target type (netns only; slirp4netns' bess\n"
		"                         is not supported)\n"
		"--netns=NAME             a rootlet-netns netns: paths, API socket and pid file "
		"from\n"
		"                         its state directory; implies -c\n"
		"--wait-fd=FD             read a byte from FD before opening the namespaces "
		"(they\n"
		"                         may not exist before); end of file there: exit 1\n"
		"--busy-poll=USEC         after giving the guest data, poll this long before "
		"sleeping\n"
		"                         (default 50, 0: never)\n"
		"--max-sockets=N          host sockets the guest may hold at once; past it new\n"
		"                         connections are refused (default: what 400 MiB of full\n"
		"                         buffers hold, at most 2048: 1067 at MTU 65520, 1596 at\n"
		"                         1500; 0: no limit)\n"
		"--max-sockets-per-source=N  of them, from one guest address (default half of\n"
		"                         --max-sockets)\n"
		"--masq6-subnet=SUBNET    a shared network's infra: IPv6 from the guest's own\n"
		"                         address counts, by source port, in the share of the\n"
		"                         container of IPv4 subnet SUBNET whose port range it is\n"
		"                         in (rootlet-network's split; rootlet-slirp(1))\n"
		"--debug                  log details on stderr\n"
		"-h, --help               show this help and exit\n"
		"-v, --version            show version and exit\n"
		"\n"
		"Exit: 0 when the exit fd hangs up or on SIGTERM, 1 on failure or a usage error\n"
		"(as slirp4netns), 2 on a usage error of the --netns NAME form.\n",
		slirp_version_string());
}

static void version(void)
{
	const struct scmp_version *sv = seccomp_version();

	printf("rootlet-slirp version %s\n", ROOTLET_VERSION);
	printf("commit: %s\n", ROOTLET_COMMIT);
	printf("libslirp: %s\n", slirp_version_string());
	printf("SLIRP_CONFIG_VERSION_MAX: %d\n", SLIRP_CONFIG_VERSION_MAX);
	printf("libseccomp: %u.%u.%u\n", sv->major, sv->minor, sv->micro);
}

static void cfg_defaults(struct slirp_cfg *cfg)
{
	cfg->mtu = SLIRP_DEFAULT_MTU;
	cfg->ready_fd = cfg->exit_fd = cfg->wait_fd = -1;
	cfg->busy_poll_us = SLIRP_BUSY_POLL_US;
	inet_pton(AF_INET, SLIRP_NET4, &cfg->net);
	cfg->mask.s_addr = htonl(~0U << (32 - SLIRP_PREFIX4));
	cfg->prefix = SLIRP_PREFIX4;
	snprintf(cfg->tapname, sizeof(cfg->tapname), "%s", SLIRP_TAP);
}

static int check_fd(struct slirp_cfg *cfg, int fd, const char *what)
{
	if (fd >= 0 && fcntl(fd, F_GETFD) < 0) {
		return err_make(&cfg->err, -EBADF, "%s %d is not an open fd", what, fd);
	}
	return 0;
}

/* --wait-fd: rootlet-netns add started us early and says go once the namespaces exist. */
static int wait_for_go(struct slirp_cfg *cfg)
{
	int err = ready_wait_go(&cfg->wait_fd);

	return err ? err_make(&cfg->err, err, "--wait-fd: closed before go; giving up") : 0;
}

/*
 * Everything that must be in place before ready is written, in the order of the privilege
 * timeline (isolate.c); cfg->err on failure.
 */
static int slirp_setup(struct slirp_cfg *cfg, struct loop *l, struct hostfwd_table *fwd)
{
	int tap_fd = -1, err, state_fd, owner_fd;

	slirp_isolate_initial();
	if (cfg->wait_fd >= 0 && (err = wait_for_go(cfg)))
		return err;
	if ((err = tap_open_in_netns(cfg, &tap_fd)))
		return err;
	if ((err = loop_init(l, tap_fd, cfg->exit_fd, cfg->mtu, slirp_tap_vnet(cfg))) ||
	    (err = conns_init(&l->conns, cfg->max_sockets, cfg->max_per_source,
			      cfg->have_masq6 ? &cfg->masq6 : NULL))) {
		return err_errno(&cfg->err, err, "event loop");
	}
	/* While /proc is still ours: the holder that keeps a rootlet netns, if it is one. */
	if ((err = owner_pidfd(cfg->netns_path, &owner_fd)) ||
	    (owner_fd >= 0 && (err = evloop_quit_on(&l->ev, owner_fd)))) {
		return err_make(&cfg->err, err, "%s: %s", cfg->netns_path,
				err == -ESRCH ? "its holder is gone (the netns is stale)"
					      : strerror(-err));
	}
	if (l->diag_fd < 0)
		log_warn("NETLINK_SOCK_DIAG: %s: the guest's replies through UDP forwards on "
			 "loopback will be dropped",
			 strerror(-l->diag_fd));
	l->owner_fd = owner_fd;
	l->net = cfg->net;
	l->mask = cfg->mask;
	l->debug = cfg->debug;
	evloop_busy_poll(&l->ev, cfg->busy_poll_us);
	glog_limit_install(&l->glog, cfg->debug);
	l->slirp = stack_new(cfg, l);
	if (!l->slirp) {
		return err_make(&cfg->err, -EINVAL, "libslirp refused the configuration");
	}
	fwd->slirp = l->slirp;
	fwd->cfg = cfg;
	fwd->loop = l;
	l->fwd = fwd;
	if (cfg->api_path[0] &&
	    !(l->api = apiserver_new(cfg->api_path, &l->ev, api_handle, l, &err))) {
		return err_errno(&cfg->err, err, "API socket %s", cfg->api_path);
	}
	if (cfg->state_dir[0]) {
		state_fd = open(cfg->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		err = state_fd < 0 ? -errno
				   : pidfile_write(state_fd, STATE_SLIRP_PIDFILE, getpid());
		if (state_fd >= 0)
			close(state_fd);
		if (err) {
			return err_errno(&cfg->err, err, "%s/%s", cfg->state_dir,
					 STATE_SLIRP_PIDFILE);
		}
	}
	if ((err = slirp_isolate_fs(cfg)) || (err = slirp_isolate_caps(cfg)) ||
	    (err = slirp_isolate_syscalls(cfg)))
		return err;
	return 0;
}

int main(int argc, char **argv)
{
	static struct slirp_cfg cfg;
	struct hostfwd_table fwd = { 0 };
	struct loop l = { .ev = { .epfd = -1, .signal_fd = -1 }, .tap_fd = -1, .owner_fd = -1 };
	int notify_fd = -1, err;

	trim_heap_setup();
	cfg_defaults(&cfg);
	err = opts_parse(argc, argv, &cfg);
	if (err == 1) {
		usage(stdout);
		return 0;
	}
	if (err == 2) {
		version();
		return 0;
	}
	if (err) {
		cmdline_usage_why("rootlet-slirp", &cfg.err, err);
		return cfg.rootlet_name ? EXIT_USAGE : EXIT_USAGE_COMPAT;
	}
	if (check_fd(&cfg, cfg.ready_fd, "--ready-fd") ||
	    check_fd(&cfg, cfg.exit_fd, "--exit-fd") || check_fd(&cfg, cfg.wait_fd, "--wait-fd")) {
		log_error("%s", err_why(&cfg.err, -EINVAL));
		return cfg.rootlet_name ? EXIT_USAGE : EXIT_USAGE_COMPAT;
	}

	/*
	 * Only as rootlet-slirp --netns NAME: as slirp4netns we are an engine's helper, and a
	 * NOTIFY_SOCKET we inherit is the engine's, not ours to answer.
	 */
	if (cfg.rootlet_name && (err = sdnotify_open(&notify_fd)))
		log_warn("%s: %s: not notifying", SDNOTIFY_ENV, strerror(-err));
	if ((err = slirp_setup(&cfg, &l, &fwd))) {
		log_error("%s", err_why(&cfg.err, err));
		err = EXIT_FAILURE;
		goto out;
	}
	printf("starting slirp, MTU=%u\n", cfg.mtu);
	fflush(stdout);
	log_debug(cfg.debug, "forwarding %s in %s", cfg.tapname, cfg.netns_path);
	trim_setup_pages();
	err = ready_serve(&l.ev, &cfg.ready_fd, &notify_fd) ? EXIT_FAILURE : 0;
	tap_leave_to_netns(l.tap_fd, l.owner_fd);
out:
	apiserver_free(l.api);
	hostfwd_free(&fwd);
	if (l.slirp)
		slirp_cleanup(l.slirp);
	loop_free(&l);
	if (notify_fd >= 0)
		close(notify_fd);
	return err;
}
