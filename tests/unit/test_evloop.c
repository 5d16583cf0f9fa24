/* Unit tests of lib/evloop: dispatch, forgetting, timers, signals, exit fd, busy-poll policy. */
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "evloop.h"
#include "monoclock.h"
#include "unit.h"

/* A test that hangs is killed by SIGALRM: the runner counts a killed binary as failed. */
#define HANG_SECONDS 10

struct seen {
	int calls;
	int fd;
	void *obj;
	uint32_t events;
	int other_fd; /* forget this one when called */
};

static void record(struct evloop *l, void *obj, int fd, uint32_t events)
{
	struct seen *s = obj;

	s->calls++;
	s->fd = fd;
	s->obj = obj;
	s->events = events;
	if (s->other_fd >= 0)
		evloop_forget(l, s->other_fd);
	evloop_quit(l);
}

static void loop_new(struct evloop *l, int exit_fd)
{
	*l = (struct evloop){ .epfd = -1, .signal_fd = -1 };
	alarm(HANG_SECONDS);
	if (evloop_init(l, exit_fd))
		abort();
}

/* Readiness reaches the function and object the fd was watched with. */
TEST(readiness_goes_to_its_handler)
{
	struct seen s = { .other_fd = -1 };
	struct evloop l;
	int p[2];

	CHECK(pipe(p) == 0);
	loop_new(&l, -1);
	CHECK(evloop_watch(&l, p[0], EPOLLIN, record, &s) == 0);
	CHECK(evloop_watched_by(&l, p[0], record));
	CHECK(write(p[1], "x", 1) == 1);
	CHECK(evloop_run(&l) == 0);
	CHECK(s.calls == 1 && s.fd == p[0] && s.obj == &s && (s.events & EPOLLIN));
	evloop_unwatch(&l, p[0]);
	CHECK(!evloop_watched_by(&l, p[0], record));
	evloop_free(&l);
	close(p[0]);
	close(p[1]);
}

/* Two readable fds; whichever handler runs first forgets the other: it is not called. */
TEST(forgotten_fd_gets_no_queued_event)
{
	struct seen a = { 0 }, b = { 0 };
	struct evloop l;
	int p[2], q[2];

	CHECK(pipe(p) == 0 && pipe(q) == 0);
	a.other_fd = q[0];
	b.other_fd = p[0];
	loop_new(&l, -1);
	CHECK(evloop_watch(&l, p[0], EPOLLIN, record, &a) == 0);
	CHECK(evloop_watch(&l, q[0], EPOLLIN, record, &b) == 0);
	CHECK(write(p[1], "x", 1) == 1 && write(q[1], "x", 1) == 1);
	CHECK(evloop_run(&l) == 0);
	CHECK(a.calls + b.calls == 1);
	evloop_free(&l);
	for (int i = 0; i < 2; i++) {
		close(p[i]);
		close(q[i]);
	}
}

/* Watching an fd again changes its events and handler, with no error for the second add. */
TEST(watching_again_modifies)
{
	struct seen s = { .other_fd = -1 };
	struct evloop l;
	int p[2];

	CHECK(pipe(p) == 0);
	loop_new(&l, -1);
	CHECK(evloop_watch(&l, p[1], EPOLLIN, record, NULL) == 0);
	CHECK(evloop_watch(&l, p[1], EPOLLOUT, record, &s) == 0);
	CHECK(evloop_run(&l) == 0);
	CHECK(s.calls == 1 && (s.events & EPOLLOUT));
	CHECK(evloop_watch(&l, -1, EPOLLIN, record, &s) == -EBADF);
	evloop_free(&l);
	close(p[0]);
	close(p[1]);
}

/* The exit fd's hang-up ends the loop, as podman's and rootlesskit's exit fds do. */
TEST(exit_fd_hangup_ends_the_loop)
{
	struct evloop l;
	int p[2];

	CHECK(pipe(p) == 0);
	loop_new(&l, p[0]);
	close(p[1]);
	CHECK(evloop_run(&l) == 0);
	CHECK(l.quit);
	evloop_free(&l);
	close(p[0]);
}

/* SIGTERM arrives through the loop's signalfd and ends it; the process is not killed. */
TEST(sigterm_ends_the_loop)
{
	struct evloop l;

	loop_new(&l, -1);
	CHECK(raise(SIGTERM) == 0);
	CHECK(evloop_run(&l) == 0);
	CHECK(l.quit);
	evloop_free(&l);
}

