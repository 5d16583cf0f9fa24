/* The one epoll loop every rootlet daemon runs on: fds, timers, signals, exit fd, busy-poll. */
#ifndef ROOTLET_EVLOOP_H
#define ROOTLET_EVLOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The object a timer (or any member) is embedded in. */
/*
 * What the running loop calls (its epoll set, signalfd reads, the busy-poll policy's CPU
 * count, closing what it watched): every daemon's seccomp allow-list names this, as it names
 * SECCOMP_ALLOW_LIBC, so a change to the loop is made here once (seccomp.h's SCMP_SYS).
 */
#define SECCOMP_ALLOW_EVLOOP                                                                       \
	SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_ctl),                          \
		SCMP_SYS(sched_getaffinity), SCMP_SYS(read), SCMP_SYS(close)

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

struct evloop;

/*
 * What a watched fd is: the function its readiness goes to and that function's object. Every
 * fd of every daemon is tagged this one way; a handler gets the loop, never the loop's table.
 */
typedef void (*evloop_fn)(struct evloop *l, void *obj, int fd, uint32_t events);

struct evloop_ref {
	evloop_fn fn; /* NULL: not ours (any more); its queued events are dropped */
	void *obj;
};

/* A timer, kept in the memory of whoever arms it. */
struct evloop_timer {
	int64_t expire_ms; /* on mono_ms()'s clock; -1: not armed */
	void (*fn)(struct evloop *l, struct evloop_timer *t);
	bool linked;
	struct evloop_timer *next;
};

/* A daemon's part of each round, around the wait; either may be NULL. */
struct evloop_hooks {
	/* Before sleeping: send what is queued; return the longest sleep allowed (ms), or -1. */
	int64_t (*prepare)(struct evloop *l, void *ctx);
	/* After the round's events; @interrupted: the wait was cut short by a signal. */
	void (*finish)(struct evloop *l, void *ctx, bool interrupted);
	void *ctx;
};

/* Busy-poll: the policy's state (evloop.c, "Busy-polling"). */
struct evloop_poll {
	unsigned us;		 /* --busy-poll; 0: never */
	bool turn;		 /* this round was a conversation's turn */
	bool open;		 /* a polling window is running ... */
	int64_t until_us;	 /* ... until then ... */
	bool got;		 /* ... and an event came in it */
	unsigned windows, hits;	 /* of the current sample */
	int64_t paused_until_us; /* polling did not pay: not before then */
	int64_t cpus_at_us;	 /* when the usable CPUs were last counted */
	bool cpus_many;		 /* more than one: a peer can run while we poll */
};

struct evloop {
	int epfd;
	int signal_fd;
	struct evloop_ref *refs; /* indexed by fd */
	int nrefs;
	struct evloop_timer *timers;
	struct evloop_hooks hooks;
	struct evloop_poll poll;
	bool quit;
};

int evloop_init(struct evloop *l, int exit_fd);
int evloop_watch(struct evloop *l, int fd, uint32_t events, evloop_fn fn, void *obj);
void evloop_unwatch(struct evloop *l, int fd);
void evloop_forget(struct evloop *l, int fd);
bool evloop_watched_by(const struct evloop *l, int fd, evloop_fn fn);
int evloop_quit_on(struct evloop *l, int fd);
void evloop_quit(struct evloop *l);

void evloop_timer_arm(struct evloop *l, struct evloop_timer *t, int64_t expire_ms);
void evloop_timer_disarm(struct evloop_timer *t);
void evloop_timer_remove(struct evloop *l, struct evloop_timer *t);

void evloop_busy_poll(struct evloop *l, unsigned us);
void evloop_turn(struct evloop *l);
bool evloop_polling_pays(struct evloop *l, int64_t now_us);

int evloop_run(struct evloop *l);
void evloop_free(struct evloop *l);

#endif
