/* state.json of a netns entry: who holds the netns, and whether it is still alive. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/magic.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "fileio.h"
#include "nsfd.h"
#include "proc.h"
#include "state.h"

/* "owners": [{"pid": N, "start": T}, ...], absent when there are none. */
static int owners_parse(json_t *root, struct netns_state *st)
{
	json_t *owners = json_object_get(root, "owners"), *o;
	json_int_t pid, start;
	size_t i;

	if (!owners)
		return 0;
	if (!json_is_array(owners) || json_array_size(owners) > STATE_OWNERS_MAX)
		return -EBADMSG;
	json_array_foreach(owners, i, o)
	{
		if (json_unpack(o, "{s:I, s:I !}", "pid", &pid, "start", &start) || pid <= 0 ||
		    pid > INT32_MAX || start < 0)
			return -EBADMSG;
		st->owners[i] = (struct state_owner){ .pid = (pid_t)pid,
						      .start = (unsigned long long)start };
	}
	st->n_owners = (int)json_array_size(owners);
	return 0;
}

static int owners_format(json_t *root, const struct netns_state *st)
{
	json_t *owners;

	if (!st->n_owners)
		return 0;
	if (!(owners = json_array()) || json_object_set_new(root, "owners", owners))
		return -ENOMEM;
	for (int i = 0; i < st->n_owners && i < STATE_OWNERS_MAX; i++)
		if (json_array_append_new(owners, json_pack("{s:I, s:I}", "pid",
							    (json_int_t)st->owners[i].pid, "start",
							    (json_int_t)st->owners[i].start)))
			return -ENOMEM;
	return 0;
}

/**
 * state_parse() - Parse the text of a state.json
 * @text:	NUL-terminated JSON
 * @ret:	filled on success
 *
 * Return: 0 on success, -EBADMSG if the text is not a valid state
 */
int state_parse(const char *text, struct netns_state *ret)
{
	struct netns_state st = { 0 };
	json_int_t pid, start, created;
	const char *name, *userns;
	int err = -EBADMSG;
	json_t *root;

	root = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	if (!root)
		return -EBADMSG;
	if (json_unpack(root, "{s:s, s:I, s:I, s:s, s:I}", "name", &name, "holder_pid", &pid,
			"holder_start", &start, "userns", &userns, "created", &created))
		goto out;
	if (name_check(name, NULL) || pid < 0 || pid > INT32_MAX || start < 0)
		goto out;
	if (strcmp(userns, USERNS_NEW) && strcmp(userns, USERNS_JOIN) &&
	    strcmp(userns, USERNS_CHILD) && strcmp(userns, USERNS_HOST))
		goto out;
	if ((pid == 0) != !strcmp(userns, USERNS_HOST))
		goto out;
	if (owners_parse(root, &st))
		goto out;

	snprintf(st.name, sizeof(st.name), "%s", name);
	snprintf(st.userns, sizeof(st.userns), "%s", userns);
	st.holder_pid = (pid_t)pid;
	st.holder_start = (unsigned long long)start;
	st.created = created;
	*ret = st;
	err = 0;
out:
	json_decref(root);
	return err;
}

/**
 * state_format() - Render a state as state.json text
 * @st:		the state
 * @ret_text:	set to a malloc()ed, NUL-terminated string
 *
 * Return: 0 on success, -ENOMEM
 */
int state_format(const struct netns_state *st, char **ret_text)
{
	json_t *root;
	char *text;

	root = json_pack("{s:s, s:I, s:I, s:s, s:I}", "name", st->name, "holder_pid",
			 (json_int_t)st->holder_pid, "holder_start", (json_int_t)st->holder_start,
			 "userns", st->userns, "created", (json_int_t)st->created);
	if (!root || owners_format(root, st)) {
		json_decref(root);
		return -ENOMEM;
	}
	text = json_dumps(root, JSON_INDENT(2));
	json_decref(root);
	if (!text)
		return -ENOMEM;
	*ret_text = text;
	return 0;
}

/**
 * state_read() - Read and parse <entry>/state.json
 * @dir_fd:	the entry's directory
 * @ret:	filled on success
 *
 * Return: 0 on success, -ENOENT if there is none, -EBADMSG if it is corrupt
 */
int state_read(int dir_fd, struct netns_state *ret)
{
	char *text;
	int err;

	if ((err = file_read_small(dir_fd, STATE_FILE, &text, NULL)))
		return err == -EFBIG ? -EBADMSG : err;
	err = state_parse(text, ret);
	free(text);
	return err;
}

