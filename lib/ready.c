/* A daemon saying it is ready: to whoever started it (its ready fd) and to systemd. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "evloop.h"
#include "log.h"
#include "ready.h"
#include "sdnotify.h"

/**
 * ready_say() - Say ready: "1" on the ready fd, READY=1 (with MAINPID) to systemd
 * @ready_fd:	--ready-fd, or -1; closed and -1 afterwards
 * @notify_fd:	from sdnotify_open(), or -1
 * @ret_what:	on failure, which one failed: "ready fd" or NOTIFY_SOCKET
 *
 * Called once, after the last isolation stage: nothing a client sends meets a daemon that is
 * not yet isolated. Both are tried whatever the first one's fate.
 *
 * Return: 0, or the first failure's negative errno (-EPIPE: nobody reads the ready fd)
 */
int ready_say(int *ready_fd, int notify_fd, const char **ret_what)
{
	int err = 0, e2;
	ssize_t n;

	if (*ready_fd >= 0) {
		do
			n = write(*ready_fd, READY_MESSAGE, strlen(READY_MESSAGE));
		while (n < 0 && errno == EINTR);
		if (n != (ssize_t)strlen(READY_MESSAGE)) {
			err = -EPIPE;
			*ret_what = "ready fd";
		}
		close(*ready_fd);
		*ready_fd = -1;
	}
	if ((e2 = sdnotify_ready(notify_fd)) && !err) {
		err = e2;
		*ret_what = SDNOTIFY_ENV;
	}
	return err;
}

/**
 * ready_serve() - A daemon's tail, once it is set up and isolated: say ready, run its loop
 * until something ends it, then say STOPPING=1 to systemd
 * @ev:		the loop, its handlers watched
 * @ready_fd:	--ready-fd, or -1; closed and -1 afterwards
 * @notify_fd:	from sdnotify_open(), or -1; closed and -1 afterwards
 *
 * A ready that cannot be said (nobody reads the ready fd any more, NOTIFY_SOCKET gone) is the
 * one line it prints, a warning: the daemon still serves whoever reaches it.
 *
 * Return: evloop_run()'s: 0 on a requested end, a negative errno on failure
 */
int ready_serve(struct evloop *ev, int *ready_fd, int *notify_fd)
{
	const char *what = "";
	int err;

	if ((err = ready_say(ready_fd, *notify_fd, &what)))
		log_warn("%s: %s", what, strerror(-err));
	err = evloop_run(ev);
	sdnotify_stopping(notify_fd);
	return err;
}

/**
 * ready_wait_go() - --wait-fd: until whoever started us early says go
 * @wait_fd:	the fd; closed and -1 afterwards
 *
 * rootlet-netns add starts a helper before the namespaces it serves exist, so that its exec
 * and libraries overlap the making of them, and writes one byte once they do. End of file
 * first means add died or gave up: the helper has nothing to serve.
 *
 * Return: 0 on the go, -ECANCELED at end of file, or a negative errno
 */
int ready_wait_go(int *wait_fd)
{
	ssize_t n;
	char go;

	do
		n = read(*wait_fd, &go, 1);
	while (n < 0 && errno == EINTR);
	close(*wait_fd);
	*wait_fd = -1;
	return n == 1 ? 0 : n < 0 ? -errno : -ECANCELED;
}
