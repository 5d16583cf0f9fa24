/* rootlet-netns: persistent rootless network namespaces, from a shell. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmdline_main.h"
#include "fwdspec.h"
#include "log.h"
#include "netns.h"
#include "sdlisten.h"
#include "statedir.h"

enum {
	OPT_IN_PLACE = 256,
	OPT_USER,
	OPT_USERNS,
	OPT_DEBUG,
	OPT_SLIRP,
	OPT_MTU,
	OPT_IPV6,
	OPT_ALLOW_HOST_LOOPBACK,
	OPT_PUBLISH,
	OPT_PUBLISH_FD,
	OPT_SOURCE_IP,
	OPT_BYPASS,
	OPT_OWNER,
	OPT_EXIST_OK,
};

#define SLIRP_ROOTLET_MTU 65520
#define SLIRP_MTU_MAX	  65521

struct verb {
	const char *name;
	int (*fn)(struct netns_cfg *cfg);
	bool takes_name;
	int extra_args; /* after NAME: -1 = a command (exec) */
};

static const struct verb verbs[] = {
	{ "add", netns_add, true, 0 },	  { "del", netns_del, true, 0 },
	{ "list", netns_list, false, 0 }, { "exec", netns_exec, true, -1 },
	{ "path", netns_path, true, 0 },  { "show", netns_show, true, 0 },
	{ "oci", netns_oci, true, 1 },	  { "gc", netns_gc, false, 0 },
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: rootlet-netns [OPTIONS] VERB [ARGS]\n"
		"Persistent network namespaces for unprivileged users.\n"
		"\n"
		"Verbs:\n"
		"  add NAME [--userns PATH] [--slirp [--mtu N] [--ipv6] [--allow-host-loopback]]\n"
		"           [--publish SPEC]... [--publish-fd FD[:PORT][/PROTO]]... [--source-ip]\n"
		"           [--bypass] [--owner PID] [--exist-ok]\n"
		"                             create a netns kept alive by a holder process\n"
		"  del NAME                   stop its holder and helpers, remove it\n"
		"  list [--json]              every netns: name, live/stale, holder, path\n"
		"  exec NAME [--bypass] -- CMD...  run CMD inside the netns (and its userns)\n"
		"  path NAME [--user]         print the netns (or userns) path\n"
		"  show NAME [--json]         interfaces, addresses, routes, holder, helpers\n"
		"  oci NAME CONFIG [--in-place] [--bypass]  make an OCI config.json join the "
		"netns\n"
		"  gc                         remove stale entries\n"
		"\n"
		"Options:\n"
		"  -j, --json        machine-readable output (list, show)\n"
		"      --userns PATH join this user namespace instead of making one (add)\n"
		"      --slirp       give it outbound connectivity through rootlet-slirp (add)\n"
		"      --mtu N       MTU of the slirp tap, default 65520 (add --slirp)\n"
		"      --ipv6        IPv6 through slirp too (add --slirp)\n"
		"      --allow-host-loopback  let the netns reach the host's 127.0.0.1 as "
		"10.0.2.2\n"
		"      --publish SPEC  forward a host port in through rootlet-portfwd (add)\n"
		"      --publish-fd FD[:PORT][/PROTO]  forward an inherited listening socket (an\n"
		"                    fd, or a LISTEN_FDNAMES name) to PORT, default its own (add)\n"
		"      --source-ip   the forwards' services see the client's own address\n"
		"                    (add --publish, --publish-fd)\n"
		"      --bypass      rootlet-bypass serves the netns's connect() and bind() from\n"
		"                    the host's netns, at the kernel's speed (add --slirp; its\n"
		"                    --publish rules are then bound by the service itself); put\n"
		"                    CMD (exec) or the container (oci) under it\n"
		"      --owner PID   the netns is PID's: gc removes it, holder and helpers, once\n"
		"                    PID has ended (add; rootlet run's own)\n"
		"      --exist-ok    keep a live netns of that name as it is; a stale one is made\n"
		"                    anew (add, without helpers: a unit's ExecStartPre)\n"
		"      --user        print the user namespace path (path)\n"
		"      --in-place    rewrite CONFIG instead of printing it (oci)\n"
		"      --debug       say more on stderr\n"
		"  -h, --help        this text\n"
		"  -V, --version     print the version\n"
		"\n"
		"State: $ROOTLET_STATE_DIR, else $XDG_RUNTIME_DIR/rootlet (root: /run/rootlet;\n"
		"unset: /run/user/UID/rootlet if that directory is yours).\n"
		"Exit: 0 ok, 1 failed, 2 usage; exec: the command's status, 125 if rootlet-netns\n"
		"failed, 126 if CMD cannot run, 127 if it is not found. See rootlet-netns(1).\n");
}

