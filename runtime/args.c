/* rootlet-runtime's command line: its own options taken out of runc's, the verb and the bundle. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

/*
 * Theory of operation
 *
 * The engine's command line is runc's: GLOBAL-OPTIONS VERB VERB-OPTIONS ID. Ours are global
 * options too (Docker's runtimeArgs come first), so they are taken out wherever they stand
 * before the verb, and everything else is left, in order, for the real runtime. Only two facts
 * are read from the rest: which word is the verb (skipping the values of the runtimes' global
 * options that take one), and, for create and run, where the config is (--bundle, or crun's
 * --config). An option we do not know passes through: the runtime judges it. An option in our
 * own name space (--bypass..., --runtime...) that is not ours is a usage error, so that a typo
 * never silently turns the bypass off.
 */

/* Global options of runc 1.1 and crun 1.8 whose value may be the next argument. */
static const char *const global_valued[] = { "log",  "log-format", "log-level",	    "root",
					     "criu", "rootless",   "cgroup-manager" };

/* Options of create and run whose value may be the next argument. */
static const char *const verb_valued[] = { "console-socket", "pid-file", "preserve-fds" };

/* "--name[=v]" or "-name[=v]" (Go's flag package takes both): the name, its length. */
static const char *opt_name(const char *arg, size_t *ret_len)
{
	const char *name = arg + (arg[1] == '-' ? 2 : 1), *eq = strchr(name, '=');

	*ret_len = eq ? (size_t)(eq - name) : strlen(name);
	return name;
}

static bool opt_is(const char *arg, const char *name)
{
	size_t len;
	const char *n = opt_name(arg, &len);

	return arg[0] == '-' && len == strlen(name) && !strncmp(n, name, len);
}

/* Whether @arg is a --NAME of @list taking its value from the next argument (no '='). */
static bool takes_next(const char *arg, const char *const *list, size_t n)
{
	if (arg[0] != '-' || !arg[1] || strchr(arg, '='))
		return false;
	for (size_t i = 0; i < n; i++)
		if (opt_is(arg, list[i]))
			return true;
	return false;
}

/* Our option @name at argv[*i]: its value ("--x=v" or "--x v"), *i moved past it. */
static int own_value(int argc, char **argv, int *i, const char **ret, struct err *e)
{
	const char *eq = strchr(argv[*i], '=');

	if (eq) {
		*ret = eq + 1;
	} else if (*i + 1 < argc) {
		*ret = argv[++*i];
	} else {
		return err_make(e, -EINVAL, "option '%s' needs a value", argv[*i]);
	}
	if (!**ret)
		return err_make(e, -EINVAL, "option '%s' needs a value", argv[*i]);
	return 0;
}

/* One of our own options at argv[*i]; -ENOENT if it is not ours. */
static int own_option(int argc, char **argv, int *i, struct rt_cfg *cfg, struct err *e)
{
	const char *arg = argv[*i], *value;
	size_t len;
	const char *name = opt_name(arg, &len);
	bool has_value = strchr(arg, '=') != NULL;
	int err;

	if (strncmp(arg, "--", 2))
		return -ENOENT;
	if (opt_is(arg, "runtime"))
		return own_value(argc, argv, i, &cfg->runtime, e);
	if (opt_is(arg, "bypass-publish")) {
		if ((err = own_value(argc, argv, i, &value, e)))
			return err;
		return rt_publish_add(&cfg->ask, value, e);
	}
	if (!has_value && opt_is(arg, "bypass")) {
		cfg->ask.bypass = true;
		return 0;
	}
	if (!has_value && opt_is(arg, "bypass-host-loopback")) {
		cfg->ask.host_loopback = true;
		return 0;
	}
	if (!has_value && (opt_is(arg, "help") || !strcmp(arg, "-h"))) {
		cfg->help = true;
		return 0;
	}
	if (!has_value && opt_is(arg, "version")) {
		cfg->version = true;
		return 0;
	}
	if ((len >= strlen("bypass") && !strncmp(name, "bypass", strlen("bypass"))) ||
	    (len >= strlen("runtime") && !strncmp(name, "runtime", strlen("runtime"))))
		return err_make(e, -EINVAL, "unknown or incomplete option '%s'", arg);
	return -ENOENT;
}

