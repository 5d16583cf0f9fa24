/* A rootlet netns entry made by rootlet-network itself: the infra's, or a container's in it. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"
#include "holder.h"
#include "network.h"
#include "nsfd.h"
#include "state.h"
#include "statedir.h"

/*
 * Theory of operation. What `rootlet-netns add NAME [--userns PATH]` makes (a holder, the
 * entry naming its namespaces and state.json), made here without its exec (about 1.5 ms),
 * and published later: the holder's namespaces exist after its unshare, so alloc plumbs a
 * container's eth0 while its holder execs and drops its capabilities. The entry is built in
 * <root>/~add.<our pid>, as add builds it, and renamed to <root>/NAME only once the caller is
 * done with it and the holder is ready: readers never see it half made. Until the holder has
 * our commit, our death (kill -9) ends it, and its netns (with a container's end of the veth)
 * goes with it; net_recover() then sweeps the directory we left.
 */

/* The holder's namespaces exist: the entry names them. */
static int link_holder(void *arg, pid_t holder)
{
	const struct net_nsmake *c = arg;

	return entry_build_link(c->b.dir_fd, holder);
}

/**
 * nsmake_start() - A holder for the netns @name, in the user namespace of @userns_fd (or one
 * of its own below it) or a new one mapped for us; its entry built, not yet published
 * @cfg:	cfg->err on failure, cfg->warning when a new userns gets only our own ids, or a
 *		line of /etc/subuid or /etc/subgid was skipped (holder_map_warning())
 * @root:	the state root of the entry: cfg->root (a container's), cfg->infra_root (an infra's)
 * @name:	the entry's name
 * @userns_fd:	the user namespace to join (the caller's, left open), or -1
 * @child:	with @userns_fd: the netns gets a user namespace of its own below it, mapped 1:1
 *		(a container's: the infra's plumbing keeps its rights over it, and the
 *		container gets none over the infra or another container)
 * @owner:	the process the netns is made for (alloc --owner: rootlet run's command), its
 *		start time read when alloc began, or NULL: the holder ends with it, and it is
 *		the entry's owner in state.json from the start, as rootlet-netns add --owner's
 * @c:		filled: the entry being built, the holder, its netns as c->net_fd
 *
 * Return: 0, or a negative errno (nothing left then)
 */
int nsmake_start(struct net_cfg *cfg, const char *root, const char *name, int userns_fd, bool child,
		 const struct state_owner *owner, struct net_nsmake *c)
{
	struct holder_entry_opts o = { .root = root,
				       .name = name,
				       .userns_fd = userns_fd,
				       .child = child,
				       .owner = owner,
				       .unshared = link_holder,
				       .arg = c };
	char warning[sizeof(cfg->warning_buf)] = "";
	int err;

	*c = (struct net_nsmake){ .root_fd = -1, .commit_fd = -1, .net_fd = -1 };
	c->b.dir_fd = c->b.lock_fd = -1;
	if ((err = state_root_open(root, true, &c->root_fd)))
		return err == -EPERM ? state_root_refused(root, &cfg->err)
				     : err_errno(&cfg->err, err, "%s", root);
	if ((err = entry_build_begin(c->root_fd, &c->b))) {
		err_errno(&cfg->err, err, "%s/" ENTRY_TMP_PREFIX, root);
		goto fail;
	}
	/* The owner is the entry's from the start, as rootlet-netns add --owner's. */
	if (owner)
		c->st.owners[c->st.n_owners++] = *owner;
	if ((err = holder_entry_start(&o, &c->st, &c->commit_fd, warning, sizeof(warning),
				      &cfg->err)))
		goto fail;
	if (warning[0]) {
		memcpy(cfg->warning_buf, warning, sizeof(cfg->warning_buf));
		cfg->warning = cfg->warning_buf;
	}
	if ((err = ns_open_at(c->b.dir_fd, STATE_NET, CLONE_NEWNET, &c->net_fd))) {
		err_errno(&cfg->err, err, "the holder of %s", name);
		goto fail;
	}
	return 0;
fail:
	nsmake_abort(c);
	return err;
}

