/* Where rootlet keeps its state, and opening it safely. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "fileio.h"
#include "state.h"
#include "statedir.h"
#include "strfmt.h"

/*
 * A user's runtime directory where XDG_RUNTIME_DIR is unset (systemd-socket-activate -E, env
 * -i, engines that clear the environment): /run/user/UID, as pam_systemd makes it and podman
 * falls back to, if it is a directory (not a symlink) that belongs to the user. Else none.
 */
static int runtime_dir_fallback(char *buf, size_t len)
{
	struct stat st;
	int n = snprintf(buf, len, STATE_USER_RUNTIME_DIR "/%u", (unsigned)geteuid());

	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	if (lstat(buf, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
		return -ENOENT;
	return 0;
}

/**
 * state_root_path() - Find the state root: $ROOTLET_STATE_DIR, $XDG_RUNTIME_DIR/rootlet,
 *		       /run/rootlet for root, or else /run/user/UID/rootlet if that is the user's
 * @buf:	output buffer
 * @len:	size of @buf
 *
 * Return: 0 on success, -ENOENT if a user has no XDG_RUNTIME_DIR and no /run/user/UID of
 *	   their own (state_root_missing() says what to set), -ENAMETOOLONG
 */
int state_root_path(char *buf, size_t len)
{
	const char *dir = getenv(STATE_ROOT_ENV);
	char runtime[PATH_MAX];
	int n, err;

	if (dir && *dir)
		n = snprintf(buf, len, "%s", dir);
	else if ((dir = getenv("XDG_RUNTIME_DIR")) && *dir)
		n = snprintf(buf, len, "%s/rootlet", dir);
	else if (geteuid() == 0)
		n = snprintf(buf, len, "%s", STATE_ROOT_FOR_ROOT);
	else if ((err = runtime_dir_fallback(runtime, sizeof(runtime))))
		return err;
	else
		n = snprintf(buf, len, "%s/rootlet", runtime);

	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	if (buf[0] != '/')
		return -EINVAL;
	return 0;
}

/*
 * Whether a directory is one that only we and root can change: its owner, or any other user
 * able to write it without the sticky bit, could rename what we keep in it away, and put a
 * root of theirs in its place.
 */
static bool dir_is_safe(const struct stat *st)
{
	if (st->st_uid != 0 && st->st_uid != geteuid())
		return false;
	return !(st->st_mode & (S_IWGRP | S_IWOTH)) || (st->st_mode & S_ISVTX);
}

/* Whether this process is in the initial user namespace, whose uid_map maps every id. */
static bool in_initial_userns(void)
{
	char *text = NULL;
	unsigned long inside, outside, count;
	bool initial;

	if (file_read_small(AT_FDCWD, "/proc/self/uid_map", &text, NULL))
		return true; /* no /proc: judge by what stat() says */
	initial = sscanf(text, "%lu %lu %lu", &inside, &outside, &count) == 3 && !inside &&
		  !outside && count == UINT32_MAX;
	free(text);
	return initial;
}

/**
 * unsafe_parent() - The first directory above the state root that someone else could change
 * @path:	the state root (it may not exist yet)
 * @buf:	set to that directory's real path
 * @len:	size of @buf
 *
 * The parents are checked as their real paths, so that a symlink among them is judged by
 * where it leads, every directory of that too.
 *
 * Return: 1 if there is one (in @buf), 0 if every parent is safe, negative errno
 */
static int unsafe_parent(const char *path, char *buf, size_t len)
{
	char parent[PATH_MAX], real[PATH_MAX], *slash;
	struct stat st;

	/*
	 * In a user namespace of a netns (a helper that joined it first), root's directories
	 * show as the overflow uid, as any other unmapped owner's do: there is no telling them
	 * apart. Whoever started the helper from the initial namespace judged the parents.
	 */
	if (!in_initial_userns())
		return 0;
	if (str_fmt(parent, sizeof(parent), "%s", path))
		return -ENAMETOOLONG;
	if ((slash = strrchr(parent, '/')))
		*(slash == parent ? slash + 1 : slash) = '\0';
	if (!realpath(parent, real))
		return -errno;
	for (;;) {
		if (stat(real, &st) < 0)
			return -errno;
		if (!dir_is_safe(&st))
			return str_fmt(buf, len, "%s", real) ? -ENAMETOOLONG : 1;
		if (!strcmp(real, "/"))
			return 0;
		slash = strrchr(real, '/');
		*(slash == real ? slash + 1 : slash) = '\0';
	}
}

/**
 * state_root_open() - Open (and create) the state root, refusing one others could tamper with
 * @path:	from state_root_path()
 * @create:	create it 0700 if missing
 * @ret_fd:	set to an O_DIRECTORY fd on success
 *
 * A state root owned by someone else, or writable by group or others, would let them plant
 * symlinks where we later write; so would one inside a directory they can change (rename
 * ours away, put theirs in its place). Each is refused with -EPERM rather than silently used.
 *
 * Return: 0 on success, negative errno on failure
 */
int state_root_open(const char *path, bool create, int *ret_fd)
{
	char bad[PATH_MAX];
	struct stat st;
	int fd, err;

	if ((err = unsafe_parent(path, bad, sizeof(bad))))
		return err > 0 ? -EPERM : err;

	if (create && mkdir(path, STATE_DIR_MODE) < 0 && errno != EEXIST)
		return -errno;

	fd = open(path, DIR_OPEN_FLAGS);
	/* A symlink (O_NOFOLLOW) or no directory: refused as a root others could change is. */
	if (fd < 0)
		return errno == ELOOP || errno == ENOTDIR ? -EPERM : -errno;
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 077)) {
		close(fd);
		return -EPERM;
	}
	*ret_fd = fd;
	return 0;
}