static int usage_error(const char *fmt, const char *arg)
{
	return cmdline_usage("rootlet-netns", fmt, arg);
}

static const char *netns_strerror(int err)
{
	switch (err) {
	case -EEXIST:
		return "exists";
	case -ENOENT:
		return "no such netns";
	case -ESRCH:
		return "stale (its holder is gone); run 'rootlet-netns gc'";
	case -EBADMSG:
		return "state.json is corrupt; 'rootlet-netns del' removes the entry";
	default:
		return strerror(-err);
	}
}

/*
 * "No such file" and "Not a directory" from the state root or an entry say too little: name
 * what is missing or wrong, and the way out.
 */
static void explain_state_error(struct netns_cfg *cfg, int err)
{
	char entry[PATH_MAX];
	struct stat st;

	if (err != -ENOENT && err != -ENOTDIR && err != -ELOOP)
		return;
	if (lstat(cfg->root, &st) < 0) {
		if (errno == ENOENT && cfg->name)
			err_make(&cfg->err, -ENOENT,
				 "no such netns (none made yet: %s does not exist)", cfg->root);
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		err_make(&cfg->err, -ENOTDIR,
			 "%s is %s, not the state directory: refused; remove it", cfg->root,
			 S_ISLNK(st.st_mode) ? "a symlink" : "not a directory");
		return;
	}
	if (cfg->name && !state_entry_path(entry, sizeof(entry), cfg->root, cfg->name, NULL) &&
	    !lstat(entry, &st) && !S_ISDIR(st.st_mode))
		err_make(&cfg->err, -ENOTDIR,
			 "%s is %s, not a netns entry; 'rootlet-netns del %s' removes it", entry,
			 S_ISLNK(st.st_mode) ? "a symlink" : "not a directory", cfg->name);
}

/* Options that belong to one verb only are refused elsewhere, rather than silently ignored. */
static int check_option_fits(const struct netns_cfg *cfg)
{
	if (cfg->json && strcmp(cfg->verb, "list") && strcmp(cfg->verb, "show"))
		return usage_error("--json goes with list and show, not %s", cfg->verb);
	if (cfg->userns_path && strcmp(cfg->verb, "add"))
		return usage_error("--userns goes with add, not %s", cfg->verb);
	if (cfg->owner && strcmp(cfg->verb, "add"))
		return usage_error("--owner goes with add, not %s", cfg->verb);
	if (cfg->exist_ok && strcmp(cfg->verb, "add"))
		return usage_error("--exist-ok goes with add, not %s", cfg->verb);
	/* A netns kept as it is could not honour them: they would be silently ignored. */
	if (cfg->exist_ok &&
	    (cfg->slirp || cfg->n_publish || cfg->n_publish_fd || cfg->bypass || cfg->owner))
		return usage_error("%s", "--exist-ok goes with a netns without helpers or owner "
					 "(--slirp, --publish, --bypass, --owner start their own)");
	if (cfg->user && strcmp(cfg->verb, "path"))
		return usage_error("--user goes with path, not %s", cfg->verb);
	if (cfg->in_place && strcmp(cfg->verb, "oci"))
		return usage_error("--in-place goes with oci, not %s", cfg->verb);
	if ((cfg->slirp || cfg->ipv6 || cfg->allow_host_loopback || cfg->mtu || cfg->n_publish ||
	     cfg->n_publish_fd) &&
	    strcmp(cfg->verb, "add"))
		return usage_error("--slirp, --publish and their options go with add, not %s",
				   cfg->verb);
	if (cfg->source_ip && !cfg->n_publish && !cfg->n_publish_fd)
		return usage_error("%s", "--source-ip needs --publish or --publish-fd");
	if (cfg->bypass && strcmp(cfg->verb, "add") && strcmp(cfg->verb, "exec") &&
	    strcmp(cfg->verb, "oci"))
		return usage_error("--bypass goes with add, exec and oci, not %s", cfg->verb);
	if (cfg->bypass && !strcmp(cfg->verb, "add") && !cfg->slirp)
		return usage_error("%s",
				   "--bypass needs --slirp: it bypasses what slirp would reach");
	if ((cfg->ipv6 || cfg->allow_host_loopback || cfg->mtu) && !cfg->slirp)
		return usage_error("%s", "--mtu, --ipv6 and --allow-host-loopback need --slirp");
	return 0;
}

