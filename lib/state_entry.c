/* A netns entry opened by name: the one way a helper goes from --netns NAME to its files. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "fileio.h"
#include "name.h"
#include "state_entry.h"

/**
 * state_entry_find() - Where the entry @name is: its name checked, the state root found,
 *			its paths built; nothing opened
 * @name:	the entry's name, as the user gave it (--netns NAME)
 * @ret:	filled on success; ret->dir_fd is -1
 * @e:		the one message of a failure
 *
 * The name is checked before it touches a path, so "../x" or "a/b" never leave the root.
 *
 * Return: 0, -EINVAL (no valid name), -ENOENT (no state root to look in), -ENAMETOOLONG
 */
int state_entry_find(const char *name, struct state_entry *ret, struct err *e)
{
	char quoted[NAME_QUOTE_MAX];
	int err;

	ret->dir_fd = -1;
	if ((err = name_check(name, e))) {
		name_quote(name, quoted, sizeof(quoted));
		return err_wrap(e, err, "invalid netns name '%s'", quoted);
	}
	if ((err = state_root_path(ret->root, sizeof(ret->root))))
		return err == -ENOENT ? state_root_missing(e)
				      : err_errno(e, err, "the state directory");
	if ((err = state_paths(ret->root, name, &ret->path)))
		return err_errno(e, err, "netns %s", name);
	return 0;
}

/**
 * state_entry_open() - state_entry_find(), then the entry's directory opened: the root
 *			refused if others could change it, neither followed through a symlink
 * @name:	the entry's name, as the user gave it
 * @ret:	filled on success; close with state_entry_close()
 * @e:		the one message of a failure
 *
 * Return: 0, -ENOENT (no such netns, or no state root), -EPERM (a root others could change),
 *	   -ELOOP/-ENOTDIR (a symlink), other negative errno
 */
int state_entry_open(const char *name, struct state_entry *ret, struct err *e)
{
	int root_fd, err;

	if ((err = state_entry_find(name, ret, e)))
		return err;
	if ((err = state_root_open(ret->root, false, &root_fd))) {
		if (err == -EPERM)
			return state_root_refused(ret->root, e);
		if (err == -ENOENT)
			return err_make(e, err, "no netns %s (none made yet: %s does not exist)",
					name, ret->root);
		if (err == -ELOOP || err == -ENOTDIR)
			return err_make(e, err, "%s is not a directory (a symlink?): refused",
					ret->root);
		return err_errno(e, err, "%s", ret->root);
	}
	ret->dir_fd = openat(root_fd, name, DIR_OPEN_FLAGS);
	err = ret->dir_fd < 0 ? -errno : 0;
	close(root_fd);
	if (err == -ENOENT)
		return err_make(e, err, "no netns %s", name);
	if (err == -ELOOP || err == -ENOTDIR)
		return err_make(e, err, "%s is not a directory (a symlink?): refused",
				ret->path.dir);
	return err ? err_errno(e, err, "%s", ret->path.dir) : 0;
}

/**
 * state_entry_close() - Close what state_entry_open() opened
 * @entry:	the entry; its dir_fd becomes -1
 */
void state_entry_close(struct state_entry *entry)
{
	if (entry->dir_fd >= 0)
		close(entry->dir_fd);
	entry->dir_fd = -1;
}
