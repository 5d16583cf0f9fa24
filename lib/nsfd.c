/* Namespace file descriptors: open one checking its type, join one. */
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nsfd.h"

/**
 * ns_type_name() - Name of a namespace type as /proc/PID/ns/ spells it
 * @nstype:	CLONE_NEWNET or CLONE_NEWUSER
 *
 * Return: "net", "user" or "namespace"
 */
const char *ns_type_name(int nstype)
{
	switch (nstype) {
	case CLONE_NEWNET:
		return "net";
	case CLONE_NEWUSER:
		return "user";
	default:
		return "namespace";
	}
}

/**
 * ns_open_at() - Open a namespace file and check it is a namespace of the expected type
 * @dir_fd:	directory fd or AT_FDCWD
 * @path:	path of the namespace file (an nsfs bind mount or /proc/PID/ns/TYPE)
 * @nstype:	CLONE_NEWNET or CLONE_NEWUSER
 * @ret_fd:	set to the open fd on success
 *
 * A path that is some other file would otherwise fail only later, at setns(), with EINVAL.
 *
 * Return: 0 on success, -ENOTTY if @path is not a namespace, -EINVAL if of another type
 */
int ns_open_at(int dir_fd, const char *path, int nstype, int *ret_fd)
{
	int fd, type;

	fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	type = ioctl(fd, NS_GET_NSTYPE);
	if (type < 0 || type != nstype) {
		int ret = type < 0 ? -ENOTTY : -EINVAL;

		close(fd);
		return ret;
	}
	*ret_fd = fd;
	return 0;
}

/**
 * ns_join() - Move the calling (single-threaded) process into a namespace
 * @fd:		from ns_open_at()
 * @nstype:	its type
 *
 * Return: 0 on success, negative errno on failure
 */
int ns_join(int fd, int nstype)
{
	return setns(fd, nstype) < 0 ? -errno : 0;
}

/**
 * ns_is_ours() - Is the namespace @fd refers to the one this thread is in already?
 * @fd:		a namespace fd
 * @nstype:	CLONE_NEWUSER or CLONE_NEWNET
 *
 * Joining our own user namespace again fails with EINVAL: callers join only when it differs.
 *
 * Return: true if it is ours
 */
bool ns_is_ours(int fd, int nstype)
{
	const char *self =
		nstype == CLONE_NEWUSER ? "/proc/thread-self/ns/user" : "/proc/thread-self/ns/net";
	struct stat a, b;

	return !fstat(fd, &a) && !stat(self, &b) && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}
