/* A daemon's filesystem sandbox: a mount namespace whose root is empty and read-only. */
#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/mount.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "proc.h"
#include "sandbox.h"

/*
 * Theory of operation
 *
 * Once a daemon holds every fd it will use (tap, sockets, its state directory), it needs no
 * path of the host: the root becomes an empty tmpfs, holding at most a few host directories
 * bound read-only (rootlet-slirp's /etc, for resolv.conf), the old root is detached, and the
 * new root is made read-only, as pasta does. Paths opened before stay usable through their
 * fds.
 *
 * Making a mount namespace needs CAP_SYS_ADMIN in our user namespace. Run by podman (root in
 * its userns) or joined to a rootlet holder's userns we have it; run by a user from the host
 * we do not, and a user namespace of our own, mapping our ids to themselves, comes first.
 * Both unshares need a process with one thread: call this before starting any other.
 */

#define SANDBOX_ROOT	 "/tmp"
#define SANDBOX_OLD	 "oldroot"
#define SANDBOX_TMPFS_SZ "size=64k,mode=0755"
#define ID_MAP_TEXT	 64

/*
 * A userns of our own, with our ids mapped to themselves, so that nothing else changes.
 *
 * A daemon is not dumpable (isolate_undumpable()), and then /proc/self's files are root's of
 * the userns we were exec'd in: our own maps cannot be written. Dumpable again for those three
 * writes only; we are in no userns a container is root of (we would have CAP_SYS_ADMIN and not
 * be here), but one that runs as our uid could seize us meanwhile (no Yama): a tracer found
 * once we are not dumpable again fails the sandbox, and the daemon exits.
 */
static int own_userns(void)
{
	char map[ID_MAP_TEXT];
	uid_t uid = geteuid();
	gid_t gid = getegid();
	int dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), err;

	if (unshare(CLONE_NEWUSER) < 0)
		return -errno;
	if (dumpable != 1 && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
		return -errno;
	err = proc_write(0, "setgroups", "deny");
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)uid, (unsigned)uid);
	if (!err)
		err = proc_write(0, "uid_map", map);
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)gid, (unsigned)gid);
	if (!err)
		err = proc_write(0, "gid_map", map);
	if (dumpable != 1) {
		(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
		long tracer = 1;

		if (!err && (proc_status_kib(getpid(), "TracerPid", &tracer) || tracer))
			err = -EPERM;
	}
	return err;
}

/* mkdir -p of @path's components below the new root (which exists). */
static int make_dirs(const char *path)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s%s", SANDBOX_ROOT, path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + strlen(SANDBOX_ROOT) + 1;; p++) {
		char c = *p;

		if (c != '/' && c)
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		if (!c)
			return 0;
		*p = c;
	}
}

/* A read-only bind of the host's directory @dir, with what is mounted below it. */
static int bind_dir_ro(const char *dir)
{
	struct mount_attr attr = {
		.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
			    MOUNT_ATTR_NOEXEC,
	};
	char target[PATH_MAX];
	int err;

	if ((err = make_dirs(dir)))
		return err;
	snprintf(target, sizeof(target), "%s%s", SANDBOX_ROOT, dir);
	if (mount(dir, target, NULL, MS_BIND | MS_REC, NULL) < 0)
		return -errno;
	/* Read-only all the way down (a resolv.conf may itself be a bind mount). */
	if (!syscall(SYS_mount_setattr, AT_FDCWD, target, AT_RECURSIVE, &attr, sizeof(attr)))
		return 0;
	if (errno != ENOSYS)
		return -errno;
	if (mount(NULL, target, NULL,
		  MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return -errno;
	return 0;
}

static int empty_root(const char *const *dirs, size_t n)
{
	int err;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	if (mount("tmpfs", SANDBOX_ROOT, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  SANDBOX_TMPFS_SZ) < 0)
		return -errno;
	if (mkdir(SANDBOX_ROOT "/" SANDBOX_OLD, 0700) < 0)
		return -errno;
	for (size_t i = 0; i < n; i++)
		if ((err = bind_dir_ro(dirs[i])))
			return err;
	if (syscall(SYS_pivot_root, SANDBOX_ROOT, SANDBOX_ROOT "/" SANDBOX_OLD) < 0)
		return -errno;
	if (chdir("/") < 0 || umount2("/" SANDBOX_OLD, MNT_DETACH) < 0 ||
	    rmdir("/" SANDBOX_OLD) < 0)
		return -errno;
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) <
	    0)
		return -errno;
	return 0;
}

/**
 * sandbox_root() - Leave the host's filesystem for an empty read-only root
 * @dirs:	host directories to keep, read-only, at the same paths (may be NULL)
 * @n:		how many
 * @ret_step:	on failure, the step that failed ("user namespace", "mount namespace",
 *		"empty root")
 *
 * Return: 0 on success, negative errno on failure
 */
int sandbox_root(const char *const *dirs, size_t n, const char **ret_step)
{
	int err;

	capng_get_caps_process();
	*ret_step = "user namespace";
	if (!capng_have_capability(CAPNG_EFFECTIVE, CAP_SYS_ADMIN) && (err = own_userns()))
		return err;
	*ret_step = "mount namespace";
	if (unshare(CLONE_NEWNS) < 0)
		return -errno;
	*ret_step = "empty root";
	return empty_root(dirs, n);
}