/* --publish-fd FD[:PORT][/PROTO]: the fd it names now, while LISTEN_FDNAMES is ours to read. */
static int take_publish_fd(struct netns_cfg *cfg, const char *text)
{
	char what[NAME_MAX + 1];
	size_t n = strcspn(text, ":/");
	struct fwd_spec spec;
	struct err e = { 0 };
	int fd, *fds;
	const char **texts;

	if (n == 0 || n >= sizeof(what))
		return usage_error("--publish-fd '%s': FD missing or too long", text);
	snprintf(what, sizeof(what), "%.*s", (int)n, text);
	if (cfg->n_publish_fd >= HELPER_PASS_MAX)
		return usage_error("--publish-fd '%s': too many", text);
	if (sdlisten_find(what, &fd))
		return usage_error("--publish-fd '%s': neither an open fd nor a socket-activated "
				   "fd's name",
				   text);
	/* Checked here, in the user's words: rootlet-portfwd gets it under another number. */
	if (fwdspec_fd(text, &fd, &spec, &e))
		return usage_error("%s", err_text(&e));
	texts = realloc(cfg->publish_fd, (size_t)(cfg->n_publish_fd + 1) * sizeof(*texts));
	if (texts)
		cfg->publish_fd = texts;
	fds = realloc(cfg->publish_fds, (size_t)(cfg->n_publish_fd + 1) * sizeof(*fds));
	if (fds)
		cfg->publish_fds = fds;
	if (!texts || !fds)
		return usage_error("--publish-fd '%s': out of memory", text);
	cfg->publish_fd[cfg->n_publish_fd] = text;
	cfg->publish_fds[cfg->n_publish_fd++] = fd;
	return 0;
}

