/* The files of a host-side rootlet-bypass in the state root, and gc of a dead one's. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

/**
 * hostsup_gc() - Remove a dead host-side supervisor's files, found by its S.run
 * @root_fd:	the state root
 * @name:	an entry of it; only bypass@host*.sock.run is acted on
 *
 * Return: 1 if removed, 0 if not its to remove (live, busy, another name), negative errno
 */
int hostsup_gc(int root_fd, const char *name)
{
	char base[NAME_MAX + 1], file[NAME_MAX + 1 + NAME_MAX_SUFFIX];
	size_t len = strlen(name), tail = strlen(HOSTSUP_SOCK HOSTSUP_RUN);
	int lock, run, err;

	if (strncmp(name, HOSTSUP_PREFIX, strlen(HOSTSUP_PREFIX)) || len <= tail ||
	    strcmp(name + len - tail, HOSTSUP_SOCK HOSTSUP_RUN) || len - tail >= sizeof(base))
		return 0;
	memcpy(base, name, len - tail);
	base[len - tail] = '\0';
	snprintf(file, sizeof(file), "%s" HOSTSUP_SOCK HOSTSUP_LOCK, base);
	if ((err = lock_at(root_fd, file, false, &lock)))
		return err == -EWOULDBLOCK ? 0 : err;
	if ((err = lock_at(root_fd, name, false, &run))) {
		close(lock);
		return err == -EWOULDBLOCK ? 0 : err;
	}
	for (size_t i = 0; i < sizeof(debris) / sizeof(*debris); i++) {
		snprintf(file, sizeof(file), "%s%s", base, debris[i]);
		if (unlinkat(root_fd, file, 0) < 0 && errno != ENOENT && !err)
			err = -errno;
	}
	close(run);
	close(lock);
	return err ? err : 1;
}
