/* The one epoll loop every rootlet daemon runs on: fds, timers, signals, exit fd, busy-poll. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "array.h"
#include "evloop.h"
#include "monoclock.h"

/*
 * Theory of operation
 *
 * A round: the daemon's prepare hook sends what it queued and says how long it may sleep; the
 * loop sleeps in epoll_wait no longer than that, than its earliest timer, or (polling) not at
 * all; each ready fd goes to the function it was watched with; then the daemon's finish hook,
 * then expired timers. SIGTERM, SIGINT and SIGHUP arrive through a signalfd, and they, the exit
 * fd and any fd given to evloop_quit_on() end the loop at the end of their round.
 *
 * An fd about to be closed is forgotten first (evloop_forget(), or evloop_unwatch()): events
 * already fetched for it in this round are then dropped, not handed to a freed object.
 *
 * Busy-polling. On a virtual machine a sleeping thread's wake-up costs about as much as a
 * short request's whole turn, so after a round that was a conversation's turn (the daemon says
 * so with evloop_turn()) the loop looks again for --busy-poll microseconds before it sleeps.
 * That only pays when the peer whose answer we wait for runs on another CPU meanwhile. Polling
 * on the CPU the peer needs delays the peer by the whole window, and the tail latency of
 * everything on that CPU grows. So the loop polls only:
 *  - while this thread may run on more than one CPU (counted again every 10 ms: taskset,
 *    cgroup cpusets, a one-vCPU VM), and
 *  - while it pays: a window runs until --busy-poll microseconds after the last turn, and of
 *    each sample of POLL_SAMPLE windows at least one in POLL_HIT_SHARE must have seen an event
 *    before it ran out. Otherwise it pauses for POLL_PAUSE_US and tries again, so a machine
 *    that becomes idle again gets polling back.
 */

#define EVENTS_MAX     128
#define REFS_GROW      256
#define POLL_SAMPLE    32
#define POLL_HIT_SHARE 4
#define POLL_PAUSE_US  (1000 * 1000)
#define CPU_RECOUNT_US (10 * 1000)

static void quit_event(struct evloop *l, void *obj, int fd, uint32_t events)
{
	(void)obj;
	(void)fd;
	(void)events;
	l->quit = true;
}

static void signal_event(struct evloop *l, void *obj, int fd, uint32_t events)
{
	struct signalfd_siginfo si;

	(void)obj;
	(void)events;
	while (read(fd, &si, sizeof(si)) == sizeof(si))
		l->quit = true;
}

/**
 * evloop_watch() - Watch @fd for @events, or change what it is watched for
 * @l:		the loop
 * @fd:		the fd
 * @events:	epoll events
 * @fn:		where its readiness goes
 * @obj:	@fn's object
 *
 * An fd number closed behind the loop's back and now reused is registered anew.
 *
 * Return: 0 on success, negative errno
 */
int evloop_watch(struct evloop *l, int fd, uint32_t events, evloop_fn fn, void *obj)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };
	int first, err;

	if (fd < 0)
		return -EBADF;
	if ((err = array_grow((void **)&l->refs, &l->nrefs, fd, sizeof(*l->refs), REFS_GROW)))
		return err;
	/* Try first what the table says is likely; the kernel's answer settles it. */
	first = l->refs[fd].fn ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if (epoll_ctl(l->epfd, first, fd, &ev) < 0 &&
	    epoll_ctl(l->epfd, first == EPOLL_CTL_MOD ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev) <
		    0) {
		l->refs[fd].fn = NULL;
		return -errno;
	}
	l->refs[fd].fn = fn;
	l->refs[fd].obj = obj;
	return 0;
}

/**
 * evloop_unwatch() - Stop watching @fd, and drop its events already fetched
 * @l:		the loop
 * @fd:		the fd, or -1
 */
void evloop_unwatch(struct evloop *l, int fd)
{
	if (fd < 0)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	evloop_forget(l, fd);
}

/**
 * evloop_forget() - For an fd about to be closed (closing takes it out of the epoll set): drop
 * its events already fetched in this round
 * @l:		the loop
 * @fd:		the fd, or -1
 */
