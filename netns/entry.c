/* Opening, locking and removing one netns entry of the state root. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "lock.h"
#include "netns.h"
#include "statedir.h"

/**
 * entry_open() - Open the entry named in @cfg, optionally under its lock
 * @cfg:	configuration, with root and name set
 * @create_root: create the state root if missing
 * @lock:	wait for and hold the entry's lock (for mutating verbs)
 * @ret:	filled on success; release with entry_close()
 *
 * Return: 0 on success, -ENOENT if there is no such entry (or it vanished while we waited for
 *	   its lock), -EBADMSG if its state.json is corrupt, other negative errno
 */
int entry_open(struct netns_cfg *cfg, bool create_root, bool lock, struct entry *ret)
{
	struct entry e = { .root_fd = -1, .dir_fd = -1, .lock_fd = -1 };
	int err;

	if ((err = state_root_open(cfg->root, create_root, &e.root_fd)))
		goto fail;
	e.dir_fd = openat(e.root_fd, cfg->name, DIR_OPEN_FLAGS);
	if (e.dir_fd < 0) {
		err = -errno;
		goto fail;
	}
	if (lock) {
		if ((err = lock_at(e.dir_fd, STATE_LOCK, true, &e.lock_fd)))
			goto fail;
		if ((err = lock_is_stale(e.lock_fd))) {
			err = err > 0 ? -ENOENT : err;
			goto fail;
		}
	}
	if ((err = state_read(e.dir_fd, &e.st)))
		goto fail;
	*ret = e;
	return 0;
fail:
	entry_close(&e);
	return err;
}

/**
 * entry_close() - Close what entry_open() opened, releasing the lock
 * @e:		the entry
 */
void entry_close(struct entry *e)
{
	if (e->lock_fd >= 0)
		close(e->lock_fd);
	if (e->dir_fd >= 0)
		close(e->dir_fd);
	if (e->root_fd >= 0)
		close(e->root_fd);
	e->lock_fd = e->dir_fd = e->root_fd = -1;
}

/**
 * entry_remove() - Remove an entry's files and directory, its netns already released
 * @root_fd:	the state root
 * @dir_name:	the entry's name in @root_fd
 * @dir_fd:	the entry's directory
 * @st:		its state, or NULL if unreadable
 *
 * The caller holds the entry's lock. Should a racing add have renamed a new entry onto the
 * emptied name, rmdir fails with ENOTEMPTY and the new entry is rightly left alone.
 *
 * Return: 0 on success, negative errno on failure
 */
int entry_remove(int root_fd, const char *dir_name, int dir_fd, const struct netns_state *st)
{
	int err = 0;

	if (st && state_is_host(st))
		err = rootns_release(dir_fd);
	if (!err)
		err = dir_remove_contents(dir_fd);
	if (!err && unlinkat(root_fd, dir_name, AT_REMOVEDIR) < 0 && errno != ENOENT &&
	    errno != ENOTEMPTY)
		err = -errno;
	return err;
}

/**
 * entry_ns_path() - Build the path of a file of the entry named in @cfg
 * @cfg:	configuration, with root and name set
 * @file:	STATE_NET, STATE_USER, ...
 * @buf:	output buffer
 * @len:	size of @buf
 *
 * Return: 0 on success, -ENAMETOOLONG
 */
int entry_ns_path(const struct netns_cfg *cfg, const char *file, char *buf, size_t len)
{
	return state_entry_path(buf, len, cfg->root, cfg->name, file);
}

/**
 * format_time_iso() - Format seconds since the epoch as "2026-11-22T05:30:00Z"
 * @secs:	the time
 * @buf:	output buffer, TIME_ISO_MAX bytes are enough
 * @len:	size of @buf
 */
void format_time_iso(long long secs, char *buf, size_t len)
{
	time_t t = (time_t)secs;
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "-");
}