/**
 * state_root_stream() - The state root opened (as state_root_open(), never made) with a
 * readdir() stream on it: the walk over every entry (list, gc)
 * @path:	the state root
 * @ret_fd:	the root, to close()
 * @ret_dir:	the stream, to closedir()
 *
 * Return: 0, -ENOENT when there is no state root yet, or another negative errno
 */
int state_root_stream(const char *path, int *ret_fd, DIR **ret_dir)
{
	int fd, err;

	if ((err = state_root_open(path, false, &fd)))
		return err;
	if ((err = dir_stream(fd, ret_dir))) {
		close(fd);
		return err;
	}
	*ret_fd = fd;
	return 0;
}

/**
 * state_root_missing() - Say why a user has no state root, and what to set
 * @e:		filled with the reason
 *
 * For state_root_path()'s -ENOENT.
 *
 * Return: -ENOENT
 */
int state_root_missing(struct err *e)
{
	char runtime[PATH_MAX];
	struct stat st;
	const char *why;

	snprintf(runtime, sizeof(runtime), STATE_USER_RUNTIME_DIR "/%u", (unsigned)geteuid());
	if (lstat(runtime, &st) < 0)
		why = "does not exist";
	else if (!S_ISDIR(st.st_mode))
		why = "is not a directory";
	else
		why = "is not yours";
	return err_make(
		e, -ENOENT,
		"XDG_RUNTIME_DIR is not set and %s %s; set XDG_RUNTIME_DIR to a directory of "
		"yours (mode 0700), or ROOTLET_STATE_DIR",
		runtime, why);
}

/**
 * state_root_refused() - Say why state_root_open() refused a state root (-EPERM)
 * @path:	the state root
 * @e:		filled with the reason and the fix
 *
 * Return: -EPERM
 */
int state_root_refused(const char *path, struct err *e)
{
	char bad[PATH_MAX];
	struct stat st;

	if (unsafe_parent(path, bad, sizeof(bad)) > 0)
		return err_make(e, -EPERM,
				"%s is inside %s, which another user can change (rename ours away, "
				"put theirs in its place): refused as the state directory; choose "
				"one under a directory only you and root can write",
				path, bad);
	if (lstat(path, &st) < 0)
		return err_make(e, -EPERM, "%s: refused as the state directory", path);
	if (!S_ISDIR(st.st_mode))
		return err_make(e, -EPERM,
				"%s is %s, not the state directory: refused, since it may lead "
				"anywhere; remove it, or name the directory itself",
				path, S_ISLNK(st.st_mode) ? "a symlink" : "not a directory");
	if (st.st_uid != geteuid())
		return err_make(e, -EPERM,
				"%s belongs to uid %u, not to you (uid %u): refused as the state "
				"directory, since its owner could plant links in it",
				path, (unsigned)st.st_uid, (unsigned)geteuid());
	return err_make(e, -EPERM,
			"%s is mode %04o, open to its group or others: refused as the state "
			"directory, since they could plant links in it; 'chmod 0700 %s'",
			path, (unsigned)(st.st_mode & 07777), path);
}

/**
 * state_entry_path() - Build "<root>/<name>[/<file>]"
 * @buf:	output buffer
 * @len:	size of @buf
 * @root:	state root
 * @name:	validated netns name
 * @file:	file inside the entry, or NULL for the entry directory itself
 *
 * Return: 0 on success, -ENAMETOOLONG
 */
int state_entry_path(char *buf, size_t len, const char *root, const char *name, const char *file)
{
	int n;

	if (file)
		n = snprintf(buf, len, "%s/%s/%s", root, name, file);
	else
		n = snprintf(buf, len, "%s/%s", root, name);
	return (n < 0 || (size_t)n >= len) ? -ENAMETOOLONG : 0;
}

/**
 * state_paths() - Every path of the entry @name: the one place a name becomes paths
 * @root:	state root
 * @name:	validated netns name
 * @ret:	the paths
 *
 * Return: 0 on success, -ENAMETOOLONG
 */
int state_paths(const char *root, const char *name, struct state_paths *ret)
{
	int err;

	if ((err = state_entry_path(ret->dir, sizeof(ret->dir), root, name, NULL)) ||
	    (err = state_entry_path(ret->net, sizeof(ret->net), root, name, STATE_NET)) ||
	    (err = state_entry_path(ret->user, sizeof(ret->user), root, name, STATE_USER)) ||
	    (err = state_entry_path(ret->slirp_socket, sizeof(ret->slirp_socket), root, name,
				    STATE_SLIRP_SOCKET)))
		return err;
	return state_entry_path(ret->portfwd_socket, sizeof(ret->portfwd_socket), root, name,
				STATE_PORTFWD_SOCKET);
}
