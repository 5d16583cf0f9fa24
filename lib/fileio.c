/* Small-file I/O relative to a directory fd: atomic replace and bounded reads. */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The temporary file written whole, then renamed over @name: the rename is the commit. */
static int write_replace(int dir_fd, const char *name, const void *buf, size_t len, mode_t mode,
			 bool durable)
{
	char tmp[256];
	int fd, ret;

	if (snprintf(tmp, sizeof(tmp), FILEIO_TMP_PREFIX "%s" FILEIO_TMP_INFIX "%d", name,
		     (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;

	fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;

	ret = write_all(fd, buf, len);
	if (!ret && durable && fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (!ret && renameat(dir_fd, tmp, dir_fd, name) < 0)
		ret = -errno;
	if (ret)
		unlinkat(dir_fd, tmp, 0);
	return ret;
}

/**
 * file_write_atomic() - Replace a file so that readers see the old or the new content, never a
 *			 mix, and the new content survives a power loss once this returns
 * @dir_fd:	directory holding the file
 * @name:	file name inside @dir_fd
 * @buf:	new content
 * @len:	length of @buf
 * @mode:	permission bits of the new file
 *
 * For a user's own files (a config.json rewritten in place). The temporary name carries our
 * pid, so two writers never share one.
 *
 * Return: 0 on success, negative errno on failure (the old file is then untouched)
 */
int file_write_atomic(int dir_fd, const char *name, const void *buf, size_t len, mode_t mode)
{
	return write_replace(dir_fd, name, buf, len, mode, true);
}

/**
 * file_write_state() - Replace a file of rootlet's runtime state, atomically
 * @dir_fd:	directory holding the file
 * @name:	file name inside @dir_fd
 * @buf:	new content
 * @len:	length of @buf
 * @mode:	permission bits of the new file
 *
 * Readers, and a writer killed at any moment, see the old content or the new, never a mix: the
 * rename is the commit, and the page cache outlives any process. No fsync: the state root is
 * runtime state (XDG_RUNTIME_DIR, /run), whose every holder and helper a power loss ends
 * anyway, so it buys nothing there but a disk flush on every add, alloc and pid file.
 *
 * Return: 0 on success, negative errno on failure (the old file is then untouched)
 */
int file_write_state(int dir_fd, const char *name, const void *buf, size_t len, mode_t mode)
{
	return write_replace(dir_fd, name, buf, len, mode, false);
}

/**
 * file_read_small() - Read a whole small file, NUL-terminated
 * @dir_fd:	directory fd, or AT_FDCWD
 * @name:	file name or path
 * @ret_buf:	set to a malloc()ed buffer on success
 * @ret_len:	set to the length read (may be NULL)
 *
 * Return: 0 on success, -EFBIG past FILEIO_SMALL_MAX, other negative errno on failure
 */
int file_read_small(int dir_fd, const char *name, char **ret_buf, size_t *ret_len)
{
	return file_read_max(dir_fd, name, FILEIO_SMALL_MAX, ret_buf, ret_len);
}

/**
 * buf_reserve() - Room for one more byte and a NUL in a buffer being read into, doubling it
 * @buf:	the malloc()ed buffer, replaced when it grows
 * @cap:	its size, updated
 * @len:	the bytes in it
 * @max:	once it is this big or bigger, it grows no more (a doubling may take it past)
 *
 * Return: 0 (room made or there already), -EFBIG (full, and at @max or past), -ENOMEM
 */
int buf_reserve(char **buf, size_t *cap, size_t len, size_t max)
{
	char *grown;

	if (len + 1 < *cap)
		return 0;
	if (*cap >= max)
		return -EFBIG;
	grown = realloc(*buf, *cap * 2);
	if (!grown)
		return -ENOMEM;
	*buf = grown;
	*cap *= 2;
	return 0;
}

/**
 * file_read_max() - Read a whole file of at most @max bytes, NUL-terminated
 * @dir_fd:	directory fd, or AT_FDCWD
 * @name:	file name or path
 * @max:	the most it may hold
 * @ret_buf:	set to a malloc()ed buffer on success
 * @ret_len:	set to the length read (may be NULL)
 *
 * Return: 0 on success, -EFBIG past @max, other negative errno on failure
 */
int file_read_max(int dir_fd, const char *name, size_t max, char **ret_buf, size_t *ret_len)
{
	size_t len = 0, cap = 4096;
	char *buf = NULL;
	int fd, ret = 0;

	fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;

	buf = malloc(cap);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n;

		/*
		 * Room for @max bytes, the NUL and one more: a file that ends at @max is told
		 * from a longer one only by a read past it.
		 */
		if ((ret = buf_reserve(&buf, &cap, len, max + 2)))
			goto out;
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		ret = -EFBIG; /* the buffer grows in doublings: it holds more than @max */
		goto out;
	}
	buf[len] = '\0';
	*ret_buf = buf;
	buf = NULL;
	if (ret_len)
		*ret_len = len;
out:
	free(buf);
	close(fd);
	return ret;
}

/**
 * dir_stream() - Open a readdir() stream on a directory, leaving @dir_fd to the caller
 * @dir_fd:	the directory
 * @ret_dir:	the stream, to closedir()
 *
 * Return: 0 on success, negative errno
 */
int dir_stream(int dir_fd, DIR **ret_dir)
{
	int fd, err;

	fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*ret_dir = fdopendir(fd);
	if (!*ret_dir) {
		err = -errno;
		close(fd);
		return err;
	}
	return 0;
}

/**
 * dir_remove_contents() - Remove every non-directory entry of a directory
 * @dir_fd:	the directory; its offset is consumed
 *
 * State directories are flat (files, symlinks, sockets), so one level is all there is.
 *
 * Return: 0 on success, negative errno of the first failure (removal goes on past it)
 */
int dir_remove_contents(int dir_fd)
{
	struct dirent *de;
	DIR *dir;
	int ret;

	if ((ret = dir_stream(dir_fd, &dir)))
		return ret;
	while ((de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (unlinkat(dir_fd, de->d_name, 0) < 0 && errno != ENOENT && !ret)
			ret = -errno;
	}
	closedir(dir);
	return ret;
}

/**
 * file_sweep_tmp() - Remove the temporary files of @name that writers killed before their
 * rename left (file_write_state()'s, file_write_atomic()'s)
 * @dir_fd:	the directory
 * @name:	the file they were writing; a '*' in it stands for any name ("*.json": every
 *		record's), as in fnmatch(3)
 *
 * Only for files whose writers hold a lock the caller holds: no writer is alive then. A
 * temporary file's FILEIO_TMP_PREFIX leads no name a user can give, so no record is taken.
 */
void file_sweep_tmp(int dir_fd, const char *name)
{
	char pattern[NAME_MAX + 1];
	struct dirent *de;
	DIR *d;

	if (snprintf(pattern, sizeof(pattern), FILEIO_TMP_PREFIX "%s" FILEIO_TMP_INFIX "*", name) >=
		    (int)sizeof(pattern) ||
	    dir_stream(dir_fd, &d))
		return;
	while ((de = readdir(d)))
		if (!fnmatch(pattern, de->d_name, 0))
			unlinkat(dir_fd, de->d_name, 0);
	closedir(d);
}
