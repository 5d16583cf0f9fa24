/* The protocol between rootlet-netns add and the holder it starts. */
#ifndef ROOTLET_HOLDER_H
#define ROOTLET_HOLDER_H

#include <stdint.h>

#define HOLDER_BINARY "rootlet-netns-holder"

/*
 * The holder reports on this fd (one end of a socketpair; add holds the other), then waits on
 * it for HOLDER_COMMIT, which add sends once the entry is complete. End of file instead means
 * add died half-way: the holder releases what it owns and exits, and its helpers with it.
 */
#define HOLDER_REPORT_FD 3
#define HOLDER_COMMIT	 'c'

/* Messages are one int32 each: these two, or a negative errno on failure. */
#define HOLDER_MSG_READY    0 /* namespaces made, capabilities dropped, waiting for SIGTERM */
#define HOLDER_MSG_UNSHARED 1 /* namespaces made (a new userns: the parent may map it now) */

typedef int32_t holder_msg_t;

#endif
