/* --enable-sandbox: an empty read-only root, and capabilities down to what libslirp needs. */
#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <linux/mount.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "proc.h"
#include "slirp.h"

/*
 * Theory of operation
 *
 * Once the tap fd, the API socket and libslirp exist, the helper needs no file but one:
 * /etc/resolv.conf, which libslirp re-reads (when its inode, size or time changes) to find the
 * host's DNS server for 10.0.2.3. Hosts replace that file by rename (NetworkManager,
 * resolvconf, DHCP clients), so a bind of the file itself would keep the old inode forever:
 * the directory holding it is bound instead, read-only, and so is the directory of the file
 * it links to when that lies elsewhere (/run/systemd/resolve, say), as slirp4netns binds /etc
 * and /run. Nothing else of the host is there: the root is an empty tmpfs, the old root is
 * detached, and the new root is made read-only, as pasta does.
 *
 * Making a mount namespace needs CAP_SYS_ADMIN in our user namespace. Run by podman (root in
 * its userns) we have it; run by rootlesskit or a user from the host we do not, and a user
 * namespace of our own, mapping our uid to itself, comes first. That is why --userns-path no
 * longer matters here: it only told the tap child where to go.
 */

#define SANDBOX_ROOT	 "/tmp"
#define SANDBOX_OLD	 "oldroot"
#define SANDBOX_TMPFS_SZ "size=64k,mode=0755"
#define RESOLV_CONF	 "/etc/resolv.conf"
#define RESOLV_DIR	 "/etc"

/* A userns of our own, with our ids mapped to themselves, so that nothing else changes. */
static int own_userns(void)
{
	char map[64];
	uid_t uid = geteuid();
	gid_t gid = getegid();
	int err;

	if (unshare(CLONE_NEWUSER) < 0)
		return -errno;
	if ((err = proc_write(0, "setgroups", "deny")))
		return err;
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)uid, (unsigned)uid);
	if ((err = proc_write(0, "uid_map", map)))
		return err;
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)gid, (unsigned)gid);
	return proc_write(0, "gid_map", map);
}

/* mkdir -p of @path's components below the new root (which exists). */
static int make_dirs(const char *path)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s%s", SANDBOX_ROOT, path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + strlen(SANDBOX_ROOT) + 1;; p++) {
		if (*p != '/' && *p)
			continue;
		char c = *p;

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

/* /etc, and the directory of the file resolv.conf links to when that is not in /etc. */
static int bind_resolv_dirs(void)
{
	char *real = realpath(RESOLV_CONF, NULL), *dir;
	int err;

	if ((err = bind_dir_ro(RESOLV_DIR)))
		goto out;
	if (!real)
		goto out;
	dir = dirname(real);
	if (strcmp(dir, RESOLV_DIR) && strncmp(dir, RESOLV_DIR "/", strlen(RESOLV_DIR "/")))
		err = bind_dir_ro(dir);
out:
	free(real);
	return err;
}

static int empty_root(void)
{
	int err;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	if (mount("tmpfs", SANDBOX_ROOT, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  SANDBOX_TMPFS_SZ) < 0)
		return -errno;
	if (mkdir(SANDBOX_ROOT "/" SANDBOX_OLD, 0700) < 0)
		return -errno;
	if ((err = bind_resolv_dirs()))
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

/* Only CAP_NET_BIND_SERVICE may stay, and only for root of a userns (podman's case). */
static int drop_caps(void)
{
	capng_clear(CAPNG_SELECT_ALL);
	if (geteuid() == 0)
		capng_updatev(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET,
			      CAP_NET_BIND_SERVICE, -1);
	if (capng_apply(CAPNG_SELECT_ALL) < 0)
		return -EPERM;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

/**
 * sandbox_enter() - Leave the filesystem behind and drop capabilities
 * @cfg:	configuration; cfg->detail says which step failed
 *
 * Return: 0 on success, negative errno on failure
 */
int sandbox_enter(struct slirp_cfg *cfg)
{
	int err;

	capng_get_caps_process();
	if (!capng_have_capability(CAPNG_EFFECTIVE, CAP_SYS_ADMIN) && (err = own_userns())) {
		snprintf(cfg->detail, sizeof(cfg->detail), "sandbox: user namespace: %s",
			 strerror(-err));
		return err;
	}
	if (unshare(CLONE_NEWNS) < 0) {
		err = -errno;
		snprintf(cfg->detail, sizeof(cfg->detail), "sandbox: mount namespace: %s",
			 strerror(-err));
		return err;
	}
	if ((err = empty_root())) {
		snprintf(cfg->detail, sizeof(cfg->detail), "sandbox: empty root: %s",
			 strerror(-err));
		return err;
	}
	if ((err = drop_caps())) {
		snprintf(cfg->detail, sizeof(cfg->detail), "sandbox: dropping capabilities: %s",
			 strerror(-err));
		return err;
	}
	return 0;
}
