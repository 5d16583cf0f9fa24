/* rootlet-runtime: which runtime made a container, recorded at create for its later verbs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "name.h"
#include "proc.h"
#include "rtrecord.h"
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
 * The record also says where the runtime keeps the container, for gc (lib/rtrecord.c): an
 * engine killed -9 may never run the delete.
 */

#define RECORD_MODE 0600

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

/*
 * Where the runtime keeps the container: the --root it was given, else the default of runc and
 * crun for a user with a runtime directory (podman's case: it gives neither --root).
 * A guess, until a later verb finds the container there (rt_record_confirm()).
 */
static void runtime_root(const struct rt_cfg *cfg, const char *path, char *buf, size_t len)
{
	const char *given = rt_args_global(cfg, "root"), *xdg = getenv("XDG_RUNTIME_DIR");
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

	buf[0] = '\0';
	if (given && given[0] == '/' && strlen(given) < len)
		snprintf(buf, len, "%s", given);
	else if (!given && xdg && xdg[0] == '/' && (!strcmp(base, "runc") || !strcmp(base, "crun")))
		if ((size_t)snprintf(buf, len, "%s/%s", xdg, base) >= len)
			buf[0] = '\0';
}

static int record_put(int fd, const char *id, const struct rtrecord *r)
{
	char name[NAME_MAX_LEN + sizeof(RTRECORD_PREFIX)], text[2 * PATH_MAX + RTRECORD_TEXT_EXTRA];
	int err;

	if ((err = rtrecord_format(r, text, sizeof(text))))
		return err;
	snprintf(name, sizeof(name), RTRECORD_PREFIX "%s", id);
	return file_write_atomic(fd, name, text, strlen(text), RECORD_MODE);
}

/**
 * rt_record_write() - Record that @path made container @id (create, run), and where it keeps it
 * @cfg:	the runtime's command line
 * @id:		the container's id
 * @path:	the runtime chosen
 *
 * Return: 0, negative errno (the container is made all the same; its later verbs choose anew)
 */
int rt_record_write(const struct rt_cfg *cfg, const char *id, const char *path)
{
	struct rtrecord r = { 0 };
	int fd, err;

	if (strlen(path) >= sizeof(r.path))
		return -ENAMETOOLONG;
	snprintf(r.path, sizeof(r.path), "%s", path);
	runtime_root(cfg, path, r.root, sizeof(r.root));
	/* Inside rootlesskit the root is a path of its mount namespace, which its child holds. */
	if (!rt_kit_child(&r.holder.pid) && proc_start_time(r.holder.pid, &r.holder.start))
		r.holder.pid = 0;
	if ((err = record_root(&fd)))
		return err;
	err = record_put(fd, id, &r);
	close(fd);
	return err;
}

/**
 * rt_record_read() - The record of container @id, if any; taken away on delete
 * @id:		the container's id
 * @remove:	delete: the record goes
 * @ret:	filled
 *
 * Return: 0 with @ret set, -ENOENT with no record, negative errno
 */
int rt_record_read(const char *id, bool remove, struct rtrecord *ret)
{
	char name[NAME_MAX_LEN + sizeof(RTRECORD_PREFIX)], *text;
	size_t n;
	int fd, err;

	if ((err = record_root(&fd)))
		return err;
	snprintf(name, sizeof(name), RTRECORD_PREFIX "%s", id);
	err = file_read_small(fd, name, &text, &n);
	if (!err) {
		err = rtrecord_parse(text, n, ret);
		free(text);
	}
	if (remove && err != -ENOENT)
		unlinkat(fd, name, 0);
	close(fd);
	return err;
}

/**
 * rt_record_confirm() - Mark record @r of container @id as right about its runtime's root
 * @id:		the container's id
 * @r:		its record, as read
 *
 * A later verb finding the container where the record says lets gc trust that root: once the
 * container is gone from it (an engine killed -9 never ran its delete), gc takes the record.
 *
 * Return: 0 (confirmed, or nothing to confirm yet), negative errno
 */
int rt_record_confirm(const char *id, struct rtrecord *r)
{
	int fd, err;

	if (r->confirmed || !r->root[0] || rtrecord_lookup(r->root, id) != 1)
		return 0;
	r->confirmed = true;
	if ((err = record_root(&fd)))
		return err;
	err = record_put(fd, id, r);
	close(fd);
	return err;
}
