/* The helpers attached to a netns (slirp, portfwd), found through their pid files. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "netns.h"
#include "pidfile.h"

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
 * helper_path() - Find a binary of ours that rootlet-netns runs
 * @binary:	its name
 * @libexec_sub: where it sits relative to our own directory when installed, or NULL
 * @buf:	output
 * @len:	size of @buf
 *
 * $ROOTLET_<NAME> is not read: the environment of a user's shell does not choose what runs
 * inside their netns. Next to our own binary (the build tree and bin/), then @libexec_sub
 * beside it (an installed tree, wherever PREFIX or DESTDIR put it), then where this build was
 * told it would be installed.
 *
 * Return: 0 on success, -ENOENT
 */
int helper_path(const char *binary, const char *libexec_sub, char *buf, size_t len)
{
	const char *beside[] = { "", libexec_sub };
	char self[PATH_MAX], *dir;
	ssize_t n;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		dir = dirname(self);
		for (size_t i = 0; i < sizeof(beside) / sizeof(beside[0]); i++) {
			if (!beside[i])
				continue;
			snprintf(buf, len, "%s%s/%s", dir, beside[i], binary);
			if (!access(buf, X_OK))
				return 0;
		}
	}
	snprintf(buf, len, "%s/%s", libexec_sub ? LIBEXECDIR : BINDIR, binary);
	return access(buf, X_OK) ? -ENOENT : 0;
}
