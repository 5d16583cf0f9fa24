/* rootlet-network: shared rootless networks for many containers, from a shell. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline_main.h"
#include "dnsname.h"
#include "fwdspec.h"
#include "log.h"
#include "network.h"
#include "statedir.h"

#define EXIT_USAGE CMDLINE_EXIT_USAGE

enum {
	OPT_SUBNET = 256,
	OPT_GATEWAY,
	OPT_IPV6,
	OPT_SUBNET6,
	OPT_MTU,
	OPT_INTERNAL,
	OPT_NO_DNS,
	OPT_FORCE,
	OPT_NETNS,
	OPT_IP,
	OPT_MAC,
	OPT_HOSTNAME,
	OPT_ALIAS,
	OPT_HOST_LOOPBACK,
	OPT_PUBLISH,
	OPT_IP6,
	OPT_OWNER,
};

struct verb {
	const char *name;
	int (*fn)(struct net_cfg *cfg);
	bool takes_name;
	bool takes_id;
};

static const struct verb verbs[] = {
	{ "create", net_create, true, false },
	{ "ls", net_ls, false, false },
	{ "inspect", net_inspect, true, false },
	{ "rm", net_rm, true, false },
	{ "alloc", net_alloc, true, true },
	{ "dealloc", net_dealloc, true, true },
	{ "is-idle", net_is_idle, true, false },
	{ "print-netns-path", net_print_netns_path, true, true },
	{ "print-cni-result", net_print_cni_result, true, true },
	{ "gc", net_gc, false, false },
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: rootlet-network [OPTIONS] VERB [ARGS]\n"
		"Shared rootless networks for many containers.\n"
		"\n"
		"Verbs:\n"
		"  create NAME [--subnet CIDR] [--gateway IP] [--ipv6 [--subnet6 CIDR]] [--mtu N]\n"
		"              [--internal] [--no-dns]\n"
		"                       record a network (nothing runs until a container is "
		"attached)\n"
		"  ls [--json]          every network: name, subnet, gateway, attached containers\n"
		"  inspect NAME         one network's record, as JSON\n"
		"  rm NAME [--force]    remove a network (refused while containers are attached;\n"
		"                       --force deallocates them first)\n"
		"  alloc NET ID [--netns NAME|PATH] [--ip IP] [--ip6 IP] [--mac MAC] [--hostname "
		"H]\n"
		"               [--alias A]... [--publish SPEC]... [--owner PID]\n"
		"                       attach container ID (its netns made unless given): a veth\n"
		"                       to the network's bridge; prints a CNI 1.0 result\n"
		"  dealloc NET ID       detach it; the infra stops with the last one\n"
		"  is-idle NET          {\"idle\": true|false}\n"
		"  print-netns-path NET ID   {\"path\": \"...\"}\n"
		"  print-cni-result NET ID   the CNI result alloc printed\n"
		"  gc                   every network put right: killed verbs' work finished or\n"
		"                       undone, containers whose netns is gone dropped, a dead\n"
		"                       infra made again\n"
		"\n"
		"Options:\n"
		"      --subnet CIDR    IPv4 subnet, /8 to /30; default the first 10.89.N.0/24\n"
		"                       that no host route and no other network overlaps; never\n"
		"                       loopback, link-local, multicast, 0/8, 240/4 or slirp's\n"
		"                       10.0.2.0/24 (exit 2)\n"
		"      --gateway IP     the gateway's address in it; default its first\n"
		"      --ipv6           IPv6 too; --subnet6 CIDR (/48 to /120), default the first\n"
		"                       free fd89:0:0:N::/64\n"
		"      --mtu N          the containers' MTU, 68 to 65520 (--ipv6: 1280 or more);\n"
		"                       default 65520\n"
		"      --internal       no outbound path\n"
		"      --no-dns         no DNS responder for the containers' names\n"
		"      --allow-host-loopback  containers reach the host's 127.0.0.1 as 10.0.2.2\n"
		"      --netns NAME|PATH  alloc: the container's netns (in the infra's userns)\n"
		"      --ip IP, --ip6 IP, --mac MAC  alloc: a static address or MAC, refused if "
		"taken\n"
		"      --hostname H, --alias A  alloc: DNS names of the container (letters, "
		"digits,\n"
		"                       '-', dots); unique on the network in any case\n"
		"      --publish SPEC   alloc: forward host ports to it (as podman -p)\n"
		"      --owner PID      alloc: the netns it makes is PID's: its holder ends with\n"
		"                       PID, and gc detaches it once PID has ended (rootlet "
		"run's)\n"
		"      --force          rm: even while attached, or with a corrupt record\n"
		"  -j, --json           machine-readable output (create, ls)\n"
		"  -h, --help           this text\n"
		"  -V, --version        print the version\n"
		"\n"
		"State: $ROOTLET_STATE_DIR, else $XDG_RUNTIME_DIR/rootlet (root: /run/rootlet),\n"
		"in ~networks/. Exit: 0 ok, 1 failed, 2 usage. See rootlet-network(1).\n");
}

static int usage_error(const char *fmt, const char *arg)
{
	return cmdline_usage("rootlet-network", fmt, arg);
}

/* Options that belong to one verb only are refused elsewhere, rather than silently ignored. */
static int check_option_fits(const struct net_cfg *cfg)
{
	bool create = !strcmp(cfg->verb, "create");

	if ((cfg->subnet_arg || cfg->gateway_arg || cfg->ipv6 || cfg->subnet6_arg || cfg->mtu ||
	     cfg->internal || cfg->no_dns) &&
	    !create)
		return usage_error("--subnet, --gateway, --ipv6, --subnet6, --mtu, --internal and "
				   "--no-dns go with create, not %s",
				   cfg->verb);
	if (cfg->subnet6_arg && !cfg->ipv6)
		return usage_error("%s", "--subnet6 needs --ipv6");
	if (cfg->ipv6 && cfg->mtu && cfg->mtu < NET_MTU6_MIN)
		return usage_error("--ipv6 needs an MTU of 1280 or more (--mtu %s is less)",
				   cfg->mtu_arg);
	if ((cfg->netns_arg || cfg->ip_arg || cfg->ip6_arg || cfg->mac_arg || cfg->hostname_arg ||
	     cfg->n_aliases || cfg->n_publish) &&
	    strcmp(cfg->verb, "alloc"))
		return usage_error(
			"--netns, --ip, --mac, --hostname, --alias and --publish go with "
			"alloc, not %s",
			cfg->verb);
	if (cfg->owner && strcmp(cfg->verb, "alloc"))
		return usage_error("--owner goes with alloc, not %s", cfg->verb);
	if (cfg->owner && cfg->netns_arg)
		return usage_error("%s", "--owner goes with a netns alloc makes, not --netns");
	if (cfg->host_loopback && !create)
		return usage_error("--allow-host-loopback goes with create, not %s", cfg->verb);
	if (cfg->force && strcmp(cfg->verb, "rm"))
		return usage_error("--force goes with rm, not %s", cfg->verb);
	if (cfg->json && !create && strcmp(cfg->verb, "ls"))
		return usage_error("--json goes with create and ls (inspect always prints JSON), "
				   "not %s",
				   cfg->verb);
	return 0;
}

