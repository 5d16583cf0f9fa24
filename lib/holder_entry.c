/* An entry's holder as rootlet-netns add and rootlet-network make it: the map, the owner, state. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "holder.h"
#include "proc.h"
#include "state.h"
#include "usermap.h"

/*
 * The one recipe for "an entry with a holder", shared by `rootlet-netns add` (netns/add.c) and
 * rootlet-network (network/nsmake.c, the infra's entry and each container's): the caller has
 * begun the entry (lib/entry_build) and names the namespaces when they exist (@unshared);
 * here the user namespace is joined or made and mapped for the caller, the owner's pidfd is
 * proven the owner's, the holder is started, and the entry's state gets what describes it.
 * The two callers used to do this each their own way, and kept different warnings.
 */

/* @line in @buf, cut to fit: a warning's own text is bounded (USERMAP_MSG_MAX). */
static void line_copy(char *buf, size_t len, const char *line)
{
	size_t n;

	if (!len)
		return;
	n = strnlen(line, len - 1);
	memcpy(buf, line, n);
	buf[n] = '\0';
}

/**
 * holder_map_warning() - The one line a caller prints about a new user namespace's map
 * @diag:	what usermap_build_own() found
 * @buf:	the line, "" when there is nothing to say
 * @len:	its size
 *
 * Why only the caller's own ids are mapped, if so; else the first malformed line skipped in
 * /etc/subuid or /etc/subgid: the map is whole, but a line meant for someone (this user,
 * perhaps, on another name) is not being read, which only its administrator can fix.
 */
void holder_map_warning(const struct usermap_diag *diag, char *buf, size_t len)
{
	const char *line = diag->fallback[0] ? diag->fallback : diag->n_warn ? diag->warn[0] : "";

	line_copy(buf, len, line);
}

/* A pidfd of @owner, proven its by the start time recorded before: the holder ends with it. */
static int owner_pidfd(const struct state_owner *owner, int *ret_fd, struct err *e)
{
	if (proc_pidfd_open(owner->pid, owner->start, ret_fd))
		return err_make(e, -ESRCH, "--owner %d: it has ended", (int)owner->pid);
	return 0;
}

/**
 * holder_entry_start() - Start the holder of the entry being built, and describe it in @st
 * @o:		the entry, the user namespace to join (or a new one), the owner, the hook
 * @st:		filled: name, userns mode, creation time, the holder's pid and start time (its
 *		owners are the caller's to record)
 * @ret_commit_fd: as holder_spawn()'s
 * @warning:	holder_map_warning()'s line for a new user namespace, if it has one (else
 *		left as it is)
 * @warning_len: its size
 * @e:		why not
 *
 * Return: 0 on success, negative errno (no holder left running then)
 */
int holder_entry_start(const struct holder_entry_opts *o, struct netns_state *st,
		       int *ret_commit_fd, char *warning, size_t warning_len, struct err *e)
{
	struct holder_opts h = { .root = o->root,
				 .name = o->name,
				 .userns_fd = o->userns_fd,
				 .child = o->child && o->userns_fd >= 0,
				 .unshared = o->unshared,
				 .arg = o->arg };
	char line[USERMAP_MSG_MAX];
	struct usermap_diag diag;
	struct usermap map;
	int err, commit_fd;
	pid_t pid;

	if (snprintf(st->name, sizeof(st->name), "%s", o->name) >= (int)sizeof(st->name))
		return err_make(e, -ENAMETOOLONG, "netns name %s too long", o->name);
	/* Parsed before the fork: the child does not wait for it. */
	if (o->userns_fd < 0) {
		if ((err = usermap_build_own(&map, &diag, e)))
			return err;
		holder_map_warning(&diag, line, sizeof(line));
		if (line[0])
			line_copy(warning, warning_len, line);
		h.map = &map;
	}
	if (o->owner && (err = owner_pidfd(o->owner, &h.owner_pidfd, e)))
		return err;
	h.owned = o->owner != NULL;
	err = holder_spawn(&h, &pid, &commit_fd, e);
	if (h.owned)
		close(h.owner_pidfd);
	if (err)
		return err;
	if ((err = proc_start_time(pid, &st->holder_start))) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(commit_fd);
		return err_errno(e, err, "the holder of %s", o->name);
	}
	st->holder_pid = pid;
	snprintf(st->userns, sizeof(st->userns), "%s",
		 h.child	     ? USERNS_CHILD
		 : o->userns_fd >= 0 ? USERNS_JOIN
				     : USERNS_NEW);
	st->created = (long long)time(NULL);
	*ret_commit_fd = commit_fd;
	return 0;
}
