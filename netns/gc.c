/* rootlet-netns gc: stale entries, dead adds' debris, runtime records, dead host supervisors. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lock.h"
#include "fileio.h"
#include "hostsup.h"
#include "netns.h"
#include "pidfile.h"
#include "rtrecord.h"
#include "statedir.h"

/**
 * gc_entry() - Remove one entry of the state root if it is gc's
 * @root:	the state root's path
 * @root_fd:	the state root
 * @dir_name:	the entry's name, or a dead add's ~add.PID
 * @is_tmp:	@dir_name is an ~add.PID
 *
 * gc's: a stale entry (its holder gone), one whose every owner has ended (rootlet run's
 * command and teardown, lib/state_owner.c: its holder and helpers are stopped first), and a
 * dead add's ~add.PID.
 *
 * Return: 1 if the directory was removed, 0 if it was left alone (live, or busy: someone holds
 *	   its lock, an add still building or a del at work), negative errno on failure
 */
int gc_entry(const char *root, int root_fd, const char *dir_name, bool is_tmp)
{
	int dir_fd, lock_fd = -1, err, live = 0;
	struct netns_state st;
	struct pidfile holder;
	bool have_state;

	dir_fd = openat(root_fd, dir_name, DIR_OPEN_FLAGS);
	/* A symlink or file under an entry's name (ours: the root is 0700) is debris. */
	if (dir_fd < 0 && (errno == ELOOP || errno == ENOTDIR))
		return unlinkat(root_fd, dir_name, 0) < 0 ? -errno : 1;
	if (dir_fd < 0)
		return errno == ENOENT ? 0 : -errno;
	/*
	 * Busy (EWOULDBLOCK), or gone: a del that held the lock removed the whole entry between our
	 * open and now, and no file can be made in a removed directory (ENOENT). Either way it is
	 * not ours to remove.
	 */
	err = lock_at(dir_fd, STATE_LOCK, false, &lock_fd);
	if (err) {
		err = err == -EWOULDBLOCK || err == -ENOENT ? 0 : err;
		goto out;
	}
	if (lock_is_stale(lock_fd) == 1)
		goto out;

	have_state = !is_tmp && !state_read(dir_fd, &st);
	if (have_state)
		live = state_live(dir_fd, &st);
	else if (!is_tmp) /* corrupt, yet its holder may run: then it is live */
		live = orphan_holder(dir_fd, root, dir_name, &holder);
	if (live == 1 && have_state && (live = state_owners_gone(&st)) >= 0)
		live = !live;
	if (live != 0) {
		err = live < 0 ? live : 0;
		goto out;
	}
	/*
	 * A stale entry's helpers end with its holder by themselves; any that did not are stopped
	 * here. An ownerless one's holder is stopped too (it cannot remove the entry: we hold the
	 * lock).
	 */
	if ((err = have_state ? orphan_stop(dir_fd, root, dir_name, &st) : helpers_stop(dir_fd)))
		goto out;
	err = entry_remove(root_fd, dir_name, dir_fd, have_state ? &st : NULL);
	if (!err)
		err = 1;
out:
	if (lock_fd >= 0)
		close(lock_fd);
	close(dir_fd);
	return err;
}

/**
 * netns_gc() - Remove stale entries, printing the name of each one removed
 * @cfg:	configuration
 *
 * Return: 0 on success, negative errno of the first failure (gc goes on past it)
 */
int netns_gc(struct netns_cfg *cfg)
{
	int root_fd, err = 0, ret;
	struct dirent *de;
	DIR *dir;

	err = state_root_stream(cfg->root, &root_fd, &dir);
	if (err == -ENOENT)
		return 0;
	if (err)
		return err;
	while ((de = readdir(dir))) {
		const char *name = de->d_name;
		bool is_tmp = !strncmp(name, ENTRY_TMP_PREFIX, strlen(ENTRY_TMP_PREFIX));
		int shown = (int)strlen(name);

		/* rootlet-runtime's records of containers an engine never deleted (lib/rtrecord.c),
		 * and a dead host-side rootlet-bypass's files, named by its socket (lib/hostsup.c).
		 */
		if (!strncmp(name, RTRECORD_PREFIX, strlen(RTRECORD_PREFIX))) {
			ret = rtrecord_gc(root_fd, name);
		} else if (!strncmp(name, HOSTSUP_PREFIX, strlen(HOSTSUP_PREFIX))) {
			ret = hostsup_gc(root_fd, name);
			/* Named by its socket, whichever of its files found it. */
			if (strstr(name, HOSTSUP_SOCK))
				shown = (int)(strstr(name, HOSTSUP_SOCK) - name +
					      strlen(HOSTSUP_SOCK));
		} else if (!is_tmp && name_check(name, NULL)) {
			continue;
		} else {
			ret = gc_entry(cfg->root, root_fd, name, is_tmp);
		}
		if (ret == 1 && !is_tmp)
			printf("removed %.*s\n", shown, name);
		if (ret < 0 && !err) {
			err = ret;
			err_errno(&cfg->err, ret, "%s", name);
		}
	}
	closedir(dir);
	close(root_fd);
	return err;
}
