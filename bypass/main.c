/* rootlet-bypass: serve a netns's connect() and bind() from the host's netns where slirp would. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bypass.h"
#include "cmdline_main.h"
#include "log.h"

enum {
	OPT_NETNS = 256,
	OPT_PUBLISH,
	OPT_EXCLUDE,
	OPT_LOOPBACK,
	OPT_IPV6,
	OPT_READY,
	OPT_EXIT,
	OPT_DEBUG,
	OPT_HOST,
	OPT_SOCKET,
	OPT_IDLE,
	OPT_ENGINE_PID,
};

#define IDLE_EXIT_MAX (24 * 3600) /* --idle-exit: a day at most */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: rootlet-bypass --netns NAME [--allow-host-loopback] [--ipv6]\n"
		"                      [--publish SPEC]... [--exclude CIDR]... [--ready-fd FD]\n"
		"                      [--exit-fd FD] [--debug]\n"
		"       rootlet-bypass --host [--engine-pid PID] [--socket PATH] [--idle-exit "
		"SECONDS]\n"
		"                      [--ready-fd FD] [--exit-fd FD] [--debug]\n"
		"Serve the seccomp notifications of a rootlet netns's processes: a connect() to a\n"
		"peer slirp would reach is made in the host's netns and its socket put in the\n"
		"caller's place; a bind() of a published port is made on the host's side. The "
		"data\n"
		"then takes the kernel's own path. Listener fds arrive on the entry's bypass.sock\n"
		"(an OCI runtime's linux.seccomp.listenerPath; rootlet-netns exec --bypass).\n"
		"Usually started by 'rootlet-netns add NAME --slirp --bypass'.\n"
		"\n"
		"  --netns NAME          the rootlet-netns entry served (the daemon ends with it)\n"
		"  --allow-host-loopback 10.0.2.2 and fd00::2 reach the host's loopback, as in "
		"slirp;\n"
		"                        UDP is bypassed only then\n"
		"  --ipv6                the netns has IPv6 through slirp: IPv6 peers are "
		"bypassed\n"
		"  --publish SPEC        a bind() of SPEC's port inside is made on its host "
		"address\n"
		"                        and port (SPEC as rootlet-portfwd's, repeatable)\n"
		"  --exclude CIDR        a network the netns reaches by itself (repeatable)\n"
		"  --host                serve containers of an engine's own netns (podman's\n"
		"                        slirp4netns, rootless Docker's) from this netns, each by\n"
		"                        its annotations and its own routes (rootlet-runtime(1))\n"
		"  --socket PATH         --host: the listener socket (default\n"
		"                        $XDG_RUNTIME_DIR/rootlet/bypass@host.sock)\n"
		"  --idle-exit SECONDS   --host: exit once no container was served this long\n"
		"  --engine-pid PID      --host: serve the engine PID runs in rootlesskit's user\n"
		"                        namespace (rootless Docker's dockerd), from this netns;\n"
		"                        exit once PID has ended and no container is served\n"
		"  --ready-fd FD         write 1 to FD once serving\n"
		"  --exit-fd FD          exit when FD hangs up\n"
		"  --debug               log each call on stderr\n"
		"  -h, --help            this text\n"
		"  -V, --version         print the version\n"
		"\n"
		"Under systemd: READY=1 and STOPPING=1 go to NOTIFY_SOCKET when it is set.\n"
		"Exit: 0 ok (on SIGTERM, the exit fd or the netns's end), 1 failed, 2 usage.\n");
}

static int usage_error(struct bp_cfg *cfg, const char *fmt, const char *arg)
{
	return err_make(&cfg->err, -EINVAL, fmt, arg);
}

