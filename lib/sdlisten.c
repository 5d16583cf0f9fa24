/* systemd's socket activation (sd_listen_fds): LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PID. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "strfmt.h"
#include "sdlisten.h"

static int parse_count(const char *text)
{
	char *end;
	long v;

	if (!text)
		return 0;
	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || *end || end == text || v < 0 || v > INT_MAX - SDLISTEN_FDS_START)
		return 0;
	return (int)v;
}

/**
 * sdlisten_count() - How many sockets this process was handed, as sd_listen_fds() counts
 *
 * They are this process's only when LISTEN_PID names it: a variable inherited through a fork
 * that did not mean to pass them counts none.
 *
 * Return: the number of sockets, from SDLISTEN_FDS_START on; 0 if none
 */
int sdlisten_count(void)
{
	char *end;
	const char *pid = getenv("LISTEN_PID");
	long v;

	if (!pid)
		return 0;
	errno = 0;
	v = strtol(pid, &end, 10);
	if (errno || *end || v != (long)getpid())
		return 0;
	return parse_count(getenv("LISTEN_FDS"));
}

/* Name number @i of LISTEN_FDNAMES (colon-separated) into @buf; "" when there is none. */
static void name_of(int i, char *buf, size_t len)
{
	const char *p = getenv("LISTEN_FDNAMES");
	size_t n;

	buf[0] = '\0';
	for (; p && i > 0; i--)
		if ((p = strchr(p, ':')))
			p++;
	if (!p)
		return;
	n = strcspn(p, ":");
	/* A name too long for @buf is none: it must never match a shorter one. */
	if (str_fmt(buf, len, "%.*s", (int)n, p))
		buf[0] = '\0';
}

/**
 * sdlisten_find() - An inherited socket by its number or its LISTEN_FDNAMES name
 * @what:	"3", or a name such as "web"
 * @ret_fd:	the fd
 *
 * A number needs no activation: a socket can be passed by any parent on any fd.
 *
 * Return: 0, -ENOENT for a name no activated socket has, -EBADF for a number not open
 */
int sdlisten_find(const char *what, int *ret_fd)
{
	char name[NAME_MAX + 1], *end;
	int n = sdlisten_count();
	long v;

	errno = 0;
	v = strtol(what, &end, 10);
	if (*what && !*end && !errno) {
		if (v < 0 || v > INT_MAX || fcntl((int)v, F_GETFD) < 0)
			return -EBADF;
		*ret_fd = (int)v;
		return 0;
	}
	for (int i = 0; i < n; i++) {
		name_of(i, name, sizeof(name));
		if (!strcmp(name, what)) {
			*ret_fd = SDLISTEN_FDS_START + i;
			return 0;
		}
	}
	return -ENOENT;
}
