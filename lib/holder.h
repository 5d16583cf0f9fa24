/* The holder of a rootless netns: its protocol, and starting one (rootlet-netns, rootlet-network).
 */
#ifndef ROOTLET_HOLDER_H
#define ROOTLET_HOLDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

#define HOLDER_BINARY "rootlet-netns-holder"

/*
 * The holder reports on this fd (one end of a socketpair; its starter holds the other), then
 * waits on it for HOLDER_COMMIT, which the starter sends once the entry is complete. End of
 * file instead means the starter died half-way: the holder releases what it owns and exits, and
 * its helpers with it.
 */
#define HOLDER_REPORT_FD 3
#define HOLDER_COMMIT	 'c'
/* A pidfd of the process the netns belongs to (add --owner), if any: the holder ends with it. */
#define HOLDER_OWNER_FD 4

/* Messages are one int32 each: these two, or a negative errno on failure. */
#define HOLDER_MSG_READY    0 /* namespaces made, capabilities dropped, waiting for SIGTERM */
#define HOLDER_MSG_UNSHARED 1 /* namespaces made (a new userns: the parent may map it now) */

typedef int32_t holder_msg_t;

struct usermap;
typedef int (*holder_unshared_fn)(void *arg, pid_t holder);

/* What holder_spawn() makes and for which entry. */
struct holder_opts {
	const char *root; /* the state root and the entry's (final) name: the holder's argv */
	const char *name;
	int userns_fd;		     /* a user namespace to join, or -1: a new one, ... */
	bool child;		     /* with userns_fd: a new one below it, mapped 1:1 */
	const struct usermap *map;   /* ... mapped with this */
	holder_unshared_fn unshared; /* called once its namespaces exist (before a new one's
					maps), or NULL */
	void *arg;		     /* for @unshared */
	bool owned;		     /* owner_pidfd is the owner's: the holder ends with it */
	int owner_pidfd;
};

int holder_spawn(const struct holder_opts *o, pid_t *ret_pid, int *ret_commit_fd, struct err *e);

/* What holder_entry_start() makes: the holder of an entry being built (holder_entry.c). */
struct state_owner;
struct holder_entry_opts {
	const char *root; /* the state root and the entry's (final) name */
	const char *name;
	int userns_fd; /* a user namespace to join, or -1: a new one, mapped for us */
	bool child;    /* with userns_fd: a user namespace of its own below that one */
	const struct state_owner *owner; /* the process it ends with (pid + start time), or NULL */
	holder_unshared_fn unshared;	 /* as holder_opts' */
	void *arg;
};

struct netns_state;
struct usermap_diag;
int holder_entry_start(const struct holder_entry_opts *o, struct netns_state *st,
		       int *ret_commit_fd, char *warning, size_t warning_len, struct err *e);
void holder_map_warning(const struct usermap_diag *diag, char *buf, size_t len);
int holder_ready(int commit_fd);
int holder_commit(int commit_fd);

#endif