/**
 * state_write() - Write <entry>/state.json atomically, mode 0600
 * @dir_fd:	the entry's directory
 * @st:		the state
 *
 * Return: 0 on success, negative errno on failure
 */
int state_write(int dir_fd, const struct netns_state *st)
{
	char *text;
	int err;

	if ((err = state_format(st, &text)))
		return err;
	err = file_write_state(dir_fd, STATE_FILE, text, strlen(text), STATE_FILE_MODE);
	free(text);
	return err;
}

/**
 * state_is_host() - Tell whether an entry is a root netns kept by a bind mount
 * @st:		the state
 *
 * Return: true for a root netns, false for one kept by a holder process
 */
bool state_is_host(const struct netns_state *st)
{
	return !strcmp(st->userns, USERNS_HOST);
}

/**
 * state_live() - Tell whether the netns of an entry still exists
 * @dir_fd:	the entry's directory
 * @st:		its state
 *
 * A holder is alive only if its pid exists *and* started when state.json says: a pid alone may
 * have been reused by an unrelated process.
 *
 * Return: 1 if live, 0 if stale, negative errno if it cannot be told
 */
int state_live(int dir_fd, const struct netns_state *st)
{
	unsigned long long start;
	struct statfs sfs;
	int fd, err;

	if (state_is_host(st)) {
		fd = openat(dir_fd, STATE_NET, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			return errno == ENOENT ? 0 : -errno;
		err = fstatfs(fd, &sfs);
		close(fd);
		if (err < 0)
			return -errno;
		return sfs.f_type == NSFS_MAGIC;
	}

	err = proc_start_time(st->holder_pid, &start);
	if (err == -ESRCH)
		return 0;
	if (err)
		return err;
	return start == st->holder_start;
}

/**
 * state_ns_open() - Open the user and network namespaces of a live entry
 * @dir_fd:		the entry's directory
 * @st:			its state
 * @ret_user_fd:	set to the userns fd, or -1 for a root netns
 * @ret_net_fd:		set to the netns fd
 *
 * The namespaces are opened through the holder's /proc/PID/ns, and a pidfd proves the holder
 * was alive for the whole time: a live process keeps its pid, so what we opened is its.
 *
 * Return: 0 on success, -ESRCH if the entry is stale, other negative errno
 */
int state_ns_open(int dir_fd, const struct netns_state *st, int *ret_user_fd, int *ret_net_fd)
{
	int pidfd = -1, user_fd = -1, net_fd = -1, err;
	struct pollfd pfd;
	char path[64];

	if (state_is_host(st)) {
		if ((err = ns_open_at(dir_fd, STATE_NET, CLONE_NEWNET, &net_fd)))
			return err == -ENOENT || err == -ENOTTY ? -ESRCH : err;
		*ret_user_fd = -1;
		*ret_net_fd = net_fd;
		return 0;
	}

	if ((err = proc_pidfd_open(st->holder_pid, st->holder_start, &pidfd)))
		return err;
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)st->holder_pid);
	if ((err = ns_open_at(AT_FDCWD, path, CLONE_NEWUSER, &user_fd)))
		goto out;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)st->holder_pid);
	if ((err = ns_open_at(AT_FDCWD, path, CLONE_NEWNET, &net_fd)))
		goto out;

	pfd = (struct pollfd){ .fd = pidfd, .events = POLLIN };
	if (poll(&pfd, 1, 0) != 0) {
		err = -ESRCH;
		goto out;
	}
	*ret_user_fd = user_fd;
	*ret_net_fd = net_fd;
	user_fd = net_fd = -1;
out:
	if (err == -ENOENT)
		err = -ESRCH;
	if (user_fd >= 0)
		close(user_fd);
	if (net_fd >= 0)
		close(net_fd);
	close(pidfd);
	return err;
}

/**
 * state_holder_pidfd() - A pidfd of the holder of an entry, for a helper to end with it
 * @dir_fd:	the entry's directory
 * @ret_fd:	the pidfd; -1 for a root netns (no holder)
 *
 * Taken after the holder's start time is checked against state.json: a pid reused since is
 * never watched in its place.
 *
 * Return: 0, -ESRCH when the holder is gone (the entry is stale), negative errno
 */
int state_holder_pidfd(int dir_fd, int *ret_fd)
{
	struct netns_state st;
	int err;

	*ret_fd = -1;
	if ((err = state_read(dir_fd, &st)))
		return err;
	if (state_is_host(&st))
		return 0;
	/* Whatever kept it from being watched, it cannot be: the entry counts as stale. */
	return proc_pidfd_open(st.holder_pid, st.holder_start, ret_fd) ? -ESRCH : 0;
}