/* --hostname and --alias become DNS records: nothing else crosses into the hosts file. */
static int check_dns_name(const char *option, const char *name)
{
	char quoted[NAME_QUOTE_MAX], msg[NAME_QUOTE_MAX + 128];
	int n;

	if (dnsname_valid(name))
		return 0;
	name_quote(name, quoted, sizeof(quoted));
	n = snprintf(msg, sizeof(msg),
		     "%s '%s': not a DNS name (labels of letters, digits and '-', dots, at most "
		     "253 bytes)",
		     option, quoted);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return usage_error("%s: not a DNS name", option);
	return usage_error("%s", msg);
}

/* Decimal digits only, no leading zero: "01500", "+1500" and " 1500" are no MTU. */
static int parse_mtu(const char *text, unsigned *ret)
{
	char *end;
	unsigned long v;

	if (strspn(text, "0123456789") != strlen(text) || !*text || (text[0] == '0' && text[1]))
		return -EINVAL;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || *end || v < NET_MTU_MIN || v > NET_MTU_MAX)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

static int parse_args(int argc, char **argv, struct net_cfg *cfg, const struct verb **ret_verb)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "json", no_argument, NULL, 'j' },
		{ "subnet", required_argument, NULL, OPT_SUBNET },
		{ "gateway", required_argument, NULL, OPT_GATEWAY },
		{ "ipv6", no_argument, NULL, OPT_IPV6 },
		{ "subnet6", required_argument, NULL, OPT_SUBNET6 },
		{ "mtu", required_argument, NULL, OPT_MTU },
		{ "internal", no_argument, NULL, OPT_INTERNAL },
		{ "no-dns", no_argument, NULL, OPT_NO_DNS },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "netns", required_argument, NULL, OPT_NETNS },
		{ "ip", required_argument, NULL, OPT_IP },
		{ "ip6", required_argument, NULL, OPT_IP6 },
		{ "mac", required_argument, NULL, OPT_MAC },
		{ "hostname", required_argument, NULL, OPT_HOSTNAME },
		{ "alias", required_argument, NULL, OPT_ALIAS },
		{ "allow-host-loopback", no_argument, NULL, OPT_HOST_LOOPBACK },
		{ "publish", required_argument, NULL, OPT_PUBLISH },
		{ "owner", required_argument, NULL, OPT_OWNER },
		{ NULL, 0, NULL, 0 },
	};
	static const struct cmdline_prog prog = { "rootlet-network", usage };
	const struct verb *verb = NULL;
	const void *found;
	int c, err;

	opterr = 0;
	while ((c = cmdline_next(&prog, argc, argv, "hVj", opts)) != -1) {
		switch (c) {
		case 'j':
			cfg->json = true;
			break;
		case OPT_SUBNET:
			cfg->subnet_arg = optarg;
			break;
		case OPT_GATEWAY:
			cfg->gateway_arg = optarg;
			break;
		case OPT_IPV6:
			cfg->ipv6 = true;
			break;
		case OPT_SUBNET6:
			cfg->subnet6_arg = optarg;
			break;
		case OPT_MTU:
			if (parse_mtu(optarg, &cfg->mtu))
				return usage_error("--mtu '%s': must be 68 to 65520", optarg);
			cfg->mtu_arg = optarg;
			break;
		case OPT_INTERNAL:
			cfg->internal = true;
			break;
		case OPT_NO_DNS:
			cfg->no_dns = true;
			break;
		case OPT_FORCE:
			cfg->force = true;
			break;
		case OPT_NETNS:
			cfg->netns_arg = optarg;
			break;
		case OPT_IP:
			cfg->ip_arg = optarg;
			break;
		case OPT_IP6:
			cfg->ip6_arg = optarg;
			break;
		case OPT_MAC:
			cfg->mac_arg = optarg;
			break;
		case OPT_HOSTNAME:
			cfg->hostname_arg = optarg;
			break;
		case OPT_HOST_LOOPBACK:
			cfg->host_loopback = true;
			break;
		case OPT_PUBLISH:
			if (spec_check_publish(optarg, &cfg->err))
				return usage_error("%s", err_text(&cfg->err));
			if (cmdline_append(&cfg->publish, &cfg->n_publish, optarg))
				return usage_error("--publish '%s': out of memory", optarg);
			break;
		case OPT_ALIAS:
			if (cmdline_append(&cfg->aliases, &cfg->n_aliases, optarg))
				return usage_error("--alias '%s': out of memory", optarg);
			break;
		case OPT_OWNER:
			if (cmdline_pid(optarg, &cfg->owner))
				return usage_error("--owner '%s': not a process id", optarg);
			break;
		default:
			return cmdline_unknown_option(prog.name, argv);
		}
	}
	if ((err = cmdline_take_verb(prog.name, argc, argv, CMDLINE_TABLE(verbs), &found)))
		return err;
	verb = found;
	cfg->verb = verb->name;
	if ((err = check_option_fits(cfg)))
		return err;
	if (cfg->mac_arg && att_parse_mac(cfg->mac_arg, cfg->mac))
		return usage_error("--mac '%s': not a unicast MAC (six pairs of hex digits; not "
				   "00:00:00:00:00:00, multicast or broadcast)",
				   cfg->mac_arg);
	if (cfg->hostname_arg && (err = check_dns_name("--hostname", cfg->hostname_arg)))
		return err;
	if (cfg->n_aliases > NET_ALIASES_MAX)
		return usage_error("--alias: at most %s per container", NET_ALIASES_MAX_TEXT);
	for (int i = 0; i < cfg->n_aliases; i++)
		if ((err = check_dns_name("--alias", cfg->aliases[i])))
			return err;
	if (verb->takes_name &&
	    (err = cmdline_operand(prog.name, cfg->verb, "NAME", argc, argv, &cfg->name)))
		return err;
	if (verb->takes_id &&
	    (err = cmdline_operand(prog.name, cfg->verb, "ID", argc, argv, &cfg->id)))
		return err;
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	*ret_verb = verb;
	return 0;
}

