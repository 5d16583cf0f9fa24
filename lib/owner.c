/* The netns's owner: a rootlet netns path links to its holder, and a helper ends with it. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "owner.h"
#include "proc.h"

/*
 * A rootless rootlet-netns entry's net file is a symlink to its holder's /proc/PID/ns/net: the
 * namespace lives as long as that process. When the holder ends (del, gc, SIGTERM, kill -9)
 * nothing but us would keep serving an orphaned netns, so the holder's pidfd is one more exit fd
 * of the helper's loop (rootlet-slirp's, and rootlet-portfwd's given a path). A netns given any
 * other way (a bind mount, as podman's; a PID, as slirp4netns takes it) has no such owner: its
 * caller ends us through --exit-fd.
 */

/**
 * owner_pidfd() - A pidfd of the process whose /proc/PID/ns/net @netns_path links to
 * @netns_path:	the netns file given to us
 * @ret_fd:	the pidfd, or -1 when the path is no such link
 *
 * The process is checked to be in that netns after the pidfd is taken, so that a pid reused
 * since the link was read is not watched in its place.
 *
 * Return: 0 on success (with or without an owner), -ESRCH if the owner is gone already, or a
 * negative errno
 */
int owner_pidfd(const char *netns_path, int *ret_fd)
{
	char target[PATH_MAX], proc[PATH_MAX];
	struct stat ns, now;
	ssize_t n;
	int pid, fd;

	*ret_fd = -1;
	n = readlink(netns_path, target, sizeof(target) - 1);
	if (n < 0)
		return errno == EINVAL || errno == ENOENT ? 0 : -errno;
	target[n] = '\0';
	if (!(pid = proc_ns_link_pid(target)))
		return 0;
	if (stat(netns_path, &ns) < 0)
		return -ESRCH;
	fd = pidfd_open(pid, 0);
	if (fd < 0)
		return errno == ESRCH ? -ESRCH : -errno;
	snprintf(proc, sizeof(proc), "/proc/%d/ns/net", pid);
	if (stat(proc, &now) < 0 || now.st_ino != ns.st_ino || now.st_dev != ns.st_dev) {
		close(fd);
		return -ESRCH;
	}
	*ret_fd = fd;
	return 0;
}