struct order {
	int ids[3];
	int n;
};

struct tagged_timer {
	struct evloop_timer t;
	int id;
	struct order *order;
};

static void fired(struct evloop *l, struct evloop_timer *t)
{
	struct tagged_timer *tt = container_of(t, struct tagged_timer, t);

	tt->order->ids[tt->order->n++] = tt->id;
	if (tt->id == 2)
		evloop_quit(l);
}

/* Timers fire once, in the order of their expiry; a removed one never. */
TEST(timers_fire_in_order)
{
	struct order o = { 0 };
	struct tagged_timer first = { { .fn = fired }, 1, &o }, second = { { .fn = fired }, 2, &o },
			    removed = { { .fn = fired }, 3, &o };
	struct evloop l;
	int64_t t0 = mono_ms();

	loop_new(&l, -1);
	evloop_timer_arm(&l, &second.t, t0 + 30);
	evloop_timer_arm(&l, &first.t, t0 + 10);
	evloop_timer_arm(&l, &removed.t, t0 + 20);
	evloop_timer_remove(&l, &removed.t);
	CHECK(evloop_run(&l) == 0);
	CHECK(o.n == 2 && o.ids[0] == 1 && o.ids[1] == 2);
	CHECK(mono_ms() - t0 >= 30);
	CHECK(first.t.expire_ms == -1 && second.t.expire_ms == -1);
	evloop_free(&l);
}

struct rounds {
	int prepared, finished;
};

static int64_t prepare_10ms(struct evloop *l, void *ctx)
{
	(void)l;
	((struct rounds *)ctx)->prepared++;
	return 10;
}

static void finish_after_3(struct evloop *l, void *ctx, bool interrupted)
{
	struct rounds *r = ctx;

	(void)interrupted;
	if (++r->finished == 3)
		evloop_quit(l);
}

/* The prepare hook's timeout bounds the sleep; both hooks run once a round. */
TEST(hooks_run_each_round)
{
	struct rounds r = { 0 };
	struct evloop l;

	loop_new(&l, -1);
	l.hooks = (struct evloop_hooks){ .prepare = prepare_10ms,
					 .finish = finish_after_3,
					 .ctx = &r };
	CHECK(evloop_run(&l) == 0);
	CHECK(r.prepared == 3 && r.finished == 3);
	evloop_free(&l);
}

/* Busy-polling: never on one CPU; on more, until a sample of windows shows no gain. */
TEST(busy_poll_policy)
{
	cpu_set_t all, one;
	struct evloop l;
	int64_t now = mono_us();

	loop_new(&l, -1);
	CHECK(!evloop_polling_pays(&l, now)); /* --busy-poll 0 */
	evloop_busy_poll(&l, 50);
	CHECK(sched_getaffinity(0, sizeof(all), &all) == 0);
	CPU_ZERO(&one);
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &all)) {
			CPU_SET(c, &one);
			break;
		}
	CHECK(sched_setaffinity(0, sizeof(one), &one) == 0);
	CHECK(!evloop_polling_pays(&l, now));
	/* Counted again only after 10 ms: still one CPU at now + 5 ms. */
	CHECK(sched_setaffinity(0, sizeof(all), &all) == 0);
	CHECK(!evloop_polling_pays(&l, now + 5 * 1000));
	if (CPU_COUNT(&all) > 1) {
		now += 20 * 1000;
		CHECK(evloop_polling_pays(&l, now));
		/* A sample of windows that all ran out: polling pauses, then comes back. */
		l.poll.windows = 32;
		l.poll.hits = 0;
		CHECK(!evloop_polling_pays(&l, now));
		CHECK(!evloop_polling_pays(&l, now + 500 * 1000));
		CHECK(evloop_polling_pays(&l, now + 1100 * 1000));
		/* One hit in four windows is enough. */
		l.poll.windows = 32;
		l.poll.hits = 8;
		CHECK(evloop_polling_pays(&l, now + 1200 * 1000));
	} else {
		printf("# busy_poll_policy: one CPU here; the many-CPU half is not exercised\n");
	}
	evloop_free(&l);
}

UNIT_MAIN("evloop", T(readiness_goes_to_its_handler), T(forgotten_fd_gets_no_queued_event),
	  T(watching_again_modifies), T(exit_fd_hangup_ends_the_loop), T(sigterm_ends_the_loop),
	  T(timers_fire_in_order), T(hooks_run_each_round), T(busy_poll_policy))
