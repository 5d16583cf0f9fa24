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
 * gone. The record's text is four lines: the runtime's path; the state root the runtime keeps
 * the container under (its --root, or its default for the user); "confirmed" once a later verb
 * through the wrapper found ROOT/ID, proving the root right (else "guess"); and, for a runtime
 * inside rootlesskit (rootless Docker, containerd), "PID START" of rootlesskit's child, whose
 * mount namespace ROOT is a path of (else "-"). gc looks at ROOT through /proc/PID/root there;
 * with that process gone, its engine and mount namespace are gone, and no delete through it can
 * come. Only a confirmed record is judged, and only "the root is there without the container"
 * or "the holder is gone" makes it stale: a root gc cannot see keeps its record.
 */

#define CONFIRMED "confirmed"
#define GUESS	  "guess"
#define NO_HOLDER "-"
#define PROC_ROOT "/proc/%d/root%s"

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
	char holder[PIDFILE_TEXT_MAX] = NO_HOLDER;

	if (strchr(r->path, '\n') || strchr(r->root, '\n'))
		return -EINVAL;
	if (r->holder.pid > 0)
		snprintf(holder, sizeof(holder), "%d %llu", (int)r->holder.pid, r->holder.start);
	if ((size_t)snprintf(buf, len, "%s\n%s\n%s\n%s\n", r->path, r->root,
			     r->confirmed ? CONFIRMED : GUESS, holder) >= len)
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
	char word[sizeof(CONFIRMED) + 1] = "", holder[PIDFILE_TEXT_MAX] = NO_HOLDER;

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
	if (p < end && !(p = take_line(p, end, holder, sizeof(holder) - 1)))
		return -EINVAL;
	if (strcmp(holder, NO_HOLDER)) {
		strcat(holder, "\n"); /* a pid file's text */
		if (pidfile_parse(holder, &ret->holder))
			return -EINVAL;
	}
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

/* Whether the container of record @r is gone: its holder's end, or its root without it. */
static bool container_gone(const struct rtrecord *r, const char *id)
{
	char root[PATH_MAX + sizeof(PROC_ROOT) + PIDFILE_TEXT_MAX];
	int live;

	if (r->holder.pid <= 0)
		return rtrecord_lookup(r->root, id) == 0;
	if ((live = pidfile_live(&r->holder)) <= 0)
		return live == 0;
	snprintf(root, sizeof(root), PROC_ROOT, (int)r->holder.pid, r->root);
	/* Looked at while it ran: a pid reused since would have shown another's root. */
	return rtrecord_lookup(root, id) == 0 && pidfile_live(&r->holder) == 1;
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
	if (err || !r.confirmed || !container_gone(&r, name + strlen(RTRECORD_PREFIX)))
		return 0;
	if (fstatat(root_fd, name, &now, AT_SYMLINK_NOFOLLOW) < 0 || now.st_ino != before.st_ino)
		return 0;
	return unlinkat(root_fd, name, 0) < 0 ? (errno == ENOENT ? 0 : -errno) : 1;
}
