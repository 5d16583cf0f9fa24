/* rootlet-dns's privilege timeline, from start to sandboxed (the stages of lib/isolate.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

#include "dns.h"
#include "fileio.h"
#include "isolate.h"
#include "nsfd.h"
#include "sandbox.h"
#include "state.h"
#include "state_entry.h"

/*
 * Theory of operation, in lib/isolate.h's stages:
 *  1. user   the infra's user namespace, then its netns (we are the user that made it: root
 *            there); the entry's directory stays open for the hosts file, and the holder's
 *            pidfd ends us with it;
 *  2. paths  :53 bound on the gateway's address, inotify on the entry (main.c); the upstream
 *            sockets are made later, one per forwarded query (forward.c);
 *  3. fs     an empty read-only root: the hosts file is read through the entry's fd only;
 *  4. caps   none kept (:53 is bound already);
 *  5. syscalls seccomp.c's list;
 *  6. ready.
 */

static int join(int dir_fd, const char *file, int type, struct dns_cfg *cfg)
{
	int fd, err;

	if ((err = ns_open_at(dir_fd, file, type, &fd)))
		return err_errno(&cfg->err, err, "%s/%s", cfg->netns, file);
	if (type == CLONE_NEWUSER && ns_is_ours(fd, type)) {
		close(fd);
		return 0;
	}
	err = ns_join(fd, type) ? -errno : 0;
	close(fd);
	return err ? err_errno(&cfg->err, err, "joining %s's %s", cfg->netns, file) : 0;
}

/**
 * dns_isolate_user_net() - Step 1: into the infra's namespaces, its entry kept open
 * @cfg:	--netns; cfg->err on failure
 * @ret_dir_fd:	the entry's directory
 * @ret_holder_fd: a pidfd of its holder, or -1 (a root netns)
 *
 * Return: 0, or a negative errno
 */
int dns_isolate_user_net(struct dns_cfg *cfg, int *ret_dir_fd, int *ret_holder_fd)
{
	struct state_entry entry;
	int dir_fd, err;

	isolate_undumpable();
	if ((err = state_entry_open(cfg->netns, &entry, &cfg->err)))
		return err;
	dir_fd = entry.dir_fd;
	if ((err = state_holder_pidfd(dir_fd, ret_holder_fd)))
		err = err_make(&cfg->err, err, "netns %s: %s", cfg->netns,
			       err == -ESRCH ? "stale" : "no state");
	else if (!faccessat(dir_fd, STATE_USER, F_OK, AT_SYMLINK_NOFOLLOW))
		err = join(dir_fd, STATE_USER, CLONE_NEWUSER, cfg);
	if (!err)
		err = join(dir_fd, STATE_NET, CLONE_NEWNET, cfg);
	if (err) {
		close(dir_fd);
		return err;
	}
	*ret_dir_fd = dir_fd;
	return 0;
}

/**
 * dns_isolate_fs_caps() - Steps 3 and 4: an empty root, no capability
 * @cfg:	cfg->err on failure
 *
 * Return: 0, or a negative errno
 */
int dns_isolate_fs_caps(struct dns_cfg *cfg)
{
	const char *step;
	int err = sandbox_root(NULL, 0, &step);

	if (err)
		return err_errno(&cfg->err, err, "sandbox: %s", step);
	return isolate_caps(NULL, 0, false, &cfg->err);
}
