/* The record rootlet-runtime keeps of the runtime that made a container, and gc of stale ones. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "rtrecord.h"

/*
 * Theory of operation
 *
 * rootlet-runtime writes runtime@ID at create (runtime/record.c) and takes it away at the
 * container's delete. An engine killed -9 may never run that delete (podman whose conmon was
 * killed leaves even crun's own state), so gc must be able to tell a record whose container is
 * gone. The record's text is three lines: the runtime's path; the state root the runtime keeps
 * the container under (its --root, or its default for the user); "confirmed" once a later verb
 * through the wrapper found ROOT/ID, proving the root right. Only a confirmed record whose
 * ROOT still exists and holds no ID is stale: a root that was a guess, or that gc cannot see
 * (a runtime inside rootlesskit's mount namespace), keeps its record.
 */

#define CONFIRMED "confirmed"

/**
 * rtrecord_format() - A record's text
 * @r:		the record
 * @buf:	filled
 * @len:	its size
 *
 * Return: 0, -ENAMETOOLONG if it does not fit, -EINVAL if a path holds a newline
 */
int rtrecord_format(const struct rtrecord *r, char *buf, size_t len)
{
	if (strchr(r->path, '\n') || strchr(r->root, '\n'))
		return -EINVAL;
	if ((size_t)snprintf(buf, len, "%s\n%s\n%s", r->path, r->root,
			     r->confirmed ? CONFIRMED "\n" : "") >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* The line at @text (up to @end) into @buf: where the next begins, or NULL if it is too long. */
static const char *take_line(const char *text, const char *end, char *buf, size_t size)
{
	const char *nl = memchr(text, '\n', (size_t)(end - text));
	size_t n = (size_t)((nl ? nl : end) - text);

	if (n >= size)
		return NULL;
	memcpy(buf, text, n);
	buf[n] = '\0';
	return nl ? nl + 1 : end;
}

/**
 * rtrecord_parse() - A record from its text; a record of one line (older wrappers) has no root
 * @text:	the file's bytes
 * @len:	their count
 * @ret:	filled
 *
 * Return: 0, -EINVAL if it is no record (empty, a NUL, a path not absolute, too long)
 */
int rtrecord_parse(const char *text, size_t len, struct rtrecord *ret)
{
	const char *p = text, *end = text + len;
	char word[sizeof(CONFIRMED) + 1] = "";

	memset(ret, 0, sizeof(*ret));
	if (!len || memchr(text, '\0', len))
		return -EINVAL;
	if (!(p = take_line(p, end, ret->path, sizeof(ret->path))) || ret->path[0] != '/')
		return -EINVAL;
	if (p < end && !(p = take_line(p, end, ret->root, sizeof(ret->root))))
		return -EINVAL;
	if (ret->root[0] && ret->root[0] != '/')
		return -EINVAL;
	if (p < end && !(p = take_line(p, end, word, sizeof(word))))
		return -EINVAL;
	ret->confirmed = p == end && !strcmp(word, CONFIRMED);
	return 0;
}

/**
 * rtrecord_lookup() - Whether the runtime's state root @root holds container @id
 * @root:	the state root
 * @id:		the container's id
 *
 * Return: 1 if it does, 0 if @root is there without it, negative errno if @root is not there
 */
int rtrecord_lookup(const char *root, const char *id)
{
	struct stat st;
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	ret = fstatat(fd, id, &st, AT_SYMLINK_NOFOLLOW) == 0 ? 1 : (errno == ENOENT ? 0 : -errno);
	close(fd);
	return ret;
}

/**
 * rtrecord_gc() - Remove record @name of the state root if its container is gone
 * @root_fd:	the state root
 * @name:	runtime@ID
 *
 * A record rewritten while gc looked (the same ID made again) is left: gc unlinks only the
 * file it read.
 *
 * Return: 1 if removed, 0 if kept, negative errno on failure
 */
int rtrecord_gc(int root_fd, const char *name)
{
	struct stat before, now;
	struct rtrecord r;
	char *text;
	size_t n;
	int fd, err;

	if (strncmp(name, RTRECORD_PREFIX, strlen(RTRECORD_PREFIX)))
		return 0;
	fd = openat(root_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	/* Gone, or not ours to judge (a symlink: the root is 0700, no one else's to plant). */
	if (fd < 0)
		return errno == ENOENT || errno == ELOOP ? 0 : -errno;
	err = fstat(fd, &before) < 0 ? -errno : 0;
	close(fd);
	if (err)
		return err;
	if ((err = file_read_small(root_fd, name, &text, &n)))
		return err == -ENOENT ? 0 : err;
	err = rtrecord_parse(text, n, &r);
	free(text);
	if (err || !r.confirmed || rtrecord_lookup(r.root, name + strlen(RTRECORD_PREFIX)) != 0)
		return 0;
	if (fstatat(root_fd, name, &now, AT_SYMLINK_NOFOLLOW) < 0 || now.st_ino != before.st_ino)
		return 0;
	return unlinkat(root_fd, name, 0) < 0 ? (errno == ENOENT ? 0 : -errno) : 1;
}
