/* The record rootlet-runtime keeps of the runtime that made a container, and gc of stale ones. */
#ifndef ROOTLET_RTRECORD_H
#define ROOTLET_RTRECORD_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "pidfile.h"

#define RTRECORD_PREFIX	    "runtime@"
#define RTRECORD_TEXT_EXTRA (PIDFILE_TEXT_MAX + 16) /* beyond the two paths: a word, a pid */

/* One record: the runtime's path, the state root it keeps the container in, if known. */
struct rtrecord {
	char path[PATH_MAX];
	char root[PATH_MAX];   /* "" when not known */
	bool confirmed;	       /* a later verb saw root/ID: gc may trust root */
	struct pidfile holder; /* pid 0: root is seen as gc sees it; else through this process's
				  mount namespace (rootlesskit's child), gone with it */
};

int rtrecord_format(const struct rtrecord *r, char *buf, size_t len);
int rtrecord_parse(const char *text, size_t len, struct rtrecord *ret);
int rtrecord_lookup(const char *root, const char *id);
int rtrecord_gc(int root_fd, const char *name);

#endif
