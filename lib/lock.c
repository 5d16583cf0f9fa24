/* flock(2)-based locks on files inside state directories. */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lock.h"

#define LOCK_FILE_MODE 0600

/**
 * lock_at() - Take an exclusive lock on a lock file, creating it if needed
 * @dir_fd:	directory holding the lock file
 * @name:	lock file name
 * @wait:	block until the lock is free; otherwise fail with -EWOULDBLOCK
 * @ret_fd:	set to the fd holding the lock; closing it releases the lock
 *
 * Return: 0 on success, negative errno on failure
 */
int lock_at(int dir_fd, const char *name, bool wait, int *ret_fd)
{
	int fd, ret;

	fd = openat(dir_fd, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, LOCK_FILE_MODE);
	if (fd < 0)
		return -errno;
	do
		ret = flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB));
	while (ret < 0 && errno == EINTR);
	if (ret < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	*ret_fd = fd;
	return 0;
}

/**
 * lock_is_stale() - Tell whether a lock we now hold was removed while we waited for it
 * @lock_fd:	fd returned by lock_at()
 *
 * Whoever deletes a state directory unlinks its lock file while holding it; a waiter then
 * wakes up holding a lock on a file that no longer names anything.
 *
 * Return: 1 if the file was unlinked, 0 if not, negative errno on failure
 */
int lock_is_stale(int lock_fd)
{
	struct stat st;

	if (fstat(lock_fd, &st) < 0)
		return -errno;
	return st.st_nlink == 0;
}