static int parse_args(int argc, char **argv, struct bp_cfg *cfg)
{
	static const struct option opts[] = {
		{ "netns", required_argument, NULL, OPT_NETNS },
		{ "publish", required_argument, NULL, OPT_PUBLISH },
		{ "exclude", required_argument, NULL, OPT_EXCLUDE },
		{ "allow-host-loopback", no_argument, NULL, OPT_LOOPBACK },
		{ "ipv6", no_argument, NULL, OPT_IPV6 },
		{ "ready-fd", required_argument, NULL, OPT_READY },
		{ "exit-fd", required_argument, NULL, OPT_EXIT },
		{ "debug", no_argument, NULL, OPT_DEBUG },
		{ "host", no_argument, NULL, OPT_HOST },
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "idle-exit", required_argument, NULL, OPT_IDLE },
		{ "engine-pid", required_argument, NULL, OPT_ENGINE_PID },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct cmdline_prog prog = { "rootlet-bypass", usage };
	char bad[CMDLINE_OPT_TEXT];
	long v;
	int c;

	while ((c = cmdline_next(&prog, argc, argv, "hV", opts)) != -1) {
		switch (c) {
		case OPT_NETNS:
			cfg->netns_arg = optarg;
			break;
		case OPT_PUBLISH:
			if (cmdline_append(&cfg->publish, &cfg->n_publish, optarg))
				return usage_error(cfg, "--publish '%s': out of memory", optarg);
			break;
		case OPT_EXCLUDE:
			if (cmdline_append(&cfg->exclude, &cfg->n_exclude, optarg))
				return usage_error(cfg, "--exclude '%s': out of memory", optarg);
			break;
		case OPT_LOOPBACK:
			cfg->allow_host_loopback = true;
			break;
		case OPT_IPV6:
			cfg->ipv6 = true;
			break;
		case OPT_READY:
			if (cmdline_open_fd(optarg, &cfg->ready_fd))
				return usage_error(cfg, "--ready-fd '%s': not an open fd", optarg);
			break;
		case OPT_EXIT:
			if (cmdline_open_fd(optarg, &cfg->exit_fd))
				return usage_error(cfg, "--exit-fd '%s': not an open fd", optarg);
			break;
		case OPT_DEBUG:
			cfg->debug = true;
			break;
		case OPT_HOST:
			cfg->host = true;
			break;
		case OPT_SOCKET:
			cfg->socket_arg = optarg;
			break;
		case OPT_IDLE:
			if (cmdline_long(optarg, 0, IDLE_EXIT_MAX, &v))
				return usage_error(cfg, "--idle-exit '%s': not 0..86400 seconds",
						   optarg);
			cfg->idle_exit_s = (int)v;
			break;
		case OPT_ENGINE_PID:
			if (cmdline_pid(optarg, &cfg->engine_pid))
				return usage_error(cfg, "--engine-pid '%s': not a process id",
						   optarg);
			break;
		default:
			return usage_error(cfg, "unknown or incomplete option '%s'",
					   cmdline_bad_option(argv, bad));
		}
	}
	if (optind < argc)
		return usage_error(cfg, "unexpected argument '%s'", argv[optind]);
	if (cfg->host && (cfg->netns_arg || cfg->n_publish || cfg->n_exclude ||
			  cfg->allow_host_loopback || cfg->ipv6))
		return usage_error(
			cfg, "%s",
			"--host takes no --netns, --publish, --exclude, "
			"--allow-host-loopback or --ipv6: each container's own are used");
	if (!cfg->host && (cfg->socket_arg || cfg->idle_exit_s || cfg->engine_pid))
		return usage_error(cfg, "%s",
				   "--socket, --idle-exit and --engine-pid go with --host");
	if (!cfg->host && !cfg->netns_arg)
		return usage_error(cfg, "%s", "--netns NAME (or --host) is needed");
	return 0;
}

int main(int argc, char **argv)
{
	static struct bp_cfg cfg = {
		.ready_fd = -1, .exit_fd = -1, .state_fd = -1, .host_run_fd = -1
	};
	struct bp_policy check;
	int err = parse_args(argc, argv, &cfg);

	/* Rules and networks are checked here, so that a typo is a usage error. */
	if (err || (err = policy_init(&check, &cfg, &cfg.err)))
		return cmdline_usage_why("rootlet-bypass", &cfg.err, err);
	return bp_run_daemon(&cfg);
}
