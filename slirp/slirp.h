/* rootlet-slirp: configuration, and the pieces of the helper that main() puts together. */
#ifndef ROOTLET_SLIRP_H
#define ROOTLET_SLIRP_H

#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "masq6.h"
#include "name.h"
#include "slirpnet.h"

#define SLIRP_DEFAULT_MTU 1500
#define SLIRP_MAX_MTU	  65521
#define SLIRP_MAC_LEN	  6
#define SLIRP_ETH_HLEN	  14
#define SLIRP_PREFIX_MIN  1
/* The guest sits at network + 100, so a /26 or smaller has no room for it. */
#define SLIRP_PREFIX_MAX   25
#define SLIRP_OFFSET_HOST  2
#define SLIRP_OFFSET_DNS   3
#define SLIRP_OFFSET_DHCP  15
#define SLIRP_OFFSET_GUEST 100

enum netns_type {
	NETNS_TYPE_PID,
	NETNS_TYPE_PATH
};

struct slirp_cfg {
	/* where */
	enum netns_type netns_type;
	pid_t target_pid;
	char netns_path[PATH_MAX];
	char userns_path[PATH_MAX]; /* "" = the target's (pid) or none (path) */
	char tapname[16];
	const char *rootlet_name; /* --netns NAME: paths from the state dir */
	char state_dir[PATH_MAX]; /* <root>/<name> with --netns */

	/* what */
	bool configure;
	unsigned mtu;
	struct in_addr net, mask; /* --cidr */
	unsigned prefix;
	bool disable_host_loopback;
	bool enable_ipv6;
	bool disable_dns;
	bool have_mac;
	uint8_t mac[SLIRP_MAC_LEN];
	bool have_outbound, have_outbound6;
	struct sockaddr_in outbound;
	struct sockaddr_in6 outbound6;

	/* how */
	int ready_fd;
	int exit_fd;
	int wait_fd;	       /* --wait-fd: a byte on it before the namespaces are opened */
	unsigned busy_poll_us; /* --busy-poll */
	unsigned max_sockets;  /* --max-sockets: host sockets the guest may hold; 0: no limit */
	bool max_sockets_set;
	unsigned max_per_source; /* --max-sockets-per-source */
	bool max_per_source_set;
	bool have_masq6; /* --masq6-subnet: a shared network's infra */
	struct masq6_split masq6;
	char api_path[PATH_MAX];
	bool enable_sandbox;
	bool enable_seccomp;
	bool debug;

	struct err err; /* what went wrong, for main() to print */
};

/* Addresses derived from the configuration (opts.c), as the guest sees them. */
struct slirp_addrs {
	struct in_addr host, dns, dhcp, guest;
	struct in6_addr prefix6, host6, dns6, guest6;
};

void slirp_addrs_derive(const struct slirp_cfg *cfg, struct slirp_addrs *ret);

/* --busy-poll: by default a little over a vCPU's wake-up on the machines measured */
#define SLIRP_BUSY_POLL_US  50
#define SLIRP_BUSY_POLL_MAX 10000

/*
 * --max-sockets: host sockets the guest's connections and flows may hold at once. Each costs
 * an fd and, full, two buffers of libslirp's, each 128 KiB rounded up to a multiple of the
 * MSS: 256 KiB a connection at MTU 1500, 384 KiB at 65520. The default keeps those buffers
 * within SLIRP_BUFFER_BUDGET (with the rest of the helper, under 512 MB however a guest holds
 * them: 1,067 sockets at MTU 65520, 1,596 at 1500), and at most SLIRP_MAX_SOCKETS (twice what
 * slirp4netns' 1024 fds allow). One guest address may hold half by default
 * (--max-sockets-per-source), so one container of a shared network leaves the rest to others.
 */
#define SLIRP_MAX_SOCKETS     2048
#define SLIRP_MAX_SOCKETS_MAX (1024 * 1024)
#define SLIRP_BUFFER_BUDGET   (400UL << 20)
#define SLIRP_TCP_SPACE	      (128U << 10) /* libslirp's TCP_SNDSPACE and TCP_RCVSPACE */
#define SLIRP_TCPIP_HLEN      40	   /* libslirp's MSS: the MTU less IPv4 and TCP headers */
#define SLIRP_SOURCE_SHARE    2

/* Below this MTU the tap carries virtio-net headers and takes TSO segments (see tap.c). */
#define SLIRP_TSO_MTU_BELOW 16384

static inline bool slirp_tap_vnet(const struct slirp_cfg *cfg)
{
	return cfg->mtu < SLIRP_TSO_MTU_BELOW;
}

int opts_parse_cidr(const char *text, struct in_addr *ret_net, struct in_addr *ret_mask,
		    unsigned *ret_prefix, struct err *e);
int opts_parse_mac(const char *text, uint8_t mac[SLIRP_MAC_LEN]);
int opts_parse_uint(const char *text, unsigned long max, unsigned long *ret);
int opts_parse(int argc, char **argv, struct slirp_cfg *cfg);

int tap_open_in_netns(struct slirp_cfg *cfg, int *ret_tap_fd);
void tap_leave_to_netns(int tap_fd, int owner_fd);
int netconf_configure(const struct slirp_cfg *cfg);

void slirp_isolate_initial(void);
int slirp_isolate_fs(struct slirp_cfg *cfg);
int slirp_isolate_caps(struct slirp_cfg *cfg);
int slirp_isolate_syscalls(struct slirp_cfg *cfg); /* seccomp.c */
void trim_setup_pages(void);
void trim_heap_setup(void);
void trim_heap(void);

#endif
