/* rootlet-runtime: which runtime made a container, recorded at create for its later verbs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "name.h"
#include "runtime.h"
#include "statedir.h"

/*
 * Theory of operation
 *
 * An engine names the runtime on some calls only: podman's --runtime-flag runtime=runc reaches
 * create, but conmon's cleanup (podman container cleanup) runs delete without it, and then the
 * default (crun) would be asked to delete a container runc made, leaving runc's state behind.
 * So create and run record the runtime they chose, in the user's state root as
 * runtime@ID ('@': no netns name); a later verb naming no runtime itself (--runtime, our
 * environment variable) runs the recorded one, and delete takes the record away. Only ids that
 * are valid netns names are recorded (an engine's ids: 64 hex digits); others choose as before.
 */

#define RECORD_PREFIX "runtime@"
#define RECORD_MODE   0600

/* Verbs whose first argument after their options is the container's id, and those options. */
static const char *const id_verbs[] = { "create", "run",   "delete", "state",
					"kill",	  "start", "pause",  "resume" };

static const char *const valued[] = {
	"--bundle", "-b", "--console-socket", "--pid-file", "--preserve-fds", "--config", "-f"
};

static bool is_valued(const char *arg)
{
	if (strchr(arg, '='))
		return false;
	for (size_t i = 0; i < sizeof(valued) / sizeof(*valued); i++)
		if (!strcmp(arg, valued[i]))
			return true;
	return false;
}

/**
 * rt_record_id() - The container's id of a verb that names one, usable as a record's name
 * @cfg:	parsed by rt_args_parse()
 *
 * Return: the id, or NULL
 */
const char *rt_record_id(const struct rt_cfg *cfg)
{
	bool known = false;

	if (!cfg->verb)
		return NULL;
	for (size_t i = 0; i < sizeof(id_verbs) / sizeof(*id_verbs); i++)
		known = known || !strcmp(cfg->argv[cfg->verb], id_verbs[i]);
	if (!known)
		return NULL;
	for (int i = cfg->verb + 1; i < cfg->argc; i++) {
		const char *arg = cfg->argv[i];

		if (!strcmp(arg, "--"))
			return i + 1 < cfg->argc && !name_check(cfg->argv[i + 1], NULL)
				       ? cfg->argv[i + 1]
				       : NULL;
		if (arg[0] != '-')
			return name_check(arg, NULL) ? NULL : arg;
		if (is_valued(arg))
			i++;
	}
	return NULL;
}

static int record_root(int *ret_fd)
{
	char root[PATH_MAX];
	int err = state_root_path(root, sizeof(root));

	return err ? err : state_root_open(root, true, ret_fd);
}

/**
 * rt_record_write() - Record that @path made container @id (create, run)
 * @id:		the container's id
 * @path:	the runtime chosen
 *
 * Return: 0, negative errno (the container is made all the same; its later verbs choose anew)
 */
int rt_record_write(const char *id, const char *path)
{
	char name[NAME_MAX_LEN + sizeof(RECORD_PREFIX)];
	int fd, err;

	if ((err = record_root(&fd)))
		return err;
	snprintf(name, sizeof(name), RECORD_PREFIX "%s", id);
	err = file_write_atomic(fd, name, path, strlen(path), RECORD_MODE);
	close(fd);
	return err;
}

/**
 * rt_record_read() - The runtime that made container @id, if recorded; taken away on delete
 * @id:		the container's id
 * @remove:	delete: the record goes
 * @buf:	the runtime's path
 * @len:	its size
 *
 * Return: 0 with @buf set, -ENOENT with no record, negative errno
 */
int rt_record_read(const char *id, bool remove, char *buf, size_t len)
{
	char name[NAME_MAX_LEN + sizeof(RECORD_PREFIX)], *text;
	size_t n;
	int fd, err;

	if ((err = record_root(&fd)))
		return err;
	snprintf(name, sizeof(name), RECORD_PREFIX "%s", id);
	err = file_read_small(fd, name, &text, &n);
	if (!err && (n == 0 || n >= len || memchr(text, '\0', n) || text[0] != '/'))
		err = -EINVAL;
	if (!err) {
		memcpy(buf, text, n);
		buf[n] = '\0';
	}
	if (!err || err == -EINVAL)
		free(text);
	if (remove && err != -ENOENT)
		unlinkat(fd, name, 0);
	close(fd);
	return err;
}
