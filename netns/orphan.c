/* An entry whose state.json is lost: its holder and helpers found without it, and stopped. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "holder.h"
#include "netns.h"
#include "pidfile.h"
#include "proc.h"
#include "statedir.h"

/*
 * state.json can be garbage (a crash mid-write of a hand edit, a full disk) while the netns
 * still runs. Two facts survive it: a rootless entry's net file links to its holder's
 * /proc/PID/ns/net, and a holder's command line is "rootlet-netns-holder ROOT NAME". A
 * process passing both is the entry's holder; its start time, read now, lets it be stopped
 * like any pid file's process. The helpers have pid files of their own, intact.
 */

#define CMDLINE_MAX (2 * PATH_MAX)

/* Does @pid's command line say it is the holder of ROOT/NAME? */
static bool is_holder_of(pid_t pid, const char *root, const char *name)
{
	char path[64], cmd[CMDLINE_MAX], *text = NULL;
	const char *want[] = { HOLDER_BINARY, root, name };
	size_t len = 0, off = 0;
	bool ok = true;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if (file_read_small(AT_FDCWD, path, &text, &len) || len >= sizeof(cmd)) {
		free(text);
		return false;
	}
	memcpy(cmd, text, len);
	cmd[len] = '\0';
	free(text);
	for (size_t i = 0; ok && i < sizeof(want) / sizeof(want[0]); i++) {
		const char *arg = cmd + off, *base = strrchr(arg, '/');

		if (off >= len)
			return false;
		ok = !strcmp(i ? arg : (base ? base + 1 : arg), want[i]);
		off += strlen(arg) + 1;
	}
	return ok && off == len;
}

/**
 * orphan_holder() - The holder of an entry, found from its net link and command line
 * @dir_fd:	the entry's directory
 * @root:	the state root's path
 * @name:	the entry's name
 * @ret:	its pid and start time
 *
 * Return: 1 if found (and running), 0 if there is none, negative errno
 */
int orphan_holder(int dir_fd, const char *root, const char *name, struct pidfile *ret)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(dir_fd, STATE_NET, target, sizeof(target) - 1);
	int pid, err;

	if (n < 0)
		return errno == ENOENT || errno == EINVAL ? 0 : -errno;
	target[n] = '\0';
	if (!(pid = proc_ns_link_pid(target)) || !is_holder_of(pid, root, name))
		return 0;
	err = proc_start_time(pid, &ret->start);
	if (err)
		return err == -ESRCH ? 0 : err;
	ret->pid = pid;
	return 1;
}

/**
 * orphan_stop() - Stop an entry's helpers (by their pid files) and its holder, state.json or not
 * @dir_fd:	the entry's directory
 * @root:	the state root's path
 * @name:	the entry's name
 * @st:		its state, or NULL when unreadable
 *
 * Return: 0 once all are gone, negative errno of the first failure
 */
int orphan_stop(int dir_fd, const char *root, const char *name, const struct netns_state *st)
{
	struct pidfile holder;
	int err = 0, found;

	/*
	 * The holder first: with it gone the helpers quit by themselves (they watch it), and
	 * rootlet-slirp leaves its tap to the dying netns instead of unregistering it in its exit.
	 */
	if (st) {
		err = holder_stop(st);
	} else {
		found = orphan_holder(dir_fd, root, name, &holder);
		if (found < 0)
			err = found;
		else if (found)
			err = pidfile_stop(&holder, HOLDER_STOP_TIMEOUT_MS);
	}
	found = helpers_stop(dir_fd);
	return err ?: found;
}
