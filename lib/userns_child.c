/* A user namespace of its own for a netns, the child of another: mapped, and its ancestry read. */
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "idmap.h"
#include "nsfd.h"
#include "userns_child.h"

/*
 * Theory of operation. A netns that must be administered by its container alone (a shared
 * network's container: issue 24) is owned by a user namespace of its own, a child of the
 * network's: whoever holds capabilities in the parent (the infra's plumbing) keeps them over
 * the child's netns, so a veth still joins the two; a process with capabilities in the child
 * has none over the parent's netns or a sibling's. The child's holder unshares it from inside
 * the parent; its uid_map and gid_map can only be written by a process in the parent (the
 * kernel: the writer's user namespace is the map's own or its parent, with CAP_SETUID and
 * CAP_SETGID there, and CAP_SETFCAP there to map its id 0). So a child of ours joins the
 * parent, where we own it (every capability) and writes the identity of every range the
 * parent maps: the same ids, the same files, the same owner on the host.
 */

/* The longest line of a map: three 32-bit ids. */
#define MAP_LINE_MAX sizeof("4294967295 4294967295 4294967295\n")

/* The parent's ranges (as seen from inside it) mapped 1:1 into the child @pid, for @file. */
static int map_identity(pid_t pid, const char *file)
{
	struct idmap_range r[IDMAP_MAX_RANGES];
	char path[sizeof("/proc/2147483647/uid_map")],
		text[IDMAP_MAX_RANGES * (MAP_LINE_MAX - 1) + 1];
	size_t n, len = 0;
	ssize_t w;
	int fd, err;

	if ((err = idmap_read_pid(getpid(), file, r, IDMAP_MAX_RANGES, &n)))
		return err;
	for (size_t i = 0; i < n; i++) {
		int k = snprintf(text + len, sizeof(text) - len, "%u %u %u\n", r[i].inside,
				 r[i].inside, r[i].count);

		if (k < 0 || (size_t)k >= sizeof(text) - len)
			return -EOVERFLOW;
		len += (size_t)k;
	}
	if (!n)
		return -ENOENT;
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* One write: the kernel takes a map whole or not at all, once. */
	w = write(fd, text, len);
	err = w == (ssize_t)len ? 0 : w < 0 ? -errno : -EIO;
	close(fd);
	return err;
}

/**
 * userns_child_map() - Map the new user namespace of @pid, a child of @parent_fd, 1:1 from it
 * @pid:	a process that unshared a user namespace while in @parent_fd's, before any map
 * @parent_fd:	its parent user namespace, one we own (made by us, or by our own ids)
 * @e:		why not
 *
 * Return: 0, or a negative errno
 */
int userns_child_map(pid_t pid, int parent_fd, struct err *e)
{
	int status, err;
	pid_t child = fork();

	if (child < 0)
		return err_errno(e, -errno, "fork");
	if (child == 0) {
		/* An exit status is all it says: the errno, which fits (under 256). */
		if (!ns_is_ours(parent_fd, CLONE_NEWUSER) && ns_join(parent_fd, CLONE_NEWUSER))
			_exit(errno & 0xff);
		err = map_identity(pid, "uid_map");
		if (!err)
			err = map_identity(pid, "gid_map");
		_exit(-err & 0xff);
	}
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return err_errno(e, -errno, "waitpid");
	if (!WIFEXITED(status))
		return err_make(e, -ECHILD, "mapping the netns's own user namespace: killed");
	if (WEXITSTATUS(status))
		return err_errno(e, -WEXITSTATUS(status), "mapping the netns's own user namespace");
	return 0;
}

/* Whether two namespace fds name one namespace. */
static bool ns_same(int a_fd, int b_fd)
{
	struct stat a, b;

	return !fstat(a_fd, &a) && !fstat(b_fd, &b) && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

/**
 * userns_depth_below() - How far below @anc_fd the user namespace @user_fd is
 * @user_fd:	a user namespace
 * @anc_fd:	the one it may descend from
 *
 * Return: 0 (the same), the number of generations (a strict descendant), -ENOENT (not below
 *	   it: its ancestry ends, or leaves what we may see, first), or another negative errno
 */
int userns_depth_below(int user_fd, int anc_fd)
{
	int fd = dup(user_fd), parent, depth = 0;

	if (fd < 0)
		return -errno;
	while (!ns_same(fd, anc_fd)) {
		parent = ioctl(fd, NS_GET_PARENT);
		close(fd);
		/* EPERM: past our own user namespace; the host's has no parent. */
		if (parent < 0)
			return errno == EPERM || errno == ENOENT ? -ENOENT : -errno;
		fd = parent;
		depth++;
	}
	close(fd);
	return depth;
}

/**
 * userns_top() - The ancestor of @user_fd (or itself) whose parent is our own user namespace
 * @user_fd:	a user namespace below ours
 * @ret_fd:	set to it, open
 *
 * A shared network's user namespace was made by us (newuidmap), its containers' below it.
 *
 * Return: 0, -ENOENT (not below ours), or a negative errno
 */
int userns_top(int user_fd, int *ret_fd)
{
	int fd = dup(user_fd), parent;

	if (fd < 0)
		return -errno;
	for (;;) {
		parent = ioctl(fd, NS_GET_PARENT);
		if (parent < 0) {
			close(fd);
			return errno == EPERM || errno == ENOENT ? -ENOENT : -errno;
		}
		if (ns_is_ours(parent, CLONE_NEWUSER)) {
			close(parent);
			*ret_fd = fd;
			return 0;
		}
		close(fd);
		fd = parent;
	}
}
