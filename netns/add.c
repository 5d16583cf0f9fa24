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

#include "bypass_guard.h"
#include "strfmt.h"
#include "fileio.h"
#include "lock.h"
#include "netns.h"
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
		err_make(&cfg->err, -EEXIST,
			 "exists, stale (its holder is gone); run 'rootlet-netns gc'");
	else if (err == -ENOENT || err == -EBADMSG)
		err_make(&cfg->err, -EEXIST,
			 "exists, broken (no readable state.json); 'rootlet-netns del %s' removes "
			 "it",
			 cfg->name);
	close(dir_fd);
}

/*
 * add --exist-ok on a name taken: a live netns is kept as it is (0), one gc would remove (its
 * holder or its owners gone) is removed, to be made anew (1). Else -EEXIST.
 */
static int add_existing(struct netns_cfg *cfg, int root_fd)
{
	struct netns_state st;
	int dir_fd, live, err;

	dir_fd = openat(root_fd, cfg->name, DIR_OPEN_FLAGS);
	if (dir_fd < 0)
		return -EEXIST;
	live = state_read(dir_fd, &st) ? -EBADMSG : state_live(dir_fd, &st);
	if (live == 1 && state_owners_gone(&st) == 1)
		live = 0;
	close(dir_fd);
	if (live == 1)
		return 0;
	if (live < 0)
		return -EEXIST;
	err = gc_entry(cfg->root, root_fd, cfg->name, false);
	return err == 1 ? 1 : -EEXIST;
}

/* What the holder's unshared hook needs. */
struct add_ctx {
	struct netns_cfg *cfg;
	int dir_fd;
	struct launch_proc *slirp;   /* started early, or pid -1 */
	struct launch_proc *portfwd; /* started early, or pid -1 */
	int commit_fd;		     /* the holder waits for our commit on it, or -1 */
};

/* The holder's namespaces exist: name them in the entry, and let an early rootlet-slirp go. */
static int holder_unshared(void *arg, pid_t holder)
{
	struct add_ctx *a = arg;
	int err;

	if ((err = entry_build_link(a->dir_fd, holder)))
		return err;
	/* A helper that died already says why in its log: helper_finish() reads that. */
	if (a->slirp->pid > 0 && launch_go(a->slirp))
		return helper_finish(a->cfg, a->dir_fd, a->slirp, STATE_SLIRP_PIDFILE) ?: -ECHILD;
	return 0;
}

static int add_populate(struct netns_cfg *cfg, int dir_fd, bool as_root, struct netns_state *st,
			struct add_ctx *ctx, const char *dir_path)
{
	int err;

	snprintf(st->name, sizeof(st->name), "%s", cfg->name);
	st->created = (long long)time(NULL);
	if (as_root) {
		snprintf(st->userns, sizeof(st->userns), "%s", USERNS_HOST);
		if ((err = rootns_create(dir_fd)))
			return err;
		if (cfg->slirp && (err = write_slirp_resolv(cfg, dir_fd)))
			return err;
		return state_write(dir_fd, st);
	}

	/* Started first, so that their exec and libraries overlap the holder's making. */
	if (cfg->slirp && ((err = start_slirp_early(cfg, dir_fd, dir_path, ctx->slirp)) ||
			   (err = write_slirp_resolv(cfg, dir_fd))))
		return err;
	if (starts_portfwd_early(cfg) &&
	    (err = start_portfwd_early(cfg, dir_fd, dir_path, ctx->portfwd)))
		return err;
	/* The holder, and its pid, start time and userns mode in @st: lib's one recipe. */
	if ((err = holder_spawn_for(cfg, st, holder_unshared, ctx, &ctx->commit_fd)))
		return err;
	/* Mapped now: portfwd joins the user namespace as a whole process, and sandboxes there. */
	if (ctx->portfwd->pid > 0 && launch_go(ctx->portfwd))
		return helper_finish(cfg, dir_fd, ctx->portfwd, STATE_PORTFWD_PIDFILE) ?: -ECHILD;
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
	int root_fd = -1, err;
	bool as_root = geteuid() == 0 && !cfg->userns_path;
	struct launch_proc slirp = LAUNCH_PROC_NONE;
	struct launch_proc portfwd = LAUNCH_PROC_NONE;
	struct add_ctx ctx = { .cfg = cfg, .slirp = &slirp, .portfwd = &portfwd, .commit_fd = -1 };
	struct entry_build b = { .dir_fd = -1, .lock_fd = -1 };
	char tmp_path[PATH_MAX];

