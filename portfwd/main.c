/* rootlet-portfwd: host to netns port forwarding; a daemon per netns, and verbs to drive it. */
#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apiclient.h"
#include "apiserver.h"
#include "log.h"
#include "nsfd.h"
#include "pidfile.h"
#include "portfwd.h"
#include "state.h"
#include "statedir.h"

#define EXIT_USAGE    2
#define READY_MESSAGE "1"

enum {
	OPT_NETNS = 256,
	OPT_USERNS,
	OPT_PUBLISH,
	OPT_REVERSE,
	OPT_TARGET,
	OPT_API,
	OPT_READY,
	OPT_EXIT,
	OPT_DEBUG,
	OPT_SOURCE_IP,
	OPT_BUSY_POLL
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: rootlet-portfwd --netns NAME|PATH [--userns PATH] [--publish SPEC]...\n"
		"                       [--target ADDRESS] [--source-ip] [--api-socket PATH]\n"
		"                       [--ready-fd FD] [--exit-fd FD] [--busy-poll USEC] "
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
		"  --reverse SPEC      listen inside the netns on SPEC's host ports (default: its\n"
		"                      PORT) and connect to PORT on the host's loopback\n"
		"  --target ADDRESS    where connections go inside (default: the netns's first\n"
		"                      address that is not loopback)\n"
		"  --source-ip         TCP: the service sees the client's own address (it is\n"
		"                      reached on the netns's loopback address then)\n"
		"  --api-socket PATH   the API socket (default with a NAME: in its state dir)\n"
		"  --ready-fd FD       write 1 to FD once every port is bound\n"
		"  --exit-fd FD        exit when FD hangs up\n"
		"  --busy-poll USEC    after activity, poll this long before sleeping (default "
		"50,\n"
		"                      0 = off): lower latency for a little CPU\n"
		"  -j, --json          machine-readable output (list)\n"
		"  --debug             log details on stderr\n"
		"  -h, --help          this text\n"
		"  -V, --version       print the version\n"
		"\n"
		"Exit: 0 ok (the daemon: on SIGTERM or exit fd), 1 failed, 2 usage.\n");
}

static int usage_error(struct pf_cfg *cfg, const char *fmt, const char *arg)
{
	snprintf(cfg->detail, sizeof(cfg->detail), fmt, arg);
	return -EINVAL;
}

static int parse_nonneg(const char *text, int *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || *end || end == text || v < 0 || v > INT32_MAX)
		return -EINVAL;
	*ret = (int)v;
	return 0;
}

/**
 * pf_cfg_append() - Add @item to a growing list of strings
 * @list:	the list (NULL at first)
 * @n:		its length, incremented
 * @item:	the string, kept as it is (not copied)
 *
 * Return: 0 on success, -ENOMEM
 */
int pf_cfg_append(const char ***list, int *n, const char *item)
{
	const char **grown = realloc(*list, (size_t)(*n + 1) * sizeof(**list));

	if (!grown)
		return -ENOMEM;
	grown[(*n)++] = item;
	*list = grown;
	return 0;
}

