/* rootlet-netns add: create a persistent netns, published only once complete. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "lock.h"
#include "netns.h"
#include "proc.h"
#include "statedir.h"

static void add_explain_exists(struct netns_cfg *cfg, int root_fd)
{
	struct netns_state st;
	int dir_fd, err;

	dir_fd = openat(root_fd, cfg->name, DIR_OPEN_FLAGS);
	if (dir_fd < 0)
		return;
	err = state_read(dir_fd, &st);
	if (!err && state_live(dir_fd, &st) == 0)
		snprintf(cfg->detail, sizeof(cfg->detail),
			 "exists, stale (its holder is gone); run 'rootlet-netns gc'");
	else if (err == -ENOENT || err == -EBADMSG)
		snprintf(cfg->detail, sizeof(cfg->detail),
			 "exists, broken (no readable state.json); 'rootlet-netns del %s' removes "
			 "it",
			 cfg->name);
	close(dir_fd);
}

static int add_populate(struct netns_cfg *cfg, int dir_fd, bool as_root, struct netns_state *st)
{
	char target[64];
	int err;

	snprintf(st->name, sizeof(st->name), "%s", cfg->name);
	st->created = (long long)time(NULL);
	if (as_root) {
		snprintf(st->userns, sizeof(st->userns), "%s", USERNS_HOST);
		if ((err = rootns_create(dir_fd)))
			return err;
		if (cfg->slirp && (err = slirp_write_resolv(cfg, dir_fd)))
			return err;
		return state_write(dir_fd, st);
	}

	if (cfg->slirp && (err = slirp_write_resolv(cfg, dir_fd)))
		return err;
	snprintf(st->userns, sizeof(st->userns), "%s", cfg->userns_path ? USERNS_JOIN : USERNS_NEW);
	if ((err = holder_spawn(cfg, &st->holder_pid)))
		return err;
	if ((err = proc_start_time(st->holder_pid, &st->holder_start)))
		return err;
	snprintf(target, sizeof(target), "/proc/%d/ns/net", (int)st->holder_pid);
	if (symlinkat(target, dir_fd, STATE_NET) < 0)
		return -errno;
	snprintf(target, sizeof(target), "/proc/%d/ns/user", (int)st->holder_pid);
	if (symlinkat(target, dir_fd, STATE_USER) < 0)
		return -errno;
	return state_write(dir_fd, st);
}

/**
 * netns_add() - Create the netns named in @cfg
 * @cfg:	configuration
 *
 * The entry is built in a temporary directory and renamed into place without replacing
 * anything, so readers never see half an entry and of racing adds exactly one wins.
 *
 * Return: 0 on success, -EEXIST if the name is taken, other negative errno
 */
int netns_add(struct netns_cfg *cfg)
{
	struct netns_state st = { 0 };
	int root_fd = -1, dir_fd = -1, lock_fd = -1, err;
	bool as_root = geteuid() == 0 && !cfg->userns_path;
	char tmp[32];

	snprintf(tmp, sizeof(tmp), ADD_TMP_PREFIX "%d", (int)getpid());
	if ((err = state_root_open(cfg->root, true, &root_fd)))
		return err;
	if (as_root) {
		close(root_fd);
		if ((err = rootns_prepare_root(cfg->root)) ||
		    (err = state_root_open(cfg->root, false, &root_fd)))
			return err;
	}
	if (!faccessat(root_fd, cfg->name, F_OK, AT_SYMLINK_NOFOLLOW)) {
		add_explain_exists(cfg, root_fd);
		err = -EEXIST;
		goto out;
	}

	if (mkdirat(root_fd, tmp, STATE_DIR_MODE) < 0) {
		err = -errno;
		goto out;
	}
	dir_fd = openat(root_fd, tmp, DIR_OPEN_FLAGS);
	if (dir_fd < 0) {
		err = -errno;
		unlinkat(root_fd, tmp, AT_REMOVEDIR);
		goto out;
	}
	/* Held until we exit, so gc never takes our half-built directory for debris. */
	if ((err = lock_at(dir_fd, STATE_LOCK, false, &lock_fd)))
		goto fail;
	if ((err = add_populate(cfg, dir_fd, as_root, &st)))
		goto fail;
	if (renameat2(root_fd, tmp, root_fd, cfg->name, RENAME_NOREPLACE) < 0) {
		err = -errno;
		if (err == -EEXIST)
			add_explain_exists(cfg, root_fd);
		goto fail;
	}
	/* Helpers find the netns by its name, so they start once it has one; the lock we still
	 * hold keeps del away until they are up or the entry is gone again. */
	if ((cfg->slirp && (err = slirp_start(cfg, dir_fd))) ||
	    (cfg->n_publish && (err = portfwd_start(cfg, dir_fd)))) {
		if (!cfg->detail[0])
			snprintf(cfg->detail, sizeof(cfg->detail), "starting a helper: %s",
				 strerror(-err));
		helpers_stop(dir_fd);
		holder_stop(&st);
		entry_remove(root_fd, cfg->name, dir_fd, &st);
	}
	goto out;
fail:
	if (st.holder_pid > 0) {
		kill(st.holder_pid, SIGKILL);
		waitpid(st.holder_pid, NULL, 0);
	}
	entry_remove(root_fd, tmp, dir_fd, &st);
out:
	if (lock_fd >= 0)
		close(lock_fd);
	if (dir_fd >= 0)
		close(dir_fd);
	close(root_fd);
	return err;
}
