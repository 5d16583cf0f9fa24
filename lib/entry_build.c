/* Building a netns entry out of sight and publishing it whole (rootlet-netns, rootlet-network). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "entry_build.h"
#include "fileio.h"
#include "lock.h"
#include "state.h"
#include "statedir.h"

#define PROC_NS_LINK_MAX sizeof("/proc/-2147483648/ns/user")

static void tmp_name(pid_t builder, char *buf, size_t len)
{
	snprintf(buf, len, ENTRY_TMP_PREFIX "%d", (int)builder);
}

/**
 * entry_build_begin() - Make this process's <root>/~add.<pid>, under its lock
 * @root_fd:	the state root
 * @ret:	the directory being built; entry_build_close() when done
 *
 * The lock is held until entry_build_close(), so that gc never takes the half-built directory
 * for debris while we live, and takes it once we died.
 *
 * Return: 0, or a negative errno (nothing left then)
 */
int entry_build_begin(int root_fd, struct entry_build *ret)
{
	struct entry_build b = { .root_fd = root_fd, .dir_fd = -1, .lock_fd = -1 };
	int err;

	tmp_name(getpid(), b.tmp, sizeof(b.tmp));
	if (mkdirat(root_fd, b.tmp, STATE_DIR_MODE) < 0)
		return -errno;
	b.dir_fd = openat(root_fd, b.tmp, DIR_OPEN_FLAGS);
	if (b.dir_fd < 0) {
		err = -errno;
		unlinkat(root_fd, b.tmp, AT_REMOVEDIR);
		return err;
	}
	if ((err = lock_at(b.dir_fd, STATE_LOCK, false, &b.lock_fd))) {
		entry_build_discard(&b);
		entry_build_close(&b);
		return err;
	}
	*ret = b;
	return 0;
}

/**
 * entry_build_link() - An entry's net and user: links to its holder's /proc/PID/ns files
 * @dir_fd:	the entry
 * @holder:	its holder, whose namespaces exist
 *
 * Return: 0, or a negative errno
 */
int entry_build_link(int dir_fd, pid_t holder)
{
	char target[PROC_NS_LINK_MAX];

	snprintf(target, sizeof(target), "/proc/%d/ns/net", (int)holder);
	if (symlinkat(target, dir_fd, STATE_NET) < 0)
		return -errno;
	snprintf(target, sizeof(target), "/proc/%d/ns/user", (int)holder);
	if (symlinkat(target, dir_fd, STATE_USER) < 0)
		return -errno;
	return 0;
}

/**
 * entry_build_publish() - Rename the built entry to @name, never over another
 * @b:		the entry built
 * @name:	its name
 *
 * Return: 0, -EEXIST when @name is taken (of racing builders exactly one wins), negative errno
 */
int entry_build_publish(struct entry_build *b, const char *name)
{
	if (renameat2(b->root_fd, b->tmp, b->root_fd, name, RENAME_NOREPLACE) < 0)
		return -errno;
	return 0;
}

/**
 * entry_build_discard() - Remove the directory being built, its files with it
 * @b:		the entry, not published; a holder it links to stopped by the caller
 *
 * Return: 0, or a negative errno
 */
int entry_build_discard(struct entry_build *b)
{
	int err = dir_remove_contents(b->dir_fd);

	if (!err && unlinkat(b->root_fd, b->tmp, AT_REMOVEDIR) < 0 && errno != ENOENT)
		err = -errno;
	return err;
}

/**
 * entry_build_close() - Close the directory, releasing its lock
 * @b:		the entry
 */
void entry_build_close(struct entry_build *b)
{
	if (b->lock_fd >= 0)
		close(b->lock_fd);
	if (b->dir_fd >= 0)
		close(b->dir_fd);
	b->lock_fd = b->dir_fd = -1;
}

/**
 * entry_build_sweep() - Remove what a builder killed half-way left: its <root>/~add.<pid>
 * @root_fd:	the state root
 * @builder:	the pid it had
 *
 * Left alone while its lock is held: a process that now has that pid is building it.
 *
 * Return: 1 when removed, 0 when there was none or it is busy, or a negative errno
 */
int entry_build_sweep(int root_fd, pid_t builder)
{
	struct entry_build b = { .root_fd = root_fd, .dir_fd = -1, .lock_fd = -1 };
	int err;

	tmp_name(builder, b.tmp, sizeof(b.tmp));
	b.dir_fd = openat(root_fd, b.tmp, DIR_OPEN_FLAGS);
	if (b.dir_fd < 0)
		return errno == ENOENT ? 0 : -errno;
	err = lock_at(b.dir_fd, STATE_LOCK, false, &b.lock_fd);
	if (!err)
		err = entry_build_discard(&b) ?: 1;
	else if (err == -EWOULDBLOCK || err == -ENOENT)
		err = 0;
	entry_build_close(&b);
	return err;
}
