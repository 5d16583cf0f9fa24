/* The standby: a forked copy of the supervisor that holds every listener fd, and takes over. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "apiserver.h"
#include "bypass.h"
#include "log.h"
#include "monoclock.h"
#include "pidfile.h"
#include "state.h"

/*
 * Theory of operation
 *
 * The kernel fails a hooked call with ENOSYS once no process holds its filter's listener fd,
 * and nothing can ever attach to that filter again: a supervisor killed would cut its callers
 * off for good. So every listener fd is held by two processes, the supervisor (the active) and
 * a standby: a fork of it, made once it is sandboxed (no exec, and no way to one: it has the
 * configuration, the fds and the sandbox already). The standby serves nothing: its own loop
 * watches a socketpair to the active, the holder, the exit fd, signals, and each listener fd
 * for its hang-up alone. Each listener fd the active takes is sent to it on the socketpair
 * (standby_link.c).
 *
 *  - The active killed: the socketpair hangs up with no goodbye. Hooked calls wait meanwhile
 *    (the standby holds the listeners). The standby takes over: bypass.pid names it, it serves
 *    the listeners, bypass.sock and the API, and forks a standby of its own.
 *  - The standby killed: the active forks a new one (not sooner than BP_STANDBY_RETRY_MS after
 *    the last, so that one dying at once is not forked in a loop).
 *  - A clean end (SIGTERM, as del sends both; the exit fd; the holder's end) says goodbye on
 *    the socketpair first, and the other ends too instead of taking over.
 *
 * What a kill loses: its counters since the fork. The notifications the killed one had
 * received and not answered (the kernel counts them as delivered), and the blocking connect()s
 * it was waiting for, are in the table it shared with us (inflight.c): handled again here, once
 * serving, so that no caller waits for an answer nobody will give.
 */

static void peer_event(struct evloop *l, void *obj, int fd, uint32_t events);

static void peer_close(struct bp_state *st)
{
	if (st->peer_fd < 0)
		return;
	evloop_unwatch(&st->ev, st->peer_fd);
	close(st->peer_fd);
	st->peer_fd = -1;
}

/* In the forked copy: a loop of its own, and nothing of the active's but what it must hold. */
static int become_standby(struct bp_state *st, int peer)
{
	struct bp_inflight *inflight;
	int err;

	st->standby = true;
	for (int i = 0; i < 2; i++)
		if (st->inherited[i] >= 0) {
			close(st->inherited[i]);
			st->inherited[i] = -1;
		}
	/*
	 * The epoll set is the active's (fork shares it): closed here without a change to it, and
	 * a new one made. Its fds' events already fetched are dropped with the old table.
	 */
	listener_clients_close(st);
	evloop_free(&st->ev);
	memset(&st->ev, 0, sizeof(st->ev));
	st->ev.epfd = st->ev.signal_fd = -1;
	if ((err = evloop_init(&st->ev, st->exit_fd)) ||
	    (st->holder_pidfd >= 0 && (err = evloop_quit_on(&st->ev, st->holder_pidfd))))
		return err;
	evloop_busy_poll(&st->ev, BP_BUSY_POLL_US);
	/*
	 * The active's: its connect()s under way, its clients, its twins made ahead. Their
	 * records in the shared table stay: the active still answers them.
	 */
	inflight = st->inflight;
	st->inflight = NULL;
	pending_free_all(st);
	st->inflight = inflight;
	apiserver_pause(st->api);
	twin_pool_free(st);
	/* The active's reader, and the ones it abandoned: each must see the active's end alone. */
	reader_free(st);
	notifier_stuck_forget(st);
	st->refork.expire_ms = -1;
	st->refork.linked = false;
	st->idle.expire_ms = -1;
	st->idle.linked = false;
	st->sweep.expire_ms = -1;
	st->sweep.linked = false;
	st->peer_fd = peer;
	if ((err = evloop_watch(&st->ev, peer, EPOLLIN, peer_event, st)))
		return err;
	return notifier_watch_all(st);
}

