/* A namespace file of a netns entry opened only while its holder is the one state.json records. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "nsfd.h"
#include "state.h"

/**
 * state_ns_open_holder_checked() - Open the namespace file @path, checking, when it is a file of
 * a rootlet-netns entry (a state.json beside it), that the entry's holder is still the process
 * state.json records
 * @path:	a namespace file: <root>/NAME/net or /user, or any other nsfs file (a bind mount)
 * @nstype:	CLONE_NEWNET or CLONE_NEWUSER
 * @ret_fd:	set to the open namespace
 *
 * An entry's net and user are symlinks to /proc/HOLDER/ns/...: once the holder has died, its
 * pid may be taken by any process, another container's among them, and the symlink then opens
 * that process's namespace. The file is opened first and the holder's start time checked
 * after: a pid cannot be reused while its process lives, so a match after the open proves the
 * namespace opened was the holder's.
 *
 * Return: 0; -ENOENT when the namespace is gone: the entry is stale (its holder ended, its pid
 * maybe someone else's now), as a dead holder's /proc/PID/ns/TYPE is; another negative errno
 * (ns_open_at()'s, state_read()'s)
 */
int state_ns_open_holder_checked(const char *path, int nstype, int *ret_fd)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	struct netns_state st;
	int dir_fd, fd, err, live;

	if (!slash)
		return ns_open_at(AT_FDCWD, path, nstype, ret_fd);
	if ((size_t)(slash - path) >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	dir_fd = open(slash == path ? "/" : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0)
		return -errno;
	err = state_read(dir_fd, &st);
	if (err == -ENOENT) { /* no entry's: a bind mount, nothing recorded to check */
		close(dir_fd);
		return ns_open_at(AT_FDCWD, path, nstype, ret_fd);
	}
	if (err || (err = ns_open_at(dir_fd, slash + 1, nstype, &fd))) {
		close(dir_fd);
		return err;
	}
	live = state_live(dir_fd, &st);
	close(dir_fd);
	if (live != 1) {
		close(fd);
		return live < 0 ? live : -ENOENT;
	}
	*ret_fd = fd;
	return 0;
}
