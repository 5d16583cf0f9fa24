/* rootlet-runtime: runc's command line, the real runtime run in our place; the bypass on create. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmdline.h"
#include "runtime.h"

/*
 * Theory of operation
 *
 * Nothing here forks: whatever the verb, the last thing this process does is execv() the real
 * runtime with the engine's arguments, minus our own options. So the runtime is the very
 * process the engine started: the same pid, stdio, every inherited fd (the console socket,
 * --preserve-fds, systemd's LISTEN_FDS), environment, signal dispositions and mask, and its
 * exit status is the one the engine reads. An engine that asks nothing of us cannot tell us
 * from the runtime. On create and run, when the bypass is asked (annotations or --bypass),
 * the bundle's config.json is edited first, in place and atomically; if that fails, the runtime
 * is not run at all and create fails with our one line, the config untouched.
 */

static void usage(void)
{
	printf("Usage: %s [--runtime PATH|NAME] [--bypass] [--bypass-host-loopback]\n"
	       "       [--bypass-publish SPEC[,SPEC]...]... [RUNTIME-OPTIONS] VERB [ARGS]...\n"
	       "An OCI runtime with runc's command line that runs the real one (crun or runc).\n"
	       "Every verb and option not listed here passes through unchanged.\n"
	       "\n"
	       "  --runtime PATH|NAME     the real runtime (else $%s, else crun, then runc,\n"
	       "                          on PATH)\n"
	       "  --bypass                create/run: put the container under its rootlet netns's\n"
	       "                          rootlet-bypass (as annotation %s=1)\n"
	       "  --bypass-host-loopback  ask that the supervisor lets it reach the host's "
	       "loopback\n"
	       "                          (as %s=1)\n"
	       "  --bypass-publish SPEC   ask that the supervisor publishes SPEC (as %s)\n"
	       "  -h, --help              this text\n"
	       "  --version               this version, the runtime chosen, and its own version\n"
	       "\n"
	       "Exit: the runtime's own status; 1 if the runtime cannot be run or the bypass\n"
	       "cannot be set up; 2 usage. See rootlet-runtime(1).\n",
	       RT_PROG, RT_ENV, RT_ANN_BYPASS, RT_ANN_HOST_LOOPBACK, RT_ANN_PUBLISH);
}

#define RT_LOG_MODE 0600
#define RT_LINE_MAX 1024
#define RT_TIME_LEN 32

/*
 * Our one line, also where the engine reads the runtime's errors: runc's --log FILE with
 * --log-format json, one JSON object a line (containerd's shim reports the last error there;
 * Docker shows it). stderr alone would be lost: the shim does not show a runtime's stderr.
 */
static void runtime_log(const struct rt_cfg *cfg, const char *line)
{
	const char *path = rt_args_global(cfg, "log"), *format = rt_args_global(cfg, "log-format");
	char when[RT_TIME_LEN];
	struct tm tm;
	time_t now = time(NULL);
	json_t *entry;
	char *text;
	int fd;

	fprintf(stderr, "%s\n", line);
	if (!path || !format || strcmp(format, "json") || !gmtime_r(&now, &tm) ||
	    !strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm))
		return;
	entry = json_pack("{s:s, s:s, s:s}", "level", "error", "msg", line, "time", when);
	text = entry ? json_dumps(entry, JSON_COMPACT) : NULL;
	fd = text ? open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, RT_LOG_MODE)
		  : -1;
	if (fd >= 0) {
		dprintf(fd, "%s\n", text);
		close(fd);
	}
	free(text);
	json_decref(entry);
}

