/* Where rootlet keeps its state, and opening it safely. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "state.h"
#include "statedir.h"

/**
 * state_root_path() - Find the state root: $ROOTLET_STATE_DIR, $XDG_RUNTIME_DIR/rootlet or
 *		       /run/rootlet for root
 * @buf:	output buffer
 * @len:	size of @buf
 *
 * Return: 0 on success, -ENOENT if a user has no XDG_RUNTIME_DIR, -ENAMETOOLONG
 */
int state_root_path(char *buf, size_t len)
{
	const char *dir = getenv("ROOTLET_STATE_DIR");
	int n;

	if (dir && *dir)
		n = snprintf(buf, len, "%s", dir);
	else if ((dir = getenv("XDG_RUNTIME_DIR")) && *dir)
		n = snprintf(buf, len, "%s/rootlet", dir);
	else if (geteuid() == 0)
		n = snprintf(buf, len, "%s", STATE_ROOT_FOR_ROOT);
	else
		return -ENOENT;

	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	if (buf[0] != '/')
		return -EINVAL;
	return 0;
}

/**
 * state_root_open() - Open (and create) the state root, refusing one others could tamper with
 * @path:	from state_root_path()
 * @create:	create it 0700 if missing
 * @ret_fd:	set to an O_DIRECTORY fd on success
 *
 * A state root owned by someone else, or writable by group or others, would let them plant
 * symlinks where we later write; it is refused with -EPERM rather than silently used.
 *
 * Return: 0 on success, negative errno on failure
 */
int state_root_open(const char *path, bool create, int *ret_fd)
{
	struct stat st;
	int fd;

	if (create && mkdir(path, STATE_DIR_MODE) < 0 && errno != EEXIST)
		return -errno;

	fd = open(path, DIR_OPEN_FLAGS);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 077)) {
		close(fd);
		return -EPERM;
	}
	*ret_fd = fd;
	return 0;
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
