/* rootlet-uidmap: user namespaces mapped from /etc/subuid and /etc/subgid. */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdline_main.h"
#include "log.h"
#include "uidmap.h"

enum {
	OPT_SUBUID = 256,
	OPT_SUBGID,
	OPT_STRICT,
	OPT_ROOT_ONLY,
	OPT_IN_PLACE
};

struct verb {
	const char *name;
	int (*fn)(struct uidmap_cfg *cfg);
	int min_args, max_args; /* -1: a command follows */
};

static const struct verb verbs[] = {
	{ "show", uidmap_show, 0, 1 },
	{ "apply", uidmap_apply, 1, 1 },
	{ "exec", uidmap_exec, -1, -1 },
	{ "oci", uidmap_oci, 1, 1 },
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: rootlet-uidmap [OPTIONS] VERB [ARGS]\n"
		"User namespaces mapped from /etc/subuid and /etc/subgid.\n"
		"\n"
		"Verbs:\n"
		"  show [USER] [--json]        the maps USER (default: you) gets, and their "
		"sources\n"
		"  apply PID                   map PID's fresh user namespace "
		"(newuidmap/newgidmap)\n"
		"  exec [--] CMD...            run CMD as root in a new mapped userns + mount ns\n"
		"  oci CONFIG [--in-place]     set a new user namespace and its mappings in "
		"CONFIG\n"
		"\n"
		"Options:\n"
		"      --subuid FILE   read FILE instead of /etc/subuid\n"
		"      --subgid FILE   read FILE instead of /etc/subgid\n"
		"      --strict        fail instead of falling back to mapping only your own ids\n"
		"      --root-only     map only your own uid and gid to 0\n"
		"  -j, --json          machine-readable output (show)\n"
		"      --in-place      rewrite CONFIG instead of printing it (oci)\n"
		"  -h, --help          this text\n"
		"  -V, --version       print the version\n"
		"\n"
		"Exit: 0 ok, 1 failed, 2 usage; exec: the command's status, 125 if rootlet-uidmap\n"
		"failed, 126 if CMD cannot run, 127 if it is not found. See rootlet-uidmap(1).\n");
}

static int usage_error(const char *fmt, const char *arg)
{
	return cmdline_usage("rootlet-uidmap", fmt, arg);
}

static int parse_args(int argc, char **argv, struct uidmap_cfg *cfg, const struct verb **ret)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "json", no_argument, NULL, 'j' },
		{ "subuid", required_argument, NULL, OPT_SUBUID },
		{ "subgid", required_argument, NULL, OPT_SUBGID },
		{ "strict", no_argument, NULL, OPT_STRICT },
		{ "root-only", no_argument, NULL, OPT_ROOT_ONLY },
		{ "in-place", no_argument, NULL, OPT_IN_PLACE },
		{ NULL, 0, NULL, 0 },
	};
	static const struct cmdline_prog prog = { "rootlet-uidmap", usage };
	const struct verb *verb = NULL;
	const void *found;
	int c, nargs, err;

	opterr = 0;
	while ((c = cmdline_next(&prog, argc, argv, "hVj", opts)) != -1) {
		switch (c) {
		case 'j':
			cfg->json = true;
			break;
		case OPT_SUBUID:
			cfg->opts.subuid_path = optarg;
			break;
		case OPT_SUBGID:
			cfg->opts.subgid_path = optarg;
			break;
		case OPT_STRICT:
			cfg->strict = true;
			break;
		case OPT_ROOT_ONLY:
			cfg->opts.root_only = true;
			break;
		case OPT_IN_PLACE:
			cfg->in_place = true;
			break;
		default:
			return cmdline_unknown_option(prog.name, argv);
		}
	}
	if ((err = cmdline_take_verb(prog.name, argc, argv, CMDLINE_TABLE(verbs), &found)))
		return err;
	verb = found;
	cfg->verb = verb->name;
	if (cfg->json && strcmp(cfg->verb, "show"))
		return usage_error("--json goes with show, not %s", cfg->verb);
	if (cfg->in_place && strcmp(cfg->verb, "oci"))
		return usage_error("--in-place goes with oci, not %s", cfg->verb);

	nargs = argc - optind;
	if (verb->min_args < 0) {
		if (nargs < 1)
			return usage_error("%s: command missing", cfg->verb);
		cfg->cmd = &argv[optind];
	} else if (nargs < verb->min_args) {
		return usage_error("%s: argument missing", cfg->verb);
	} else if (nargs > verb->max_args) {
		return usage_error("unexpected argument '%s'", argv[optind + verb->max_args]);
	} else if (!strcmp(verb->name, "show") && nargs) {
		cfg->user_arg = argv[optind];
	} else if (!strcmp(verb->name, "apply")) {
		if (cmdline_pid(argv[optind], &cfg->pid))
			return usage_error("apply: '%s' is not a pid", argv[optind]);
	} else if (!strcmp(verb->name, "oci")) {
		cfg->config_path = argv[optind];
	}
	*ret = verb;
	return 0;
}

