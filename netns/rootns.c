/* Root's netns: kept by an nsfs bind mount, as `ip netns add` does, with no holder process. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <unistd.h>

#include "fileio.h"
#include "netns.h"

#define NET_FILE_MODE 0444

/**
 * rootns_prepare_root() - Make the state root a shared mount point
 * @root:	the state root, already created
 *
 * As `ip netns` does for /run/netns: mounts made under a shared mount point propagate to the
 * mount namespaces created later, so a netns added now is usable from a container started
 * after. A root that is not yet a mount point is first bind-mounted onto itself; the flock keeps
 * two racing adds from stacking two such mounts. Call it before opening the root, since the
 * mount hides what an earlier fd sees.
 *
 * Return: 0 on success, negative errno on failure
 */
int rootns_prepare_root(const char *root)
{
	int fd, err = 0;

	fd = open(root, DIR_OPEN_FLAGS);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX) < 0) {
		err = -errno;
		goto out;
	}
	if (!mount("", root, "none", MS_SHARED | MS_REC, NULL))
		goto out;
	if (errno != EINVAL) {
		err = -errno;
		goto out;
	}
	if (mount(root, root, "none", MS_BIND | MS_REC, NULL) < 0 ||
	    mount("", root, "none", MS_SHARED | MS_REC, NULL) < 0)
		err = -errno;
out:
	close(fd);
	return err;
}

/**
 * rootns_create() - Make a new netns and bind-mount it on <entry>/net
 * @dir_fd:	the entry's directory
 *
 * The calling process enters the new netns only long enough to mount it, then goes back.
 *
 * Return: 0 on success, negative errno on failure
 */
int rootns_create(int dir_fd)
{
	int orig_fd, file_fd, err = 0;
	char target[64];

	file_fd = openat(dir_fd, STATE_NET, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, NET_FILE_MODE);
	if (file_fd < 0)
		return -errno;
	close(file_fd);

	orig_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (orig_fd < 0)
		return -errno;
	if (unshare(CLONE_NEWNET) < 0) {
		err = -errno;
		goto out;
	}
	snprintf(target, sizeof(target), "/proc/self/fd/%d/%s", dir_fd, STATE_NET);
	if (mount("/proc/self/ns/net", target, "none", MS_BIND, NULL) < 0)
		err = -errno;
	if (setns(orig_fd, CLONE_NEWNET) < 0 && !err)
		err = -errno;
out:
	close(orig_fd);
	return err;
}

/**
 * rootns_release() - Unmount <entry>/net; the netns goes when its last user leaves
 * @dir_fd:	the entry's directory
 *
 * Return: 0 on success or if nothing was mounted, negative errno on failure
 */
int rootns_release(int dir_fd)
{
	char target[64];

	snprintf(target, sizeof(target), "/proc/self/fd/%d/%s", dir_fd, STATE_NET);
	if (umount2(target, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL && errno != ENOENT)
		return -errno;
	return 0;
}
