/* rootlet-bypass: one listener fd's record, shared by notify.c (its calls) and notifier.c (its
 * stuck reader, its end). */
#ifndef ROOTLET_BYPASS_NOTIFIER_H
#define ROOTLET_BYPASS_NOTIFIER_H

#include "bypass.h"

/* A call whose read (or fd copy) is under way off the loop (at most one a listener), and where
 * it stopped. */
struct bp_held {
	int sock;     /* the reader's socket, the read's until it answers; -1: none held */
	uint32_t seq; /* its request's number */
	bool pidfd;   /* a copy of the caller's socket was asked for too */
	int attempt;  /* fetch()'s: 1 with a fresh pidfd */
	struct seccomp_notif req;
	struct bp_call c;
	struct evloop_timer timer; /* BP_READ_TIMEOUT_MS after the request */
};

struct bp_notifier {
	int fd;
	int pid;	       /* the process that handed it to us, for the log */
	struct bp_policy *pol; /* --host: the container's own (host.c), else NULL: st->pol */
	int stuck_fd;	       /* the reader its last read left stuck (reader.c), or -1 */
	int waiting;	       /* its blocking connect()s waiting in the loop (connect.c) */
	struct bp_held held;
	struct bp_state *st;
	struct bp_notifier *next;
};

void notifier_drop(struct bp_state *st, struct bp_notifier *n);
void notifier_stuck(struct bp_state *st, struct bp_notifier *n);
void fetched_drop(struct bp_state *st);

#endif
