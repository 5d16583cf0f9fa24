/* The files of a host-side rootlet-bypass in the state root, and gc of a dead one's. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "hostsup.h"
#include "lock.h"
#include "pidfile.h"

/*
 * Theory of operation
 *
 * rootlet-bypass --host keeps, beside its socket S (bypass@host-INODE.sock, or bypass@host.sock):
 * S.api, S.pid, S.standby.pid, S.log, S.run and S.lock. An idle end removes the first three; a
 * kill -9 removes none. gc removes them all once no daemon holds S.run (a standby inherits it)
 * and no wrapper holds S.lock: it takes S.lock, then S.run, exclusively and without waiting,
 * unlinks everything while holding both, S.lock last. A wrapper that was waiting on S.lock then
 * holds a lock on a file no longer linked: it opens the name again (hostsup_lock_shared()).
 * gc makes no file: where S.lock is missing it takes S.run alone (a wrapper makes S.lock before
 * it starts a daemon), and S.lock without S.run is an older version's dead daemon's.
 */

#define STANDBY_PID	".standby" PIDFILE_SUFFIX
#define NAME_MAX_SUFFIX 16

static const char *const debris[] = { HOSTSUP_SOCK,
				      HOSTSUP_SOCK ".api",
				      HOSTSUP_SOCK PIDFILE_SUFFIX,
				      HOSTSUP_SOCK STANDBY_PID,
				      HOSTSUP_SOCK HOSTSUP_LOG,
				      HOSTSUP_SOCK HOSTSUP_RUN,
				      HOSTSUP_SOCK HOSTSUP_LOCK };

/**
 * hostsup_lock_shared() - A wrapper's shared lock on @name (S.lock), on the file the name holds
 * @root_fd:	the state root
 * @name:	the lock file's name
 * @ret_fd:	the fd holding the lock
 *
 * Return: 0, negative errno
 */
int hostsup_lock_shared(int root_fd, const char *name, int *ret_fd)
{
	int fd, err;

	for (;;) {
		fd = openat(root_fd, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0)
			return -errno;
		while ((err = flock(fd, LOCK_SH) < 0 ? -errno : 0) == -EINTR)
			;
		if (!err && (err = lock_is_stale(fd)) == 1) {
			close(fd); /* gc unlinked it while we waited: the name's file is another */
			continue;
		}
		if (err) {
			close(fd);
			return err;
		}
		*ret_fd = fd;
		return 0;
	}
}

/* An exclusive lock on @name if it exists, never made here; -ENOENT if it does not. */
static int lock_existing(int root_fd, const char *name, int *ret_fd)
{
	int fd = openat(root_fd, name, O_RDWR | O_CLOEXEC | O_NOFOLLOW), err;

	if (fd < 0)
		return -errno;
	while ((err = flock(fd, LOCK_EX | LOCK_NB) < 0 ? -errno : 0) == -EINTR)
		;
	if (err) {
		close(fd);
		return err;
	}
	*ret_fd = fd;
	return 0;
}

/* Whether @name ends with @tail, past a non-empty base; the base's length. */
static bool ends_with(const char *name, const char *tail, size_t *ret_base)
{
	size_t len = strlen(name), t = strlen(tail);

	if (len <= t || strcmp(name + len - t, tail))
		return false;
	*ret_base = len - t;
	return true;
}

/**
 * hostsup_gc() - Remove a dead host-side supervisor's files, found by its S.run (or, with none,
 * its S.lock: a daemon of an older version made no S.run)
 * @root_fd:	the state root
 * @name:	an entry of it; only bypass@host*.sock.run and .sock.lock are acted on
 *
 * Nothing is created here: a lock file gc made would be an entry for its own readdir to find.
 *
 * Return: 1 if removed, 0 if not its to remove (live, busy, another name), negative errno
 */
int hostsup_gc(int root_fd, const char *name)
{
	char base[NAME_MAX + 1], file[NAME_MAX + 1 + NAME_MAX_SUFFIX];
	bool by_run;
	size_t blen;
	int lock = -1, run = -1, err;

	if (strncmp(name, HOSTSUP_PREFIX, strlen(HOSTSUP_PREFIX)))
		return 0;
	by_run = ends_with(name, HOSTSUP_SOCK HOSTSUP_RUN, &blen);
	if ((!by_run && !ends_with(name, HOSTSUP_SOCK HOSTSUP_LOCK, &blen)) || blen >= sizeof(base))
		return 0;
	memcpy(base, name, blen);
	base[blen] = '\0';
	snprintf(file, sizeof(file), "%s" HOSTSUP_SOCK HOSTSUP_RUN, base);
	/* A base with an S.run is gc'd by that name alone. */
	if (!by_run && faccessat(root_fd, file, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	snprintf(file, sizeof(file), "%s" HOSTSUP_SOCK HOSTSUP_LOCK, base);
	err = lock_existing(root_fd, file, &lock);
	if (err && (err != -ENOENT || !by_run)) /* gone meanwhile: nothing of it to remove */
		return err == -EWOULDBLOCK || err == -ENOENT ? 0 : err;
	if (by_run && (err = lock_existing(root_fd, name, &run))) {
		if (lock >= 0)
			close(lock);
		return err == -EWOULDBLOCK || err == -ENOENT ? 0 : err;
	}
	err = 0;
	for (size_t i = 0; i < sizeof(debris) / sizeof(*debris); i++) {
		snprintf(file, sizeof(file), "%s%s", base, debris[i]);
		if (unlinkat(root_fd, file, 0) < 0 && errno != ENOENT && !err)
			err = -errno;
	}
	if (run >= 0)
		close(run);
	if (lock >= 0)
		close(lock);
	return err ? err : 1;
}