static int parse_args(int argc, char **argv, struct pf_cfg *cfg)
{
	static const struct option opts[] = {
		{ "netns", required_argument, NULL, OPT_NETNS },
		{ "userns", required_argument, NULL, OPT_USERNS },
		{ "publish", required_argument, NULL, OPT_PUBLISH },
		{ "reverse", required_argument, NULL, OPT_REVERSE },
		{ "target", required_argument, NULL, OPT_TARGET },
		{ "api-socket", required_argument, NULL, OPT_API },
		{ "ready-fd", required_argument, NULL, OPT_READY },
		{ "exit-fd", required_argument, NULL, OPT_EXIT },
		{ "debug", no_argument, NULL, OPT_DEBUG },
		{ "source-ip", no_argument, NULL, OPT_SOURCE_IP },
		{ "busy-poll", required_argument, NULL, OPT_BUSY_POLL },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "jhV", opts, NULL)) != -1) {
		switch (c) {
		case OPT_NETNS:
			cfg->netns_arg = optarg;
			break;
		case OPT_USERNS:
			cfg->userns_arg = optarg;
			break;
		case OPT_PUBLISH:
			if (pf_cfg_append(&cfg->publish, &cfg->n_publish, optarg))
				return usage_error(cfg, "--publish '%s': out of memory", optarg);
			break;
		case OPT_REVERSE:
			if (pf_cfg_append(&cfg->reverse, &cfg->n_reverse, optarg))
				return usage_error(cfg, "--reverse '%s': out of memory", optarg);
			break;
		case OPT_TARGET:
			cfg->target_arg = optarg;
			break;
		case OPT_API:
			snprintf(cfg->api_path, sizeof(cfg->api_path), "%s", optarg);
			break;
		case OPT_READY:
			if (parse_nonneg(optarg, &cfg->ready_fd))
				return usage_error(cfg, "--ready-fd '%s': not an fd number",
						   optarg);
			break;
		case OPT_EXIT:
			if (parse_nonneg(optarg, &cfg->exit_fd))
				return usage_error(cfg, "--exit-fd '%s': not an fd number", optarg);
			break;
		case OPT_DEBUG:
			cfg->debug = true;
			break;
		case OPT_SOURCE_IP:
			cfg->source_ip = true;
			break;
		case OPT_BUSY_POLL:
			if (parse_nonneg(optarg, &cfg->busy_poll_us) ||
			    cfg->busy_poll_us > PF_BUSY_POLL_MAX)
				return usage_error(cfg,
						   "--busy-poll '%s': not 0 to 10000 microseconds",
						   optarg);
			break;
		case 'j':
			cfg->json = true;
			break;
		case 'h':
			return 1;
		case 'V':
			return 2;
		default:
			return usage_error(cfg, "unknown or incomplete option '%s'",
					   argv[optind - 1]);
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

/* A NAME is a rootlet-netns entry; anything with a '/' is a path. */
static int resolve_netns(struct pf_cfg *cfg)
{
	char root[PATH_MAX];
	const char *why;
	int err;

	if (strchr(cfg->netns_arg, '/')) {
		snprintf(cfg->net_path, sizeof(cfg->net_path), "%s", cfg->netns_arg);
		if (cfg->userns_arg)
			snprintf(cfg->user_path, sizeof(cfg->user_path), "%s", cfg->userns_arg);
		return 0;
	}
	if (name_check(cfg->netns_arg, &why)) {
		snprintf(cfg->detail, sizeof(cfg->detail), "invalid netns name: %s", why);
		return -EINVAL;
	}
	if ((err = state_root_path(root, sizeof(root)))) {
		snprintf(cfg->detail, sizeof(cfg->detail), "no state directory (XDG_RUNTIME_DIR)");
		return err;
	}
	state_entry_path(cfg->state_dir, sizeof(cfg->state_dir), root, cfg->netns_arg, NULL);
	state_entry_path(cfg->net_path, sizeof(cfg->net_path), root, cfg->netns_arg, STATE_NET);
	state_entry_path(cfg->user_path, sizeof(cfg->user_path), root, cfg->netns_arg, STATE_USER);
	if (access(cfg->user_path, F_OK))
		cfg->user_path[0] = '\0'; /* a root netns */
	if (!cfg->api_path[0])
		state_entry_path(cfg->api_path, sizeof(cfg->api_path), root, cfg->netns_arg,
				 PF_API_SOCKET);
	if (access(cfg->state_dir, F_OK)) {
		snprintf(cfg->detail, sizeof(cfg->detail), "no netns %s", cfg->netns_arg);
		return -ENOENT;
	}
	return 0;
}

/* The userns is joined by the whole process while it has one thread; the netns by a thread. */
static int join_userns(struct pf_cfg *cfg)
{
	struct stat a, b;
	int fd, err;

	if (!cfg->user_path[0])
		return 0;
	if ((err = ns_open_at(AT_FDCWD, cfg->user_path, CLONE_NEWUSER, &fd))) {
		snprintf(cfg->detail, sizeof(cfg->detail), "%s: %s", cfg->user_path,
			 err == -ENOTTY ? "not a namespace" : strerror(-err));
		return err;
	}
	if (!fstat(fd, &a) && !stat("/proc/self/ns/user", &b) && a.st_ino == b.st_ino) {
		close(fd);
		return 0;
	}
	err = ns_join(fd, CLONE_NEWUSER);
	close(fd);
	if (err)
		snprintf(cfg->detail, sizeof(cfg->detail), "joining %s: %s", cfg->user_path,
			 strerror(-err));
	return err;
}

/* The netns's holder going away (del, gc, kill) ends the daemon too, cleanly. */
static int watch_holder(struct pf_cfg *cfg, struct pf_state *st)
{
	struct netns_state ns;
	struct pidfile pf;
	int dir_fd, pidfd, err;

	dir_fd = open(cfg->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0)
		return -errno;
	err = state_read(dir_fd, &ns);
	close(dir_fd);
	if (err || state_is_host(&ns))
		return err;
	pidfd = pidfd_open(ns.holder_pid, 0);
	pf = (struct pidfile){ .pid = ns.holder_pid, .start = ns.holder_start };
	if (pidfd < 0 || pidfile_live(&pf) != 1) {
		snprintf(cfg->detail, sizeof(cfg->detail), "netns %s is stale", cfg->netns_arg);
		if (pidfd >= 0)
			close(pidfd);
		return -ESRCH;
	}
	return pf_watch(st, pidfd, PF_EXIT, NULL, EPOLLIN);
}

static int daemon_setup(struct pf_cfg *cfg, struct pf_state *st)
{
	int net_fd, err, dir_fd;
	struct pf_forward *f;
	struct rlimit nofile;
	sigset_t mask;

	/* Each relayed connection holds six fds: take all the kernel allows us. */
	if (!getrlimit(RLIMIT_NOFILE, &nofile)) {
		nofile.rlim_cur = nofile.rlim_max;
		setrlimit(RLIMIT_NOFILE, &nofile);
	}
	/* Before the netns thread starts, so that it inherits the mask: signals are for the loop.
	 */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	if ((err = resolve_netns(cfg)) || (err = join_userns(cfg)))
		return err;
	if ((err = ns_open_at(AT_FDCWD, cfg->net_path, CLONE_NEWNET, &net_fd))) {
		snprintf(cfg->detail, sizeof(cfg->detail), "%s: %s", cfg->net_path,
			 err == -ENOTTY ? "not a namespace" : strerror(-err));
		return err;
	}
	err = nsock_start(&st->ns, net_fd, cfg->target_arg, cfg->source_ip, cfg->detail,
			  sizeof(cfg->detail));
	st->source_ip = cfg->source_ip;
	st->busy_poll_us = cfg->busy_poll_us;
	close(net_fd);
	if (err)
		return err;
	/* Binding host ports, making sockets in the netns: none of it needs a capability. */
	capng_clear(CAPNG_SELECT_BOTH);
	capng_apply(CAPNG_SELECT_BOTH);
	if ((err = pf_loop_init(st, cfg->exit_fd))) {
		snprintf(cfg->detail, sizeof(cfg->detail), "event loop: %s", strerror(-err));
		return err;
	}
	for (int i = 0; i < cfg->n_publish; i++)
		if ((err = forward_add(st, cfg->publish[i], false, &f, cfg->detail,
				       sizeof(cfg->detail))))
			return err;
	for (int i = 0; i < cfg->n_reverse; i++)
		if ((err = forward_add(st, cfg->reverse[i], true, &f, cfg->detail,
				       sizeof(cfg->detail))))
			return err;
	if (cfg->api_path[0] && !(st->api = apiserver_new(cfg->api_path, &pf_api_ops, st, &err))) {
		snprintf(cfg->detail, sizeof(cfg->detail), "API socket %s: %s", cfg->api_path,
			 strerror(-err));
		return err;
	}
	if (cfg->reload_dir && (err = reload_open(st, cfg->reload_dir, cfg->reload_name,
						  cfg->detail, sizeof(cfg->detail))))
		return err;
	if (cfg->state_dir[0] && (err = watch_holder(cfg, st)))
		return err;
	if (cfg->state_dir[0]) {
		dir_fd = open(cfg->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		err = dir_fd < 0 ? -errno : pidfile_write(dir_fd, PF_PIDFILE, getpid());
		if (dir_fd >= 0)
			close(dir_fd);
		if (err) {
			snprintf(cfg->detail, sizeof(cfg->detail), "pid file: %s", strerror(-err));
			return err;
		}
	}
	return 0;
}

static int run_daemon(struct pf_cfg *cfg)
{
	struct pf_state st = {
		.epfd = -1, .debug = cfg->debug, .reload_fd = -1, .reload_dir_fd = -1
	};
	int err;

	if ((err = daemon_setup(cfg, &st))) {
		if (cfg->rootlessport)
			printf("rootlessport: %s\n", cfg->detail[0] ? cfg->detail : strerror(-err));
		else
			log_error("%s", cfg->detail[0] ? cfg->detail : strerror(-err));
		forward_free_all(&st);
		apiserver_free(st.api);
		reload_close(&st);
		return EXIT_FAILURE;
	}
	if ((err = pf_seccomp_install())) {
		log_error("seccomp: %s", strerror(-err));
		forward_free_all(&st);
		apiserver_free(st.api);
		reload_close(&st);
		return EXIT_FAILURE;
	}
	if (cfg->ready_fd >= 0) {
		if (write(cfg->ready_fd, READY_MESSAGE, 1) != 1)
			log_warn("ready fd %d: nobody is reading it", cfg->ready_fd);
		close(cfg->ready_fd);
	}
	err = pf_loop_run(&st);
	forward_free_all(&st);
	udp_free(&st);
	apiserver_free(st.api);
	reload_close(&st);
	return err ? EXIT_FAILURE : 0;
}

/* Client verbs: one API request each to the daemon of the netns. */
static int run_client(struct pf_cfg *cfg)
{
	json_t *req, *rep = NULL, *ret;
	int err;

	if ((err = resolve_netns(cfg))) {
		log_error("%s %s: %s", cfg->verb, cfg->netns_arg, cfg->detail);
		return EXIT_FAILURE;
	}
	for (int i = 0; i < (cfg->nargs ? cfg->nargs : 1); i++) {
		if (!strcmp(cfg->verb, "list"))
			req = json_pack("{s:s}", "execute", "list");
		else
			req = json_pack("{s:s, s:{s:s}}", "execute", cfg->verb, "arguments", "spec",
					cfg->args[i]);
		err = api_call(cfg->api_path, req, &rep, APICLIENT_TIMEOUT_MS);
		json_decref(req);
		if (err) {
			log_error("%s %s: no rootlet-portfwd answers on %s: %s", cfg->verb,
				  cfg->netns_arg, cfg->api_path, strerror(-err));
			return EXIT_FAILURE;
		}
		if (!(ret = json_object_get(rep, "return"))) {
			log_error("%s %s: %s", cfg->verb, cfg->netns_arg,
				  json_string_value(
					  json_object_get(json_object_get(rep, "error"), "desc")));
			json_decref(rep);
			return EXIT_FAILURE;
		}
		if (!strcmp(cfg->verb, "add")) {
			printf("%d %s\n", (int)json_integer_value(json_object_get(ret, "id")),
			       json_string_value(json_object_get(ret, "spec")));
			for (size_t k = 0; k < json_array_size(json_object_get(ret, "host_ports"));
			     k++)
				printf("  host port %d\n",
				       (int)json_integer_value(json_array_get(
					       json_object_get(ret, "host_ports"), k)));
		} else if (!strcmp(cfg->verb, "list") && cfg->json) {
			json_dumpf(json_object_get(ret, "forwards"), stdout, JSON_INDENT(2));
			fputc('\n', stdout);
		} else if (!strcmp(cfg->verb, "list")) {
			json_t *fwds = json_object_get(ret, "forwards");

			printf("%-4s %-5s %-40s %s\n", "ID", "PROTO", "SPEC", "HOST PORTS");
			for (size_t k = 0; k < json_array_size(fwds); k++) {
				json_t *f = json_array_get(fwds, k), *hp;

				printf("%-4d %-5s %-40s",
				       (int)json_integer_value(json_object_get(f, "id")),
				       json_string_value(json_object_get(f, "proto")),
				       json_string_value(json_object_get(f, "spec")));
				hp = json_object_get(f, "host_ports");
				for (size_t j = 0; j < json_array_size(hp); j++)
					printf(" %d",
					       (int)json_integer_value(json_array_get(hp, j)));
				printf("\n");
			}
		}
		json_decref(rep);
	}
	return 0;
}

/* podman's rootlessport: the same daemon, configured from stdin, errors on stdout. */
static int run_rootlessport(struct pf_cfg *cfg)
{
	if (rootlessport_config(cfg)) {
		printf("%s\n", cfg->detail);
		return EXIT_FAILURE;
	}
	if ((cfg->ready_fd >= 0 && fcntl(cfg->ready_fd, F_GETFD) < 0) ||
	    (cfg->exit_fd >= 0 && fcntl(cfg->exit_fd, F_GETFD) < 0)) {
		printf("rootlessport: ReadyFD or ExitFD is not an open fd\n");
		return EXIT_FAILURE;
	}
	return run_daemon(cfg);
}

int main(int argc, char **argv)
{
	static struct pf_cfg cfg = { .ready_fd = -1,
				     .exit_fd = -1,
				     .busy_poll_us = PF_BUSY_POLL_US };
	const char *base = strrchr(argv[0], '/');
	int err;

	if (!strcmp(base ? base + 1 : argv[0], ROOTLESSPORT_NAME)) {
		cfg.rootlessport = true;
		return run_rootlessport(&cfg);
	}
	err = parse_args(argc, argv, &cfg);

	if (err == 1) {
		usage(stdout);
		return 0;
	}
	if (err == 2) {
		printf("rootlet-portfwd %s\n", ROOTLET_VERSION);
		return 0;
	}
	if (err) {
		log_error("%s; see 'rootlet-portfwd --help'", cfg.detail);
		return EXIT_USAGE;
	}
	if ((cfg.ready_fd >= 0 && fcntl(cfg.ready_fd, F_GETFD) < 0) ||
	    (cfg.exit_fd >= 0 && fcntl(cfg.exit_fd, F_GETFD) < 0)) {
		log_error("--ready-fd or --exit-fd is not an open fd");
		return EXIT_USAGE;
	}
	return cfg.verb ? run_client(&cfg) : run_daemon(&cfg);
}