int main(int argc, char **argv)
{
	static struct net_cfg cfg;
	const struct verb *verb = NULL;
	int err;

	if ((err = parse_args(argc, argv, &cfg, &verb)))
		return err;
	if ((err = state_root_path(cfg.root, sizeof(cfg.root))) ||
	    (err = state_entry_path(cfg.infra_root, sizeof(cfg.infra_root), cfg.root, NET_INFRA_DIR,
				    NULL))) {
		log_error("%s: %s", cfg.verb,
			  err == -ENOENT
				  ? "XDG_RUNTIME_DIR is not set; set it, or ROOTLET_STATE_DIR"
				  : strerror(-err));
		return EXIT_FAILURE;
	}
	/* What we run finds the root we found (netns_cmd() and the daemons change it for the
	 * infras'). */
	if (setenv(NET_STATE_ROOT_ENV, cfg.root, 1)) {
		log_error("%s: %s: %s", cfg.verb, NET_STATE_ROOT_ENV, strerror(errno));
		return EXIT_FAILURE;
	}
	err = verb->fn(&cfg);
	if (cfg.warning)
		log_warn("%s %s %s: %s", cfg.verb, cfg.name, cfg.id ? cfg.id : "", cfg.warning);
	if (!err)
		return 0;
	if (cfg.id)
		err_wrap(&cfg.err, err, "%s %s %s", cfg.verb, cfg.name, cfg.id);
	else if (cfg.name)
		err_wrap(&cfg.err, err, "%s %s", cfg.verb, cfg.name);
	else
		err_wrap(&cfg.err, err, "%s", cfg.verb);
	log_error("%s", err_text(&cfg.err));
	return cfg.usage ? EXIT_USAGE : EXIT_FAILURE;
}