/* The active is gone without a goodbye: serve everything it served, with a standby. */
static void take_over(struct bp_state *st)
{
	int err;

	peer_close(st);
	st->standby = false;
	if ((err = pidfile_write_at(st->state_fd, st->pidfile, getpid(), st->proc_fd)))
		log_warn("%s: %s", st->pidfile, strerror(-err));
	unlinkat(st->state_fd, st->standby_pidfile, 0);
	if ((err = notifier_watch_all(st)) || (err = listener_watch(st)) ||
	    (err = apiserver_resume(st->api)) || (err = host_engine_watch(st))) {
		log_error("taking over: %s", strerror(-err));
		evloop_quit(&st->ev);
		return;
	}
	twin_pool_refill(st);
	host_idle_update(st);
	log_warn("the supervisor was killed: its standby (pid %d) serves now", (int)getpid());
	notifier_replay(st);
	if ((err = standby_start(st)))
		log_warn("no standby: %s", strerror(-err));
}

static void refork(struct evloop *l, struct evloop_timer *t)
{
	struct bp_state *st = container_of(t, struct bp_state, refork);
	int err;

	(void)l;
	if (st->peer_fd < 0 && !st->standby && (err = standby_start(st)))
		log_warn("no standby: %s", strerror(-err));
}

/* The standby is gone without a goodbye: another, soon. */
static void standby_lost(struct bp_state *st)
{
	int64_t at = st->forked_ms + BP_STANDBY_RETRY_MS, now = mono_ms();

	peer_close(st);
	unlinkat(st->state_fd, st->standby_pidfile, 0);
	st->refork.fn = refork;
	evloop_timer_arm(&st->ev, &st->refork, at > now ? at : now);
}

static void peer_event(struct evloop *l, void *obj, int fd, uint32_t events)
{
	struct bp_state *st = obj;
	struct standby_listener m;
	int kind = standby_recv(fd, events, &m);

	if (kind == -EAGAIN)
		return;
	if (kind == STANDBY_LISTENER && st->standby) {
		/* A listener fd the active took: held here too. */
		notifier_add(st, m.fd, m.pid, m.what, m.pol);
		return;
	}
	if (kind == STANDBY_LISTENER) {
		close(m.fd);
		free(m.pol);
		return;
	}
	if (kind == STANDBY_BYE) {
		/* A clean end of the other: this one ends too. */
		peer_close(st);
		if (st->standby)
			evloop_quit(l);
		else
			unlinkat(st->state_fd, st->standby_pidfile, 0);
		return;
	}
	if (kind >= 0)
		return;
	if (st->standby)
		take_over(st);
	else
		standby_lost(st);
}

/**
 * standby_start() - Fork a standby of this (active) supervisor, and record it
 * @st:		the daemon
 *
 * The child never returns: it runs the standby's loop, and the active's if it takes over, and
 * exits.
 *
 * Return: 0 in the active on success, negative errno (no standby then)
 */
int standby_start(struct bp_state *st)
{
	int sp[2], err;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sp) < 0)
		return -errno;
	st->forked_ms = mono_ms();
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(sp[0]);
		close(sp[1]);
		return err;
	}
	if (pid == 0) {
		close(sp[0]);
		if ((err = become_standby(st, sp[1]))) {
			log_error("standby: %s", strerror(-err));
			exit(EXIT_FAILURE);
		}
		err = evloop_run(&st->ev);
		standby_bye(st);
		bp_daemon_free(st);
		exit(err ? EXIT_FAILURE : 0);
	}
	close(sp[1]);
	st->peer_fd = sp[0];
	if ((err = evloop_watch(&st->ev, st->peer_fd, EPOLLIN, peer_event, st)))
		return err;
	/* Recorded, so that del stops it and every process of the entry is accounted for. */
	if ((err = pidfile_write_at(st->state_fd, st->standby_pidfile, pid, st->proc_fd)))
		log_warn("%s: %s", st->standby_pidfile, strerror(-err));
	return 0;
}

/**
 * standby_bye() - Tell the other process of the pair that this one ends cleanly
 * @st:		the daemon
 */
void standby_bye(struct bp_state *st)
{
	int err;

	if (st->peer_fd >= 0 && (err = standby_send_bye(st->peer_fd)))
		log_debug(st->debug, "goodbye to the other supervisor: %s", strerror(-err));
	if (!st->standby)
		unlinkat(st->state_fd, st->standby_pidfile, 0);
	peer_close(st);
}
