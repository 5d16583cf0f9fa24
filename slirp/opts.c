/* rootlet-slirp's command line: slirp4netns' flags and defaults, plus --netns NAME. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdline.h"
#include "slirp.h"
#include "state.h"
#include "state_entry.h"

enum {
	OPT_CIDR = 256,
	OPT_DISABLE_HOST_LOOPBACK,
	OPT_NETNS_TYPE,
	OPT_USERNS_PATH,
	OPT_ENABLE_SANDBOX,
	OPT_ENABLE_SECCOMP,
	OPT_OUTBOUND_ADDR,
	OPT_OUTBOUND_ADDR6,
	OPT_DISABLE_DNS,
	OPT_MACADDRESS,
	OPT_NETNS,
	OPT_WAIT_FD,
	OPT_BUSY_POLL,
	OPT_MAX_SOCKETS,
	OPT_MAX_PER_SOURCE,
	OPT_MASQ6_SUBNET,
	OPT_DEBUG,
	OPT_HELP,
	OPT_TARGET_TYPE,
};

/**
 * opts_parse_uint() - Parse a decimal number of at most @max, nothing else
 * @text:	the text
 * @max:	largest value accepted
 * @ret:	the value
 *
 * Return: 0 on success, -EINVAL otherwise
 */
int opts_parse_uint(const char *text, unsigned long max, unsigned long *ret)
{
	unsigned long v;
	char *end;

	if (!text || *text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

/**
 * opts_parse_cidr() - Parse --cidr: an IPv4 network address with a prefix of 1..25
 * @text:	"10.0.2.0/24"
 * @ret_net:	network address
 * @ret_mask:	netmask
 * @ret_prefix:	prefix length
 * @e:		the reason on failure
 *
 * Return: 0 on success, -EINVAL otherwise
 */
int opts_parse_cidr(const char *text, struct in_addr *ret_net, struct in_addr *ret_mask,
		    unsigned *ret_prefix, struct err *e)
{
	char addr[INET_ADDRSTRLEN];
	const char *slash = strchr(text, '/');
	unsigned long prefix;
	struct in_addr net;
	uint32_t mask;

	if (!slash || (size_t)(slash - text) >= sizeof(addr)) {
		return err_make(e, -EINVAL, "not ADDRESS/PREFIX");
	}
	memcpy(addr, text, (size_t)(slash - text));
	addr[slash - text] = '\0';
	if (inet_pton(AF_INET, addr, &net) != 1) {
		return err_make(e, -EINVAL, "not an IPv4 address");
	}
	if (opts_parse_uint(slash + 1, 32, &prefix) || prefix < SLIRP_PREFIX_MIN ||
	    prefix > SLIRP_PREFIX_MAX) {
		return err_make(e, -EINVAL, "prefix must be 1 to 25 (the guest is network + 100)");
	}
	mask = htonl(~0U << (32 - prefix));
	if (net.s_addr & ~mask) {
		return err_make(e, -EINVAL, "not a network address (host bits set)");
	}
	ret_net->s_addr = net.s_addr;
	ret_mask->s_addr = mask;
	*ret_prefix = (unsigned)prefix;
	return 0;
}

/**
 * opts_parse_mac() - Parse "aa:bb:cc:dd:ee:ff", a unicast address
 * @text:	the text
 * @mac:	the six bytes
 *
 * Return: 0 on success, -EINVAL otherwise
 */
int opts_parse_mac(const char *text, uint8_t mac[SLIRP_MAC_LEN])
{
	unsigned b[SLIRP_MAC_LEN];
	char tail;

	if (strlen(text) != 17 || sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2],
					 &b[3], &b[4], &b[5], &tail) != SLIRP_MAC_LEN)
		return -EINVAL;
	for (int i = 0; i < SLIRP_MAC_LEN; i++) {
		if (text[i * 3] == ' ' || text[i * 3 + 1] == ' ')
			return -EINVAL;
		mac[i] = (uint8_t)b[i];
	}
	return (mac[0] & 1) ? -EINVAL : 0; /* multicast bit */
}

/* An address literal, or the first address of that family on the named interface. */
static int parse_outbound(const char *text, int family, void *ret_addr)
{
	struct ifaddrs *ifa, *i;
	int err = -EINVAL;

	if (inet_pton(family, text, ret_addr) == 1)
		return 0;
	if (getifaddrs(&ifa) < 0)
		return -errno;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != family || strcmp(i->ifa_name, text))
			continue;
		if (family == AF_INET)
			memcpy(ret_addr, &((struct sockaddr_in *)i->ifa_addr)->sin_addr,
			       sizeof(struct in_addr));
		else
			memcpy(ret_addr, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr,
			       sizeof(struct in6_addr));
		err = 0;
		break;
	}
	freeifaddrs(ifa);
	return err;
}