/* The network's resolver for rootlet-netns exec: rootlet-dns on the gateway, or slirp's. */
static int write_resolv(int dir_fd, const struct net_record *r)
{
	char text[sizeof("nameserver \n") + INET_ADDRSTRLEN], ns[INET_ADDRSTRLEN];

	if (!attach_nameserver(r, ns, sizeof(ns)))
		return 0;
	if (snprintf(text, sizeof(text), "nameserver %s\n", ns) >= (int)sizeof(text))
		return -EOVERFLOW;
	return file_write_state(dir_fd, STATE_RESOLV_CONF, text, strlen(text), STATE_FILE_MODE);
}

/**
 * nsmake_publish() - The entry complete (state.json; resolv.conf naming @r's resolver when @r
 * is given), renamed into place once its holder is ready, and the holder told so; @c closed
 * @cfg:	cfg->err on failure
 * @r:		a container's network, for its resolver, or NULL
 * @c:		from nsmake_start()
 *
 * Return: 0, or a negative errno (the holder and the entry gone then)
 */
int nsmake_publish(struct net_cfg *cfg, const struct net_record *r, struct net_nsmake *c)
{
	int err;

	if ((r && (err = write_resolv(c->b.dir_fd, r))) || (err = state_write(c->b.dir_fd, &c->st)))
		err_errno(&cfg->err, err, "the netns entry of %s", c->st.name);
	else if ((err = holder_ready(c->commit_fd)))
		err_errno(&cfg->err, err, "the holder of %s", c->st.name);
	else if ((err = entry_build_publish(&c->b, c->st.name)))
		err_errno(&cfg->err, err, "publishing netns %s", c->st.name);
	if (err) {
		nsmake_abort(c);
		return err;
	}
	/* Published: from here on the holder alone removes the entry, should it end. */
	c->published = true;
	err = holder_commit(c->commit_fd);
	c->commit_fd = -1;
	nsmake_abort(c);
	return err ? err_errno(&cfg->err, err, "the holder of %s went away", c->st.name) : 0;
}

/**
 * nsmake_abort() - Undo nsmake_start(): the holder killed, the entry being built removed; or,
 * once published, only our fds closed
 * @c:		from nsmake_start()
 */
void nsmake_abort(struct net_nsmake *c)
{
	if (!c->published && c->st.holder_pid > 0) {
		kill(c->st.holder_pid, SIGKILL);
		waitpid(c->st.holder_pid, NULL, 0);
		c->st.holder_pid = 0;
	}
	if (!c->published && c->b.dir_fd >= 0)
		entry_build_discard(&c->b);
	entry_build_close(&c->b);
	if (c->commit_fd >= 0)
		close(c->commit_fd);
	if (c->net_fd >= 0)
		close(c->net_fd);
	if (c->root_fd >= 0)
		close(c->root_fd);
	c->commit_fd = c->net_fd = c->root_fd = -1;
}

/**
 * nsmake_sweep() - What a killed alloc of attachment @a left being built: the infra's netns
 * (<root>/~infra/~add.<its pid>) or the container's (<root>/~add.<its pid>)
 * @cfg:	the state root
 * @a:		a pending attachment, its alloc dead
 *
 * Return: 0, or a negative errno
 */
int nsmake_sweep(struct net_cfg *cfg, const struct net_attach *a)
{
	pid_t pid = a->alloc_pid;
	const char *roots[] = { cfg->root, cfg->infra_root };
	int root_fd, err;

	if (pid <= 0)
		return 0;
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		/* None, or one we refuse (others', a symlink): nothing of ours was built in it. */
		if (state_root_open(roots[i], false, &root_fd))
			continue;
		err = entry_build_sweep(root_fd, pid);
		close(root_fd);
		if (err < 0)
			return err;
	}
	return 0;
}