void evloop_forget(struct evloop *l, int fd)
{
	if (fd >= 0 && fd < l->nrefs)
		l->refs[fd].fn = NULL;
}

/**
 * evloop_watched_by() - Whether @fd is watched with @fn (and not, since, by someone else)
 * @l:		the loop
 * @fd:		the fd
 * @fn:		the handler
 *
 * Return: true if so
 */
bool evloop_watched_by(const struct evloop *l, int fd, evloop_fn fn)
{
	return fd >= 0 && fd < l->nrefs && l->refs[fd].fn == fn;
}

/**
 * evloop_quit_on() - End the loop when @fd becomes readable or hangs up (an exit fd, a pidfd)
 * @l:		the loop
 * @fd:		the fd
 *
 * Return: 0 on success, negative errno
 */
int evloop_quit_on(struct evloop *l, int fd)
{
	return evloop_watch(l, fd, EPOLLIN | EPOLLHUP, quit_event, NULL);
}

/**
 * evloop_quit() - End the loop at the end of this round
 * @l:		the loop
 */
void evloop_quit(struct evloop *l)
{
	l->quit = true;
}

/**
 * evloop_init() - The epoll set, with SIGTERM/SIGINT/SIGHUP (blocked, so threads started later
 * keep them blocked too) and the exit fd in it
 * @l:		the loop, zeroed by the caller
 * @exit_fd:	end when it hangs up or is written to; -1 for none
 *
 * Return: 0 on success, negative errno
 */
int evloop_init(struct evloop *l, int exit_fd)
{
	sigset_t mask;
	int err;

	l->signal_fd = -1;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return -errno;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if ((err = pthread_sigmask(SIG_BLOCK, &mask, NULL)))
		return -err;
	signal(SIGPIPE, SIG_IGN);
	l->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (l->signal_fd < 0)
		return -errno;
	if ((err = evloop_watch(l, l->signal_fd, EPOLLIN, signal_event, NULL)))
		return err;
	if (exit_fd >= 0)
		return evloop_quit_on(l, exit_fd);
	return 0;
}

/**
 * evloop_timer_arm() - Call @t->fn at @expire_ms, once
 * @l:		the loop
 * @t:		the timer, its fn set
 * @expire_ms:	on mono_ms()'s clock
 */
void evloop_timer_arm(struct evloop *l, struct evloop_timer *t, int64_t expire_ms)
{
	if (!t->linked) {
		t->next = l->timers;
		l->timers = t;
		t->linked = true;
	}
	t->expire_ms = expire_ms;
}

/**
 * evloop_timer_disarm() - Keep @t from firing until armed again
 * @t:		the timer
 */
void evloop_timer_disarm(struct evloop_timer *t)
{
	t->expire_ms = -1;
}

/**
 * evloop_timer_remove() - Forget @t, so that its memory can go
 * @l:		the loop
 * @t:		the timer
 */
void evloop_timer_remove(struct evloop *l, struct evloop_timer *t)
{
	for (struct evloop_timer **p = &l->timers; *p; p = &(*p)->next) {
		if (*p == t) {
			*p = t->next;
			break;
		}
	}
	t->linked = false;
	t->expire_ms = -1;
}

static void run_timers(struct evloop *l, int64_t now)
{
	bool again = true;

	/* A timer's function may remove or arm timers: scan anew after each one. */
	while (again) {
		again = false;
		for (struct evloop_timer *t = l->timers; t; t = t->next) {
			if (t->expire_ms < 0 || t->expire_ms > now)
				continue;
			t->expire_ms = -1;
			t->fn(l, t);
			again = true;
			break;
		}
	}
}

static int next_timeout(struct evloop *l, int64_t hook_ms, int64_t now)
{
	int64_t timeout = hook_ms;

	for (struct evloop_timer *t = l->timers; t; t = t->next) {
		int64_t until;

		if (t->expire_ms < 0)
			continue;
		until = t->expire_ms > now ? t->expire_ms - now : 0;
		if (timeout < 0 || until < timeout)
			timeout = until;
	}
	return timeout > INT32_MAX ? INT32_MAX : (int)timeout;
}