/* The rootlet form: every path comes from the netns's entry in the state root. */
static int resolve_rootlet_name(struct slirp_cfg *cfg)
{
	struct state_entry entry;
	struct state_paths *p = &entry.path;
	int err;

	if ((err = state_entry_find(cfg->rootlet_name, &entry, &cfg->err)))
		return err_wrap(&cfg->err, err, "--netns");
	snprintf(cfg->state_dir, sizeof(cfg->state_dir), "%s", p->dir);
	snprintf(cfg->netns_path, sizeof(cfg->netns_path), "%s", p->net);
	if (!cfg->userns_path[0] && geteuid() != 0)
		snprintf(cfg->userns_path, sizeof(cfg->userns_path), "%s", p->user);
	if (!cfg->api_path[0])
		snprintf(cfg->api_path, sizeof(cfg->api_path), "%s", p->slirp_socket);
	cfg->netns_type = NETNS_TYPE_PATH;
	cfg->configure = true;
	return 0;
}

/*
 * --max-sockets' default at @mtu: as many as SLIRP_BUFFER_BUDGET holds when every one's two
 * buffers are full (slirp.h), at most SLIRP_MAX_SOCKETS.
 */
static unsigned default_max_sockets(unsigned mtu)
{
	unsigned mss = mtu > SLIRP_TCPIP_HLEN ? mtu - SLIRP_TCPIP_HLEN : 1;
	unsigned long buffer = ((SLIRP_TCP_SPACE + mss - 1) / mss) * (unsigned long)mss;
	unsigned long n = SLIRP_BUFFER_BUDGET / (2 * buffer);

	return n < SLIRP_MAX_SOCKETS ? (unsigned)n : SLIRP_MAX_SOCKETS;
}

static int bad(struct slirp_cfg *cfg, const char *what, const char *value)
{
	return err_make(&cfg->err, -EINVAL, "%s: invalid value '%s'", what, value);
}

static int copy_path(struct slirp_cfg *cfg, char *dst, size_t len, const char *what,
		     const char *value)
{
	if (!*value || strlen(value) >= len)
		return bad(cfg, what, value);
	memcpy(dst, value, strlen(value) + 1);
	return 0;
}

/* --masq6-subnet: "10.89.0.0/24", the shared network's IPv4 subnet, and its split (masq6.h). */
static int parse_masq6(const char *text, struct masq6_split *ret)
{
	char addr[INET_ADDRSTRLEN];
	const char *slash = strchr(text, '/');
	unsigned long prefix;
	struct in_addr net;

	if (!slash || (size_t)(slash - text) >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, text, (size_t)(slash - text));
	addr[slash - text] = '\0';
	if (inet_pton(AF_INET, addr, &net) != 1 || opts_parse_uint(slash + 1, 32, &prefix) ||
	    prefix < MASQ6_PREFIX_MIN || prefix > MASQ6_PREFIX_MAX ||
	    ntohl(net.s_addr) & ~(~0U << (32 - prefix)))
		return -EINVAL;
	masq6_split_init(ret, net, (unsigned)prefix);
	return 0;
}

/**
 * opts_parse() - Parse the command line into @cfg
 * @argc:	argument count
 * @argv:	arguments
 * @cfg:	filled; cfg->err says what was wrong on failure
 *
 * Return: 0 on success, 1 when --help or --version was answered, -EINVAL on a usage error
 */