static int parse_args(int argc, char **argv, struct netns_cfg *cfg, const struct verb **ret_verb)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "json", no_argument, NULL, 'j' },
		{ "in-place", no_argument, NULL, OPT_IN_PLACE },
		{ "user", no_argument, NULL, OPT_USER },
		{ "userns", required_argument, NULL, OPT_USERNS },
		{ "debug", no_argument, NULL, OPT_DEBUG },
		{ "slirp", no_argument, NULL, OPT_SLIRP },
		{ "mtu", required_argument, NULL, OPT_MTU },
		{ "ipv6", no_argument, NULL, OPT_IPV6 },
		{ "allow-host-loopback", no_argument, NULL, OPT_ALLOW_HOST_LOOPBACK },
		{ "publish", required_argument, NULL, OPT_PUBLISH },
		{ "publish-fd", required_argument, NULL, OPT_PUBLISH_FD },
		{ "source-ip", no_argument, NULL, OPT_SOURCE_IP },
		{ "bypass", no_argument, NULL, OPT_BYPASS },
		{ "owner", required_argument, NULL, OPT_OWNER },
		{ "exist-ok", no_argument, NULL, OPT_EXIST_OK },
		{ NULL, 0, NULL, 0 },
	};
	static const struct cmdline_prog prog = { "rootlet-netns", usage };
	const struct verb *verb = NULL;
	const void *found;
	int c, nargs, err;

	opterr = 0;
	while ((c = cmdline_next(&prog, argc, argv, "hVj", opts)) != -1) {
		switch (c) {
		case 'j':
			cfg->json = true;
			break;
		case OPT_IN_PLACE:
			cfg->in_place = true;
			break;
		case OPT_USER:
			cfg->user = true;
			break;
		case OPT_USERNS:
			cfg->userns_path = optarg;
			break;
		case OPT_DEBUG:
			cfg->debug = true;
			break;
		case OPT_SLIRP:
			cfg->slirp = true;
			break;
		case OPT_MTU: {
			char *end;
			unsigned long mtu;

			errno = 0;
			mtu = strtoul(optarg, &end, 10);
			if (errno || *end || !*optarg || *optarg == '-' || mtu == 0 ||
			    mtu > SLIRP_MTU_MAX)
				return usage_error("--mtu '%s': must be 1 to 65521", optarg);
			cfg->mtu = (unsigned)mtu;
			break;
		}
		case OPT_IPV6:
			cfg->ipv6 = true;
			break;
		case OPT_ALLOW_HOST_LOOPBACK:
			cfg->allow_host_loopback = true;
			break;
		case OPT_SOURCE_IP:
			cfg->source_ip = true;
			break;
		case OPT_BYPASS:
			cfg->bypass = true;
			break;
		case OPT_EXIST_OK:
			cfg->exist_ok = true;
			break;
		case OPT_OWNER:
			if (cmdline_pid(optarg, &cfg->owner))
				return usage_error("--owner '%s': not a process id", optarg);
			break;
		case OPT_PUBLISH_FD:
			if ((err = take_publish_fd(cfg, optarg)))
				return err;
			break;
		case OPT_PUBLISH:
			if (spec_check_publish(optarg, &cfg->err))
				return usage_error("%s", err_text(&cfg->err));
			if (cmdline_append(&cfg->publish, &cfg->n_publish, optarg))
				return usage_error("--publish '%s': out of memory", optarg);
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

	if (verb->takes_name &&
	    (err = cmdline_operand(prog.name, cfg->verb, "NAME", argc, argv, &cfg->name)))
		return err;
	nargs = argc - optind;
	if (verb->extra_args < 0) {
		if (nargs < 1)
			return usage_error("%s: command missing after NAME --", cfg->verb);
		cfg->cmd = &argv[optind];
	} else if (nargs != verb->extra_args) {
		if (nargs > verb->extra_args)
			return usage_error("unexpected argument '%s'",
					   argv[optind + verb->extra_args]);
		return usage_error("%s: CONFIG missing", cfg->verb);
	} else if (nargs) {
		cfg->config_path = argv[optind];
	}
	if (cfg->slirp && !cfg->mtu)
		cfg->mtu = SLIRP_ROOTLET_MTU;
	*ret_verb = verb;
	return 0;
}

int main(int argc, char **argv)
{
	static struct netns_cfg cfg;
	const struct verb *verb = NULL;
	int err;

	if ((err = parse_args(argc, argv, &cfg, &verb)))
		return err;
	err = state_root_path(cfg.root, sizeof(cfg.root));
	if (err == -ENOENT) {
		state_root_missing(&cfg.err);
		log_error("%s: %s", cfg.verb, err_text(&cfg.err));
		return cmdline_exit_failed(verb->extra_args < 0, false, err);
	}
	if (err) {
		log_error("%s: state directory: %s", cfg.verb, strerror(-err));
		return cmdline_exit_failed(verb->extra_args < 0, false, err);
	}
	log_debug(cfg.debug, "state root %s", cfg.root);

	err = verb->fn(&cfg);
	if (err && !cfg.err.text[0])
		explain_state_error(&cfg, err);
	if (cfg.warning[0])
		log_warn("%s %s: %s", cfg.verb, cfg.name ? cfg.name : "", cfg.warning);
	if (!err)
		return 0;
	if (err == -EPERM && !cfg.err.text[0])
		state_root_refused(cfg.root, &cfg.err);
	if (!cfg.err.text[0])
		err_make(&cfg.err, err, "%s", netns_strerror(err));
	if (cfg.name)
		err_wrap(&cfg.err, err, "%s %s", cfg.verb, cfg.name);
	else
		err_wrap(&cfg.err, err, "%s", cfg.verb);
	log_error("%s", err_text(&cfg.err));
	return cmdline_exit_failed(verb->extra_args < 0, cfg.cmd_failed, err);
}