/**
 * evloop_busy_poll() - Poll this long after a conversation's turn before sleeping
 * @l:		the loop
 * @us:		microseconds; 0: never
 */
void evloop_busy_poll(struct evloop *l, unsigned us)
{
	l->poll.us = us;
}

/**
 * evloop_turn() - Say that this round was a conversation's turn: its next message is likely
 * soon, so the loop may poll for it before sleeping
 * @l:		the loop
 */
void evloop_turn(struct evloop *l)
{
	l->poll.turn = true;
}

static bool cpus_many(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return true; /* not knowing is no reason to change what worked */
	return CPU_COUNT(&set) > 1;
}

/**
 * evloop_polling_pays() - The busy-poll policy: may the loop poll after this turn?
 * @l:		the loop
 * @now_us:	mono_us()
 *
 * Return: true if so
 */
bool evloop_polling_pays(struct evloop *l, int64_t now_us)
{
	struct evloop_poll *p = &l->poll;

	if (!p->us || now_us < p->paused_until_us)
		return false;
	if (!p->cpus_at_us || now_us - p->cpus_at_us >= CPU_RECOUNT_US) {
		p->cpus_many = cpus_many();
		p->cpus_at_us = now_us;
	}
	if (!p->cpus_many)
		return false;
	if (p->windows >= POLL_SAMPLE) {
		bool paid = p->hits * POLL_HIT_SHARE >= p->windows;

		p->windows = p->hits = 0;
		if (!paid) {
			p->paused_until_us = now_us + POLL_PAUSE_US;
			return false;
		}
	}
	return true;
}

/*
 * A polling window runs from a turn until --busy-poll microseconds after the last turn; it
 * paid (a hit) if any event came while it ran.
 */
static void poll_account(struct evloop_poll *p, int n)
{
	if (p->open && n > 0)
		p->got = true;
}

static void poll_window(struct evloop *l, int64_t now_us)
{
	struct evloop_poll *p = &l->poll;
	bool expired = p->open && now_us >= p->until_us;

	if (p->open && (l->poll.turn || expired)) {
		p->windows++;
		p->hits += p->got;
		p->open = false;
	}
	if (p->turn && evloop_polling_pays(l, now_us)) {
		p->open = true;
		p->got = false;
		p->until_us = now_us + p->us;
	}
	p->turn = false;
}

/**
 * evloop_run() - Run rounds until something ends the loop
 * @l:		the loop
 *
 * Return: 0 on a requested end, negative errno on failure
 */
int evloop_run(struct evloop *l)
{
	struct epoll_event events[EVENTS_MAX];

	while (!l->quit) {
		int64_t hook_ms = l->hooks.prepare ? l->hooks.prepare(l, l->hooks.ctx) : -1;
		bool interrupted = false;
		int n;

		n = epoll_wait(l->epfd, events, EVENTS_MAX,
			       l->poll.open ? 0 : next_timeout(l, hook_ms, mono_ms()));
		if (n < 0) {
			if (errno != EINTR)
				return -errno;
			interrupted = true;
			n = 0;
		}
		poll_account(&l->poll, n);
		for (int i = 0; i < n; i++) {
			int fd = events[i].data.fd;

			if (fd < l->nrefs && l->refs[fd].fn)
				l->refs[fd].fn(l, l->refs[fd].obj, fd, events[i].events);
		}
		if (l->hooks.finish)
			l->hooks.finish(l, l->hooks.ctx, interrupted);
		run_timers(l, mono_ms());
		poll_window(l, mono_us());
	}
	return 0;
}

/**
 * evloop_free() - Close the epoll set and the signalfd; timers stay their owners'
 * @l:		the loop
 */
void evloop_free(struct evloop *l)
{
	free(l->refs);
	l->refs = NULL;
	l->nrefs = 0;
	if (l->epfd >= 0)
		close(l->epfd);
	if (l->signal_fd >= 0)
		close(l->signal_fd);
	l->epfd = l->signal_fd = -1;
}