	/* Read now, as the caller passed it: a pid that has since ended is refused. */
	if (cfg->owner && (err = state_owner_of(cfg->owner, &st.owners[st.n_owners++])))
		return err_make(&cfg->err, err, "--owner %d: %s", (int)cfg->owner,
				err == -ESRCH ? "no such process" : strerror(-err));
	if (cfg->owner)
		cfg->owner_start = st.owners[0].start;
	/* Asked as rootlet-bypass asks it at its start: who serves published TCP ports. */
	if (cfg->bypass && !cfg->allow_host_loopback)
		cfg->bypass_unguarded = bypass_guard_probe() != 0;
	if ((err = state_root_open(cfg->root, true, &root_fd)))
		return err;
	if (as_root) {
		close(root_fd);
		if ((err = rootns_prepare_root(cfg->root)) ||
		    (err = state_root_open(cfg->root, false, &root_fd)))
			return err;
	}
	if (!faccessat(root_fd, cfg->name, F_OK, AT_SYMLINK_NOFOLLOW) &&
	    (!cfg->exist_ok || (err = add_existing(cfg, root_fd)) != 1)) {
		if (cfg->exist_ok && !err)
			goto out; /* live: kept */
		add_explain_exists(cfg, root_fd);
		err = -EEXIST;
		goto out;
	}
	if ((err = entry_build_begin(root_fd, &b)))
		goto out;
	if ((err = str_fmt(tmp_path, sizeof(tmp_path), "%s/%s", cfg->root, b.tmp))) {
		err_errno(&cfg->err, err, "%s/%s", cfg->root, b.tmp);
		goto fail;
	}
	ctx.dir_fd = b.dir_fd;
	/* The early rootlet-slirp and rootlet-portfwd bind their API sockets in here before they
	 * say ready: wait for them before the rename. */
	if ((err = add_populate(cfg, b.dir_fd, as_root, &st, &ctx, tmp_path)) ||
	    (slirp.pid > 0 && (err = helper_finish(cfg, b.dir_fd, &slirp, STATE_SLIRP_PIDFILE))) ||
	    (portfwd.pid > 0 &&
	     (err = helper_finish(cfg, b.dir_fd, &portfwd, STATE_PORTFWD_PIDFILE))) ||
	    (ctx.commit_fd >= 0 && (err = holder_ready(ctx.commit_fd))))
		goto fail;
	if ((err = entry_build_publish(&b, cfg->name))) {
		if (err == -EEXIST)
			add_explain_exists(cfg, root_fd);
		goto fail;
	}
	/*
	 * As root rootlet-slirp, and rootlet-portfwd and rootlet-bypass always, find the netns by
	 * its name, so they start once it has one. With --bypass the --publish rules are the
	 * bypass's: the service's own bind() is made on the host's side. The lock we still hold
	 * keeps del away until they are up or the entry is gone again.
	 */
	if ((cfg->slirp && as_root && (err = start_slirp(cfg, b.dir_fd))) ||
	    (cfg->bypass && (err = start_bypass(cfg, b.dir_fd))) ||
	    (portfwd.pid < 0 && wants_portfwd(cfg) && (err = start_portfwd(cfg, b.dir_fd)))) {
		if (!cfg->err.text[0])
			err_errno(&cfg->err, err, "starting a helper");
		helpers_stop(b.dir_fd);
		holder_stop(&st);
		entry_remove(root_fd, cfg->name, b.dir_fd, &st);
		goto out;
	}
	/* Complete: the holder stops waiting for us (had we died before, it would have ended). */
	if (ctx.commit_fd >= 0 && (err = holder_commit(ctx.commit_fd)))
		err_errno(&cfg->err, err, "the holder went away");
	ctx.commit_fd = -1;
	goto out;
fail:
	launch_abort(&slirp);
	launch_abort(&portfwd);
	if (st.holder_pid > 0) {
		kill(st.holder_pid, SIGKILL);
		waitpid(st.holder_pid, NULL, 0);
	}
	entry_remove(root_fd, b.tmp, b.dir_fd, &st);
out:
	if (ctx.commit_fd >= 0)
		close(ctx.commit_fd);
	entry_build_close(&b);
	close(root_fd);
	return err;
}
