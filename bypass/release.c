/* Closing a caller's socket copy without waiting: a lingering last close is left to an exit. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bypass.h"
#include "log.h"

/*
 * Theory of Operation: our copy of a caller's socket (pidfd_getfd) is the same open file as
 * the caller's, and may be its last reference (the caller closed it or exited while its call
 * was pending: a pending notified call holds no file reference). The kernel's last close of a
 * TCP socket with SO_LINGER {1, N > 0} waits up to N seconds for the send queue to drain
 * (inet_release() -> tcp_close() -> sk_stream_wait_close()), except when the closing task is
 * exiting. A close in the loop would stall every other caller that long, and the linger is
 * the container's to set, not ours to change (the file is shared).
 *
 * So a copy with a linger > 0 is closed thus: fork a child (it gets a reference), close ours
 * (not the last: the child's remains), then close the socketpair's end the child is reading:
 * it sees the end and exits, and its exit drops what may be the last reference, which never
 * lingers. Nothing of the supervisor waits; the child lives for a read() and an exit (reaped
 * by the kernel: SIGCHLD is ignored). Any other copy closes at once: it cannot linger.
 *
 * What is left: a linger set by another holder of the file between our getsockopt() and our
 * close(), that holder then dropping its last reference in that same gap, still stalls the
 * loop; two syscalls of ours apart, never a wait the caller can arrange alone.
 *
 * If the fork fails (the user's process limit), the copy is closed in the loop after all:
 * the stall it may cause is what an unfixed supervisor always had, and a warning says so.
 */

/* True if the last close of @fd could wait: SO_LINGER on with a time (0 is an abort). */
static bool lingers(int fd)
{
	struct linger l = { 0 };
	socklen_t len = sizeof(l);

	return !getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len) && l.l_onoff && l.l_linger > 0;
}

/**
 * sock_release() - Close our copy of a caller's socket without waiting for a linger
 * @fd:		the copy (pidfd_getfd); closed on return, or -1
 */
void sock_release(int fd)
{
	int sp[2];
	pid_t pid;
	char c;

	if (fd < 0)
		return;
	if (!lingers(fd)) {
		close(fd);
		return;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
		log_warn("a lingering socket closed in the loop: %s", strerror(errno));
		close(fd);
		return;
	}
	pid = fork();
	if (pid == 0) {
		/* Until the supervisor's copy is gone: then ours is the one that may be last. */
		close(sp[0]);
		while (read(sp[1], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	if (pid < 0)
		log_warn("a lingering socket closed in the loop: %s", strerror(errno));
	close(fd);
	close(sp[0]);
	close(sp[1]);
}
