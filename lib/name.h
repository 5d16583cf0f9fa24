/* Validation of netns names before they touch a path. */
#ifndef ROOTLET_NAME_H
#define ROOTLET_NAME_H

#include <stddef.h>

/* The same rule runc uses for container ids, with its 1024 cut to what a path component wants. */
#define NAME_MAX_LEN 64

/* A refused name quoted for a one-line message: at most this many bytes of it, escaped. */
#define NAME_QUOTE_MAX 80

struct err;
int name_check(const char *name, struct err *e);
void name_quote(const char *name, char *buf, size_t len);

#endif