/* The user whose ranges count: the caller, or for show the one named (by name or uid). */
static int resolve_user(struct uidmap_cfg *cfg)
{
	struct passwd *pw;
	pid_t num;

	if (cfg->user_arg) {
		pw = getpwnam(cfg->user_arg);
		if (!pw && !cmdline_pid(cfg->user_arg, &num))
			pw = getpwuid((uid_t)num);
		if (!pw) {
			return err_make(&cfg->err, -ENOENT, "no such user '%s'", cfg->user_arg);
		}
		cfg->opts.uid = pw->pw_uid;
		cfg->opts.gid = pw->pw_gid;
	} else {
		cfg->opts.uid = getuid();
		cfg->opts.gid = getgid();
		pw = getpwuid(cfg->opts.uid);
	}
	if (pw)
		snprintf(cfg->user, sizeof(cfg->user), "%s", pw->pw_name);
	else
		snprintf(cfg->user, sizeof(cfg->user), "%u", (unsigned)cfg->opts.uid);
	cfg->opts.user = pw ? cfg->user : NULL;
	return 0;
}

static int build_map(struct uidmap_cfg *cfg)
{
	const struct usermap_diag *d = &cfg->diag;
	int err;

	err = usermap_build(&cfg->opts, &cfg->map, &cfg->diag, &cfg->err);
	for (size_t i = 0; i < d->n_warn; i++)
		log_warn("%s", d->warn[i]);
	if (d->n_warn_more)
		log_warn("and %zu more malformed lines", d->n_warn_more);
	if (err) {
		log_error("%s: %s", cfg->verb, err_why(&cfg->err, err));
		return err;
	}
	if (d->fallback[0]) {
		if (cfg->strict) {
			log_error("%s: %s (--strict)", cfg->verb, d->fallback);
			return -EPERM;
		}
		log_warn("%s", d->fallback);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct uidmap_cfg cfg = { .opts = { .subuid_path = SUBUID_PATH,
						   .subgid_path = SUBGID_PATH } };
	const struct verb *verb = NULL;
	bool exec_verb;
	int err;

	if ((err = parse_args(argc, argv, &cfg, &verb)))
		return err;
	exec_verb = verb->min_args < 0;
	if ((err = resolve_user(&cfg))) {
		log_error("%s: %s", cfg.verb, err_why(&cfg.err, err));
		return cmdline_exit_failed(exec_verb, false, err);
	}
	if (build_map(&cfg))
		return cmdline_exit_failed(exec_verb, false, err);

	err = verb->fn(&cfg);
	if (!err)
		return 0;
	err_wrap(&cfg.err, err, "%s", cfg.verb);
	log_error("%s", err_text(&cfg.err));
	return cmdline_exit_failed(exec_verb, cfg.cmd_failed, err);
}