/* Our version and the choice, then the runtime's own --version in our place. */
static int version(const char *option)
{
	struct rt_choice choice;
	struct err e = { 0 };

	printf("%s %s\n", RT_PROG, ROOTLET_VERSION);
	if (rt_choose(option, &choice, &e)) {
		printf("runtime: none (%s)\n", err_text(&e));
		return RT_EXIT_FAILED;
	}
	printf("runtime: %s (chosen by %s)\n", choice.path, choice.how);
	fflush(stdout);
	execv(choice.path, (char *[]){ choice.path, "--version", NULL });
	fprintf(stderr, "%s: %s: %s\n", RT_PROG, choice.path, strerror(errno));
	return RT_EXIT_FAILED;
}

/*
 * The runtime: the one named (--runtime, $ROOTLET_RUNTIME); else, for a verb on a container
 * made through us, the one its create chose (record.c); else the first on PATH.
 */
static int choose(const struct rt_cfg *cfg, struct rt_choice *choice, struct err *e)
{
	const char *id = rt_record_id(cfg), *env = getenv(RT_ENV);
	bool is_delete = id && !strcmp(cfg->argv[cfg->verb], "delete"), have = false;
	struct rtrecord rec;
	int err;

	/* delete takes the record away, whichever runtime it names; other verbs confirm it. */
	if (id && !rt_args_is_create(cfg)) {
		have = !rt_record_read(id, is_delete, &rec);
		if (have && !is_delete)
			rt_record_confirm(id, &rec); /* a failure only leaves gc less to go on */
	}
	if (!cfg->runtime && !(env && *env) && have) {
		if ((err = rt_choose(rec.path, choice, e)))
			return err_wrap(e, err, "the runtime that made %s", id);
		choice->how = "the record of its create";
		return 0;
	}
	return rt_choose(cfg->runtime, choice, e);
}

/* create and run record their choice once nothing is left to refuse: a refused create leaves
 * no record. */
static void record_create(const struct rt_cfg *cfg, const struct rt_choice *choice)
{
	const char *id = rt_record_id(cfg);
	int err;

	if (id && (err = rt_record_write(cfg, id, choice->path)))
		fprintf(stderr, "%s: warning: recording the runtime of %s: %s\n", RT_PROG, id,
			strerror(-err));
}

int main(int argc, char **argv)
{
	char config[PATH_MAX];
	struct rt_choice choice;
	struct err e = { 0 };
	struct rt_cfg cfg = { 0 };
	int err;

	if ((err = rt_args_parse(argc, argv, &cfg, &e))) {
		fprintf(stderr, "%s: %s; see '%s --help'\n", RT_PROG, err_text(&e), RT_PROG);
		return err == -EINVAL ? CMDLINE_EXIT_USAGE : RT_EXIT_FAILED;
	}
	if (cfg.help) {
		usage();
		return 0;
	}
	if (cfg.version)
		return version(cfg.runtime);
	if ((err = choose(&cfg, &choice, &e))) {
		fprintf(stderr, "%s: %s\n", RT_PROG, err_text(&e));
		return RT_EXIT_FAILED;
	}
	if (rt_args_is_create(&cfg)) {
		struct rt_ask ask = cfg.ask;

		if (rt_args_config_path(&cfg, config, sizeof(config))) {
			fprintf(stderr, "%s: %s: the bundle's path is too long\n", RT_PROG,
				cfg.argv[cfg.verb]);
			return RT_EXIT_FAILED;
		}
		if (rt_bypass(&cfg, config, &ask, &e)) {
			char line[RT_LINE_MAX];

			snprintf(line, sizeof(line), "%s: %s: bypass: %s", RT_PROG,
				 cfg.argv[cfg.verb], err_text(&e));
			runtime_log(&cfg, line);
			return RT_EXIT_FAILED;
		}
		if (ask.warning[0])
			fprintf(stderr, "%s: warning: %s\n", RT_PROG, ask.warning);
		record_create(&cfg, &choice);
	}
	cfg.argv[0] = choice.path;
	execv(choice.path, cfg.argv);
	fprintf(stderr, "%s: %s: %s\n", RT_PROG, choice.path, strerror(errno));
	return RT_EXIT_FAILED;
}
