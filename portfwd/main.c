/* rootlet-portfwd: host to netns port forwarding; a daemon per netns, and verbs to drive it. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdline_main.h"
#include "fileio.h"
#include "log.h"
#include "portfwd.h"

enum {
	OPT_NETNS = 256,
	OPT_USERNS,
	OPT_PUBLISH,
	OPT_PUBLISH_FD,
	OPT_REVERSE,
	OPT_TARGET,
	OPT_API,
	OPT_READY,
	OPT_EXIT,
	OPT_WAIT,
	OPT_DEBUG,
	OPT_SOURCE_IP,
	OPT_BUSY_POLL
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: rootlet-portfwd --netns NAME|PATH [--userns PATH] [--publish SPEC]...\n"
		"                       [--publish-fd FD[:PORT][/PROTO]]... [--target ADDRESS]\n"
		"                       [--source-ip] [--api-socket PATH] [--ready-fd FD]\n"
		"                       [--exit-fd FD] [--wait-fd FD] [--busy-poll USEC] "
		"[--debug]\n"
		"       rootlet-portfwd add NAME SPEC...\n"
		"       rootlet-portfwd list NAME [--json]\n"
		"       rootlet-portfwd remove NAME ID|SPEC\n"
		"Forward host ports into a network namespace (TCP relayed with splice, and UDP).\n"
		"\n"
		"SPEC: [HOSTIP:][HOSTPORT[-END]:]PORT[-END][/tcp], as podman -p; IPv6 in "
		"brackets;\n"
		"      no HOSTIP: every address, IPv4 and IPv6; no host port, or 0, for one the\n"
		"      kernel picks.\n"
		"\n"
		"  --netns NAME|PATH   a rootlet-netns name, or the path of a netns file\n"
		"  --userns PATH       the user namespace owning a netns given by path\n"
		"  --publish SPEC      forward SPEC from the start (repeatable)\n"
		"  --publish-fd FD[:PORT][/PROTO]\n"
		"                      forward an inherited socket (an fd number, or a name of\n"
		"                      LISTEN_FDNAMES) to PORT (default: its own port); started\n"
		"                      by a socket unit without it, every LISTEN_FDS socket\n"
		"  --reverse SPEC      listen inside the netns on SPEC's host ports (default: its\n"
		"                      PORT) and connect to PORT on the host's loopback\n"
		"  --target ADDRESS    where connections go inside (default: the netns's first\n"
		"                      address that is not loopback)\n"
		"  --source-ip         TCP: the service sees the client's own address (it is\n"
		"                      reached on the netns's loopback address then)\n"
		"  --api-socket PATH   the API socket (default with a NAME: in its state dir)\n"
		"  --ready-fd FD       write 1 to FD once every port is bound\n"
		"  --exit-fd FD        exit when FD hangs up\n"
		"  --wait-fd FD        read a byte from FD before joining the netns (exit\n"
		"                      if it closes first): started while it is being made\n"
		"  --busy-poll USEC    after activity, poll this long before sleeping (default "
		"50,\n"
		"                      0 = off): lower latency for a little CPU\n"
		"  -j, --json          machine-readable output (list)\n"
		"  --debug             log details on stderr\n"
		"  -h, --help          this text\n"
		"  -V, --version       print the version\n"
		"\n"
		"Under systemd: READY=1 and STOPPING=1 go to NOTIFY_SOCKET when it is set.\n"
		"Exit: 0 ok (the daemon: on SIGTERM or exit fd), 1 failed, 2 usage.\n");
}

static int usage_error(struct pf_cfg *cfg, const char *fmt, const char *arg)
{
	return err_make(&cfg->err, -EINVAL, fmt, arg);
}

static int parse_args(int argc, char **argv, struct pf_cfg *cfg)
{
	static const struct cmdline_prog prog = { "rootlet-portfwd", usage };
	char bad[CMDLINE_OPT_TEXT];
	static const struct option opts[] = {
		{ "netns", required_argument, NULL, OPT_NETNS },
		{ "userns", required_argument, NULL, OPT_USERNS },
		{ "publish", required_argument, NULL, OPT_PUBLISH },
		{ "publish-fd", required_argument, NULL, OPT_PUBLISH_FD },
		{ "reverse", required_argument, NULL, OPT_REVERSE },
		{ "target", required_argument, NULL, OPT_TARGET },
		{ "api-socket", required_argument, NULL, OPT_API },
		{ "ready-fd", required_argument, NULL, OPT_READY },
		{ "exit-fd", required_argument, NULL, OPT_EXIT },
		{ "wait-fd", required_argument, NULL, OPT_WAIT },
		{ "debug", no_argument, NULL, OPT_DEBUG },
		{ "source-ip", no_argument, NULL, OPT_SOURCE_IP },
		{ "busy-poll", required_argument, NULL, OPT_BUSY_POLL },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	long v;
	int c;

	opterr = 0;
	while ((c = cmdline_next(&prog, argc, argv, "jhV", opts)) != -1) {
		switch (c) {
		case OPT_NETNS:
			cfg->netns_arg = optarg;
			break;
		case OPT_USERNS:
			cfg->userns_arg = optarg;
			break;
		case OPT_PUBLISH:
			if (cmdline_append(&cfg->publish, &cfg->n_publish, optarg))
				return usage_error(cfg, "--publish '%s': out of memory", optarg);
			break;
		case OPT_PUBLISH_FD:
			if (cmdline_append(&cfg->publish_fd, &cfg->n_publish_fd, optarg))
				return usage_error(cfg, "--publish-fd '%s': out of memory", optarg);
			break;
		case OPT_REVERSE:
			if (cmdline_append(&cfg->reverse, &cfg->n_reverse, optarg))
				return usage_error(cfg, "--reverse '%s': out of memory", optarg);
			break;
		case OPT_TARGET:
			cfg->target_arg = optarg;
			break;
		case OPT_API:
			snprintf(cfg->api_path, sizeof(cfg->api_path), "%s", optarg);
			break;
		case OPT_READY:
			if (cmdline_open_fd(optarg, &cfg->ready_fd))
				return usage_error(cfg, "--ready-fd '%s': not an open fd", optarg);
			break;
		case OPT_EXIT:
			if (cmdline_open_fd(optarg, &cfg->exit_fd))
				return usage_error(cfg, "--exit-fd '%s': not an open fd", optarg);
			break;
		case OPT_WAIT:
			if (cmdline_open_fd(optarg, &cfg->wait_fd))
				return usage_error(cfg, "--wait-fd '%s': not an open fd", optarg);
			break;
		case OPT_DEBUG:
			cfg->debug = true;
			break;
		case OPT_SOURCE_IP:
			cfg->source_ip = true;
			break;
		case OPT_BUSY_POLL:
			if (cmdline_long(optarg, 0, PF_BUSY_POLL_MAX, &v))
				return usage_error(cfg,
						   "--busy-poll '%s': not 0 to 10000 microseconds",
						   optarg);
			cfg->busy_poll_us = (int)v;
			break;
		case 'j':
			cfg->json = true;
			break;
		default:
			return usage_error(cfg, "unknown or incomplete option '%s'",
					   cmdline_bad_option(argv, bad));
		}
	}
	if (optind < argc) {
		cfg->verb = argv[optind++];
		if (strcmp(cfg->verb, "add") && strcmp(cfg->verb, "list") &&
		    strcmp(cfg->verb, "remove"))
			return usage_error(cfg, "unknown verb '%s'", cfg->verb);
		if (optind >= argc)
			return usage_error(cfg, "%s: NAME missing", cfg->verb);
		cfg->netns_arg = argv[optind++];
		cfg->args = &argv[optind];
		cfg->nargs = argc - optind;
		if (!strcmp(cfg->verb, "add") && cfg->nargs < 1)
			return usage_error(cfg, "%s: SPEC missing", cfg->verb);
		if (!strcmp(cfg->verb, "remove") && cfg->nargs != 1)
			return usage_error(cfg, "%s: one ID or SPEC", cfg->verb);
		if (!strcmp(cfg->verb, "list") && cfg->nargs)
			return usage_error(cfg, "unexpected argument '%s'", cfg->args[0]);
		return 0;
	}
	if (!cfg->netns_arg)
		return usage_error(cfg, "%s", "--netns NAME|PATH or a verb is needed");
	return 0;
}

/* podman's rootlessport: the same daemon, configured from stdin, errors on stdout. */
static int run_rootlessport(struct pf_cfg *cfg)
{
	int err;

	if ((err = rootlessport_config(cfg))) {
		printf("%s\n", err_why(&cfg->err, err));
		return EXIT_FAILURE;
	}
	if ((cfg->ready_fd >= 0 && fcntl(cfg->ready_fd, F_GETFD) < 0) ||
	    (cfg->exit_fd >= 0 && fcntl(cfg->exit_fd, F_GETFD) < 0)) {
		printf("rootlessport: ReadyFD or ExitFD is not an open fd\n");
		return EXIT_FAILURE;
	}
	return pf_run_daemon(cfg);
}

int main(int argc, char **argv)
{
	static struct pf_cfg cfg = { .ready_fd = -1,
				     .exit_fd = -1,
				     .wait_fd = -1,
				     .state_fd = -1,
				     .busy_poll_us = PF_BUSY_POLL_US };
	const char *base = strrchr(argv[0], '/');
	int err;

	if (!strcmp(base ? base + 1 : argv[0], ROOTLESSPORT_NAME)) {
		cfg.rootlessport = true;
		return run_rootlessport(&cfg);
	}
	if ((err = parse_args(argc, argv, &cfg)))
		return cmdline_usage_why("rootlet-portfwd", &cfg.err, err);
	return cfg.verb ? pf_run_client(&cfg) : pf_run_daemon(&cfg);
}
