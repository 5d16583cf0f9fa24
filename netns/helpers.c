/* The helpers attached to a netns (slirp, portfwd, bypass): started on lib/launch, found, stopped.
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "fileio.h"
#include "launch.h"
#include "netns.h"
#include "pidfile.h"
#include "strfmt.h"

/* Helpers get this long to exit on SIGTERM before SIGKILL. */
#define HELPER_STOP_TIMEOUT_MS 2000

/**
 * helpers_each() - Call @fn for every "<helper>.pid" of an entry
 * @dir_fd:	the entry's directory
 * @fn:		called with the helper's name (file name without ".pid") and its pid file
 * @data:	passed to @fn
 *
 * Return: 0 on success, the first negative value @fn returned, or negative errno
 */
int helpers_each(int dir_fd, int (*fn)(const char *helper, const struct pidfile *pf, void *data),
		 void *data)
{
	size_t slen = strlen(PIDFILE_SUFFIX);
	struct dirent *de;
	DIR *dir;
	int err;

	if ((err = dir_stream(dir_fd, &dir)))
		return err;
	while ((de = readdir(dir))) {
		size_t len = strlen(de->d_name);
		char helper[NAME_MAX_LEN + 1];
		struct pidfile pf;
		int ret;

		if (len <= slen || len - slen > NAME_MAX_LEN ||
		    strcmp(de->d_name + len - slen, PIDFILE_SUFFIX))
			continue;
		if (pidfile_read(dir_fd, de->d_name, &pf))
			continue;
		snprintf(helper, sizeof(helper), "%.*s", (int)(len - slen), de->d_name);
		if ((ret = fn(helper, &pf, data)) < 0 && !err)
			err = ret;
	}
	closedir(dir);
	return err;
}

static int helper_stop_one(const char *helper, const struct pidfile *pf, void *data)
{
	(void)helper;
	(void)data;
	return pidfile_stop(pf, HELPER_STOP_TIMEOUT_MS);
}

/**
 * helpers_stop() - Stop every helper recorded in an entry
 * @dir_fd:	the entry's directory
 *
 * Return: 0 on success, negative errno of the first failure (the others are still stopped)
 */
int helpers_stop(int dir_fd)
{
	return helpers_each(dir_fd, helper_stop_one, NULL);
}

/**
 * helper_launch() - Start a helper of an entry and wait for it to say ready
 * @cfg:	configuration; cfg->err on failure: the helper's own last word
 * @dir_fd:	the entry's directory, for the log
 * @log:	the log's name in it
 * @argv:	its command line (lib/launch's builders)
 * @pass:	fds handed on, from LAUNCH_PASS_FD
 * @npass:	how many
 *
 * Return: 0 once ready, negative errno (it is not left running then)
 */
int helper_launch(struct netns_cfg *cfg, int dir_fd, const char *log, char **argv, const int *pass,
		  int npass)
{
	struct launch_opts o = {
		.argv = argv, .log_dir_fd = dir_fd, .log = log, .pass = pass, .npass = npass
	};
	pid_t pid;

	return launch_run(&o, LAUNCH_READY_TIMEOUT_MS, &pid, &cfg->err);
}

/**
 * helper_spawn_early() - Start a helper for a netns not made yet: it waits for launch_go() on
 * its --wait-fd, and exits at end of file there (we died or gave up)
 * @cfg:	configuration; cfg->err on failure
 * @dir_fd:	the entry's directory, for the log
 * @log:	the log's name in it
 * @argv:	its command line, --wait-fd among it
 * @pass:	fds handed on, from LAUNCH_PASS_FD
 * @npass:	how many
 * @h:		the helper, for launch_go(), helper_finish() or launch_abort()
 *
 * Return: 0 on success, negative errno
 */
int helper_spawn_early(struct netns_cfg *cfg, int dir_fd, const char *log, char **argv,
		       const int *pass, int npass, struct launch_proc *h)
{
	struct launch_opts o = { .argv = argv,
				 .log_dir_fd = dir_fd,
				 .log = log,
				 .early = true,
				 .pass = pass,
				 .npass = npass };

	return launch_spawn(&o, h, &cfg->err);
}

/**
 * early_paths() - What an early helper is given in the entry being built (not yet renamed):
 * its namespaces' links, and its API socket, which it binds there before it says ready
 * @cfg:	configuration; cfg->err on failure
 * @dir_path:	the entry's path
 * @api:	the API socket's name in it
 * @ret:	the three paths
 *
 * Return: 0, or -ENAMETOOLONG
 */
int early_paths(struct netns_cfg *cfg, const char *dir_path, const char *api,
		struct early_paths *ret)
{
	int err;

	if ((err = str_fmt(ret->net, sizeof(ret->net), "%s/%s", dir_path, STATE_NET)) ||
	    (err = str_fmt(ret->user, sizeof(ret->user), "%s/%s", dir_path, STATE_USER)) ||
	    (err = str_fmt(ret->api, sizeof(ret->api), "%s/%s", dir_path, api)))
		return err_errno(&cfg->err, err, "%s", dir_path);
	return 0;
}

/**
 * helper_finish() - Wait for an early helper to be ready and record it in its pid file
 * @cfg:	configuration; cfg->err on failure
 * @dir_fd:	the entry's directory
 * @h:		from helper_spawn_early()
 * @pidfile:	the pid file's name in the entry
 *
 * Return: 0 on success, negative errno (it is not left running then)
 */
int helper_finish(struct netns_cfg *cfg, int dir_fd, struct launch_proc *h, const char *pidfile)
{
	int err = launch_wait(h, LAUNCH_READY_TIMEOUT_MS, &cfg->err);

	if (!err && (err = pidfile_write(dir_fd, pidfile, h->pid)))
		launch_abort(h);
	return err;
}
