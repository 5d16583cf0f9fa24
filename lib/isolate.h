/* A daemon's isolation in stages: capabilities here; the filesystem (sandbox.h), syscalls. */
#ifndef ROOTLET_ISOLATE_H
#define ROOTLET_ISOLATE_H

#include <stdbool.h>
#include <stddef.h>

struct err;

/*
 * Every rootlet daemon goes through the same stages, in this order, each in its own isolate.c
 * (slirp/isolate.c, portfwd/isolate.c; the holder's is netns/holder.c's holder_isolate()):
 *
 *  initial   as started: isolate_undumpable() first, then resources raised while they still
 *            can be (open-files limit)
 *  user      the user namespace the work is done in, joined while there is one thread
 *  paths     every path the daemon will ever use, opened (sockets bound, pid file written)
 *  fs        sandbox_root(): a mount namespace with an empty read-only root
 *  caps      isolate_caps(): every capability gone but the ones named; no_new_privs
 *  syscalls  seccomp_allow(): the daemon's own allow-list, in every thread
 *
 * Ready is written only after the last stage, so nothing a client sends meets a daemon that is
 * not yet isolated.
 */
void isolate_undumpable(void);
int isolate_caps(const int *keep, size_t n_keep, bool bounding, struct err *e);

#endif