int opts_parse(int argc, char **argv, struct slirp_cfg *cfg)
{
	char bad_opt[CMDLINE_OPT_TEXT];
	static const struct option opts[] = {
		{ "configure", no_argument, NULL, 'c' },
		{ "exit-fd", required_argument, NULL, 'e' },
		{ "ready-fd", required_argument, NULL, 'r' },
		{ "mtu", required_argument, NULL, 'm' },
		{ "enable-ipv6", no_argument, NULL, '6' },
		{ "api-socket", required_argument, NULL, 'a' },
		{ "cidr", required_argument, NULL, OPT_CIDR },
		{ "disable-host-loopback", no_argument, NULL, OPT_DISABLE_HOST_LOOPBACK },
		{ "netns-type", required_argument, NULL, OPT_NETNS_TYPE },
		{ "userns-path", required_argument, NULL, OPT_USERNS_PATH },
		{ "enable-sandbox", no_argument, NULL, OPT_ENABLE_SANDBOX },
		{ "enable-seccomp", no_argument, NULL, OPT_ENABLE_SECCOMP },
		{ "outbound-addr", required_argument, NULL, OPT_OUTBOUND_ADDR },
		{ "outbound-addr6", required_argument, NULL, OPT_OUTBOUND_ADDR6 },
		{ "disable-dns", no_argument, NULL, OPT_DISABLE_DNS },
		{ "macaddress", required_argument, NULL, OPT_MACADDRESS },
		{ "netns", required_argument, NULL, OPT_NETNS },
		{ "wait-fd", required_argument, NULL, OPT_WAIT_FD },
		{ "busy-poll", required_argument, NULL, OPT_BUSY_POLL },
		{ "max-sockets", required_argument, NULL, OPT_MAX_SOCKETS },
		{ "max-sockets-per-source", required_argument, NULL, OPT_MAX_PER_SOURCE },
		{ "masq6-subnet", required_argument, NULL, OPT_MASQ6_SUBNET },
		{ "debug", no_argument, NULL, OPT_DEBUG },
		{ "target-type", required_argument, NULL, OPT_TARGET_TYPE },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	const char *macaddress = NULL;
	unsigned long v;
	int c, nargs, err;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "ce:r:m:6a:hv", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cfg->configure = true;
			break;
		case 'e':
			if (opts_parse_uint(optarg, INT32_MAX, &v))
				return bad(cfg, "--exit-fd", optarg);
			cfg->exit_fd = (int)v;
			break;
		case 'r':
			if (opts_parse_uint(optarg, INT32_MAX, &v))
				return bad(cfg, "--ready-fd", optarg);
			cfg->ready_fd = (int)v;
			break;
		case 'm':
			if (opts_parse_uint(optarg, SLIRP_MAX_MTU, &v) || v == 0)
				return bad(cfg, "--mtu (1 to 65521)", optarg);
			cfg->mtu = (unsigned)v;
			break;
		case '6':
			cfg->enable_ipv6 = true;
			break;
		case 'a':
			if (copy_path(cfg, cfg->api_path, sizeof(cfg->api_path), "--api-socket",
				      optarg))
				return -EINVAL;
			break;
		case OPT_CIDR:
			if ((err = opts_parse_cidr(optarg, &cfg->net, &cfg->mask, &cfg->prefix,
						   &cfg->err)))
				return err_wrap(&cfg->err, err, "--cidr %s", optarg);
			break;
		case OPT_DISABLE_HOST_LOOPBACK:
			cfg->disable_host_loopback = true;
			break;
		case OPT_NETNS_TYPE:
			if (!strcmp(optarg, "pid"))
				cfg->netns_type = NETNS_TYPE_PID;
			else if (!strcmp(optarg, "path"))
				cfg->netns_type = NETNS_TYPE_PATH;
			else
				return bad(cfg, "--netns-type (pid or path)", optarg);
			break;
		case OPT_USERNS_PATH:
			if (copy_path(cfg, cfg->userns_path, sizeof(cfg->userns_path),
				      "--userns-path", optarg))
				return -EINVAL;
			break;
		case OPT_ENABLE_SANDBOX:
			cfg->enable_sandbox = true;
			break;
		case OPT_ENABLE_SECCOMP:
			cfg->enable_seccomp = true;
			break;
		case OPT_OUTBOUND_ADDR:
			if (parse_outbound(optarg, AF_INET, &cfg->outbound.sin_addr))
				return bad(cfg, "--outbound-addr (IPv4 address or interface)",
					   optarg);
			cfg->outbound.sin_family = AF_INET;
			cfg->have_outbound = true;
			break;
		case OPT_OUTBOUND_ADDR6:
			if (parse_outbound(optarg, AF_INET6, &cfg->outbound6.sin6_addr))
				return bad(cfg, "--outbound-addr6 (IPv6 address or interface)",
					   optarg);
			cfg->outbound6.sin6_family = AF_INET6;
			cfg->have_outbound6 = true;
			break;
		case OPT_DISABLE_DNS:
			cfg->disable_dns = true;
			break;
		case OPT_MACADDRESS:
			if (opts_parse_mac(optarg, cfg->mac))
				return bad(cfg, "--macaddress (aa:bb:cc:dd:ee:ff, unicast)",
					   optarg);
			cfg->have_mac = true;
			macaddress = optarg;
			break;
		case OPT_NETNS:
			cfg->rootlet_name = optarg;
			break;
		case OPT_WAIT_FD:
			if (opts_parse_uint(optarg, INT32_MAX, &v))
				return bad(cfg, "--wait-fd", optarg);
			cfg->wait_fd = (int)v;
			break;
		case OPT_BUSY_POLL:
			if (opts_parse_uint(optarg, SLIRP_BUSY_POLL_MAX, &v))
				return bad(cfg, "--busy-poll (0 to 10000 microseconds)", optarg);
			cfg->busy_poll_us = (unsigned)v;
			break;
		case OPT_MAX_SOCKETS:
			if (opts_parse_uint(optarg, SLIRP_MAX_SOCKETS_MAX, &v))
				return bad(cfg, "--max-sockets (0 to 1048576)", optarg);
			cfg->max_sockets = (unsigned)v;
			cfg->max_sockets_set = true;
			break;
		case OPT_MAX_PER_SOURCE:
			if (opts_parse_uint(optarg, SLIRP_MAX_SOCKETS_MAX, &v))
				return bad(cfg, "--max-sockets-per-source (0 to 1048576)", optarg);
			cfg->max_per_source = (unsigned)v;
			cfg->max_per_source_set = true;
			break;
		case OPT_MASQ6_SUBNET:
			if (parse_masq6(optarg, &cfg->masq6))
				return bad(cfg,
					   "--masq6-subnet (an IPv4 network address, /8 to /30)",
					   optarg);
			cfg->have_masq6 = true;
			break;
		case OPT_DEBUG:
			cfg->debug = true;
			break;
		case OPT_TARGET_TYPE:
			/* slirp4netns' other type, bess, drives a BESS switch, not a netns. */
			if (strcmp(optarg, "netns"))
				return bad(cfg, "--target-type (only netns is supported)", optarg);
			break;
		case 'h':
			return 1;
		case 'v':
			return 2;
		default:
			return err_make(&cfg->err, -EINVAL, "unknown or incomplete option '%s'",
					cmdline_bad_option(argv, bad_opt));
		}
	}

	nargs = argc - optind;
	if (cfg->rootlet_name) {
		if (nargs > 0) {
			return err_make(&cfg->err, -EINVAL,
					"--netns NAME takes no PID|PATH or TAPNAME ('%s')",
					argv[optind]);
		}
		if (resolve_rootlet_name(cfg))
			return -EINVAL;
	} else {
		if (nargs < 1 || nargs > 2) {
			return err_make(&cfg->err, -EINVAL,
					nargs ? "too many arguments" : "PID|PATH missing");
		}
		if (cfg->netns_type == NETNS_TYPE_PID) {
			if (opts_parse_uint(argv[optind], INT32_MAX, &v) || v == 0)
				return bad(cfg, "PID", argv[optind]);
			cfg->target_pid = (pid_t)v;
			snprintf(cfg->netns_path, sizeof(cfg->netns_path), "/proc/%d/ns/net",
				 (int)v);
			if (!cfg->userns_path[0])
				snprintf(cfg->userns_path, sizeof(cfg->userns_path),
					 "/proc/%d/ns/user", (int)v);
		} else if (copy_path(cfg, cfg->netns_path, sizeof(cfg->netns_path), "PATH",
				     argv[optind])) {
			return -EINVAL;
		}
		if (nargs == 2 && (strlen(argv[optind + 1]) >= sizeof(cfg->tapname) ||
				   !*argv[optind + 1] || strchr(argv[optind + 1], '/')))
			return bad(cfg, "TAPNAME (1 to 15 bytes)", argv[optind + 1]);
		if (nargs == 2)
			snprintf(cfg->tapname, sizeof(cfg->tapname), "%s", argv[optind + 1]);
	}
	if (!cfg->max_sockets_set)
		cfg->max_sockets = default_max_sockets(cfg->mtu);
	if (!cfg->max_per_source_set)
		cfg->max_per_source = cfg->max_sockets / SLIRP_SOURCE_SHARE;
	if (macaddress && !cfg->configure) {
		return err_make(&cfg->err, -EINVAL, "--macaddress is only valid with -c");
	}
	return 0;
}

/**
 * slirp_addrs_derive() - The addresses of the virtual network, from --cidr
 * @cfg:	configuration
 * @ret:	gateway (host) at +2, DNS at +3, DHCP start at +15, guest at +100; IPv6 fixed
 */
void slirp_addrs_derive(const struct slirp_cfg *cfg, struct slirp_addrs *ret)
{
	uint32_t net = ntohl(cfg->net.s_addr);

	ret->host.s_addr = htonl(net + SLIRP_OFFSET_HOST);
	ret->dns.s_addr = htonl(net + SLIRP_OFFSET_DNS);
	ret->dhcp.s_addr = htonl(net + SLIRP_OFFSET_DHCP);
	ret->guest.s_addr = htonl(net + SLIRP_OFFSET_GUEST);
	inet_pton(AF_INET6, SLIRP_NET6, &ret->prefix6);
	inet_pton(AF_INET6, SLIRP_HOST6, &ret->host6);
	inet_pton(AF_INET6, SLIRP_DNS6, &ret->dns6);
	inet_pton(AF_INET6, SLIRP_GUEST6, &ret->guest6);
}