/**
 * rt_args_parse() - Split our options from the runtime's command line, and find its verb
 * @argc:	the arguments' count
 * @argv:	the arguments; argv[0] is ours
 * @cfg:	filled: our options, and the runtime's argv (argv[0] left for its path)
 * @e:		what was wrong, on a usage error
 *
 * Return: 0, or -EINVAL for a usage error, -ENOMEM
 */
int rt_args_parse(int argc, char **argv, struct rt_cfg *cfg, struct err *e)
{
	int i, err;

	cfg->argv = calloc((size_t)argc + 1, sizeof(*cfg->argv));
	if (!cfg->argv)
		return err_make(e, -ENOMEM, "out of memory");
	cfg->argc = 1;
	cfg->verb = 0;
	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (cfg->verb || arg[0] != '-' || !strcmp(arg, "--")) {
			if (!cfg->verb && arg[0] != '-')
				cfg->verb = cfg->argc;
			cfg->argv[cfg->argc++] = argv[i];
			continue;
		}
		err = own_option(argc, argv, &i, cfg, e);
		if (!err)
			continue;
		if (err != -ENOENT)
			return err;
		cfg->argv[cfg->argc++] = argv[i];
		if (takes_next(arg, global_valued,
			       sizeof(global_valued) / sizeof(*global_valued)) &&
		    i + 1 < argc)
			cfg->argv[cfg->argc++] = argv[++i];
	}
	cfg->argv[cfg->argc] = NULL;
	return 0;
}

/**
 * rt_args_is_create() - Whether the runtime's verb makes a container: create or run
 * @cfg:	parsed by rt_args_parse()
 *
 * Return: true for create and run
 */
bool rt_args_is_create(const struct rt_cfg *cfg)
{
	return cfg->verb &&
	       (!strcmp(cfg->argv[cfg->verb], "create") || !strcmp(cfg->argv[cfg->verb], "run"));
}

/**
 * rt_args_config_path() - The config.json create or run will read
 * @cfg:	parsed by rt_args_parse(), a create or run
 * @buf:	output
 * @len:	size of @buf
 *
 * The bundle's config.json (--bundle/-b, the current directory by default), or crun's
 * --config/-f FILE.
 *
 * Return: 0, or -ENAMETOOLONG
 */
int rt_args_config_path(const struct rt_cfg *cfg, char *buf, size_t len)
{
	const char *bundle = ".", *config = NULL;
	int n;

	for (int i = cfg->verb + 1; i < cfg->argc; i++) {
		const char *arg = cfg->argv[i], *eq = strchr(arg, '='), *value;
		bool is_bundle = opt_is(arg, "bundle") || opt_is(arg, "b");
		bool is_config = opt_is(arg, "config") || opt_is(arg, "f");

		if (arg[0] != '-' || !strcmp(arg, "--"))
			break; /* the container's id: what follows is not ours to read */
		if (!is_bundle && !is_config) {
			if (takes_next(arg, verb_valued,
				       sizeof(verb_valued) / sizeof(*verb_valued)))
				i++;
			continue;
		}
		if (eq)
			value = eq + 1;
		else if (i + 1 < cfg->argc)
			value = cfg->argv[++i];
		else
			break;
		if (is_bundle)
			bundle = value;
		else
			config = value;
	}
	n = config ? snprintf(buf, len, "%s", config)
		   : snprintf(buf, len, "%s/config.json", bundle);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/**
 * rt_args_global() - The value of one of the runtime's global options (before the verb)
 * @cfg:	parsed by rt_args_parse()
 * @name:	its name, without dashes ("log", "log-format")
 *
 * Return: the last value given, or NULL
 */
const char *rt_args_global(const struct rt_cfg *cfg, const char *name)
{
	const char *found = NULL;
	int end = cfg->verb ? cfg->verb : cfg->argc;

	for (int i = 1; i < end; i++) {
		const char *arg = cfg->argv[i], *eq = strchr(arg, '=');

		if (arg[0] != '-' || !opt_is(arg, name))
			continue;
		if (eq)
			found = eq + 1;
		else if (i + 1 < end)
			found = cfg->argv[++i];
	}
	return found;
}
