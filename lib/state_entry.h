/* A netns entry opened by name: the one way a helper goes from --netns NAME to its files. */
#ifndef ROOTLET_STATE_ENTRY_H
#define ROOTLET_STATE_ENTRY_H

#include <limits.h>

#include "statedir.h"

struct err;

/* What a helper knows of the entry it was named: where it is, and (once opened) its fd. */
struct state_entry {
	char root[PATH_MAX];	 /* the state root it is in */
	struct state_paths path; /* its directory and files */
	int dir_fd;		 /* its directory, opened without following a symlink; or -1 */
};

int state_entry_find(const char *name, struct state_entry *ret, struct err *e);
int state_entry_open(const char *name, struct state_entry *ret, struct err *e);
void state_entry_close(struct state_entry *entry);

#endif
