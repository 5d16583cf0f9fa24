/* rootlet-netns del: stop the holder and remove the entry. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "lock.h"
#include "netns.h"
#include "statedir.h"

/*
 * An entry whose state.json is unreadable or missing (a crash between steps, a hand-made
 * directory) is still removed: del is how a user gets rid of it. Its helpers (pid files) and
 * its holder (found from the net link, orphan.c) are stopped first, never left running.
 */
static int del_broken(struct netns_cfg *cfg)
{
	struct entry e = { .root_fd = -1, .dir_fd = -1, .lock_fd = -1 };
	int err;

	if ((err = state_root_open(cfg->root, false, &e.root_fd)))
		return err;
	e.dir_fd = openat(e.root_fd, cfg->name, DIR_OPEN_FLAGS);
	if (e.dir_fd < 0 && (errno == ELOOP || errno == ENOTDIR)) {
		/* Not an entry at all: the name itself goes, never what it points to. */
		err = unlinkat(e.root_fd, cfg->name, 0) < 0 ? -errno : 0;
		goto out;
	}
	if (e.dir_fd < 0) {
		err = -errno;
		goto out;
	}
	if ((err = lock_at(e.dir_fd, STATE_LOCK, true, &e.lock_fd)))
		goto out;
	if ((err = orphan_stop(e.dir_fd, cfg->root, cfg->name, NULL))) {
		err_errno(&cfg->err, err, "stopping its processes");
		goto out;
	}
	err = entry_remove(e.root_fd, cfg->name, e.dir_fd, NULL);
out:
	entry_close(&e);
	return err;
}

/* Whether the entry's directory is there (with or without a state.json). */
static bool entry_exists(const struct netns_cfg *cfg)
{
	int root_fd;
	bool there;

	if (state_root_open(cfg->root, false, &root_fd))
		return false;
	there = !faccessat(root_fd, cfg->name, F_OK, AT_SYMLINK_NOFOLLOW);
	close(root_fd);
	return there;
}

/**
 * netns_del() - Delete the netns named in @cfg
 * @cfg:	configuration
 *
 * Processes still inside the netns (an exec in progress) keep it alive until they exit; del
 * does not wait for them, only for the holder.
 *
 * Return: 0 on success, -ENOENT if there is no such netns, other negative errno
 */
int netns_del(struct netns_cfg *cfg)
{
	struct entry e;
	int err;

	err = entry_open(cfg, false, true, &e);
	if (err == -ELOOP || err == -ENOTDIR) {
		snprintf(cfg->warning, sizeof(cfg->warning),
			 "not a directory (a symlink or a file): removed, not what it points to");
		return del_broken(cfg);
	}
	if (err == -EBADMSG || (err == -ENOENT && entry_exists(cfg))) {
		snprintf(cfg->warning, sizeof(cfg->warning),
			 "state.json is %s; the entry is removed, its holder and helpers found "
			 "without it and stopped",
			 err == -EBADMSG ? "corrupt" : "missing");
		return del_broken(cfg);
	}
	if (err)
		return err;
	if ((err = orphan_stop(e.dir_fd, cfg->root, cfg->name, &e.st)))
		err_errno(&cfg->err, err, "stopping holder %d or a helper", (int)e.st.holder_pid);
	else
		err = entry_remove(e.root_fd, cfg->name, e.dir_fd, &e.st);
	entry_close(&e);
	return err;
}
