/* rootlet-bypass --host: its end. Idle (--idle-exit), the engine's end (--engine-pid), and
 * its names removed. */
#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "bypass.h"
#include "lock.h"
#include "log.h"
#include "monoclock.h"

#define IDLE_RETRY_MS 1000 /* a runtime wrapper holds the lock: look again this late */
#define MS_PER_S      1000
#define ENGINE_END_MS 1000 /* the engine ended: idle this long ends us */

/**
 * host_unlink() - --host: its socket, API and pid file go with it (not a standby's end, nor
 * a start that found another daemon serving)
 * @st:		the daemon
 */
void host_unlink(struct bp_state *st)
{
	const struct bp_cfg *cfg = st->host_cfg;

	if (!cfg || st->standby || st->state_fd < 0)
		return;
	unlinkat(st->state_fd, cfg->host_pid, 0);
	unlinkat(st->state_fd, cfg->host_name, 0);
	unlinkat(st->state_fd, cfg->host_api, 0);
	st->host_cfg = NULL;
}

/*
 * Idle: its names go first, under the lock a runtime wrapper holds from finding it live until
 * its runtime has handed the listener over; so no wrapper counts on a daemon that is ending.
 */
static void idle_expire(struct evloop *l, struct evloop_timer *t)
{
	struct bp_state *st = container_of(t, struct bp_state, idle);
	int lock, err;

	if (st->notifiers)
		return;
	err = lock_at(st->state_fd, st->host_cfg->host_lock, false, &lock);
	if (err == -EWOULDBLOCK) {
		evloop_timer_arm(l, t, mono_ms() + IDLE_RETRY_MS);
		return;
	}
	/* No lock to be had otherwise (its directory removed): no wrapper can count on us. */
	host_unlink(st);
	if (!err)
		close(lock);
	log_info("no container for %lld s: exiting", (long long)(st->idle_exit_ms / MS_PER_S));
	evloop_quit(l);
}

/**
 * host_idle_update() - --idle-exit: the countdown runs while no container is served
 * @st:		the daemon
 */
void host_idle_update(struct bp_state *st)
{
	if (!st->host || !st->idle_exit_ms || st->standby)
		return;
	st->idle.fn = idle_expire;
	if (!st->notifiers)
		evloop_timer_arm(&st->ev, &st->idle, mono_ms() + st->idle_exit_ms);
	else
		evloop_timer_disarm(&st->idle);
}

/* The engine ended: once no container of it is served, the daemon ends (host_idle_update()). */
static void engine_gone(struct evloop *l, void *obj, int fd, uint32_t events)
{
	struct bp_state *st = obj;

	(void)events;
	evloop_unwatch(l, fd);
	log_info("the engine (pid %d) ended: exiting once no container is served",
		 (int)st->host_cfg->engine_pid);
	if (!st->idle_exit_ms || st->idle_exit_ms > ENGINE_END_MS)
		st->idle_exit_ms = ENGINE_END_MS;
	host_idle_update(st);
}

/**
 * host_engine_watch() - --engine-pid: await the engine's end (the active, and a standby taking
 * over, its loop a new one)
 * @st:		the daemon
 *
 * Return: 0 on success (or no engine), negative errno
 */
int host_engine_watch(struct bp_state *st)
{
	if (!st->host || st->engine_pidfd < 0)
		return 0;
	return evloop_watch(&st->ev, st->engine_pidfd, EPOLLIN | EPOLLHUP, engine_gone, st);
}
