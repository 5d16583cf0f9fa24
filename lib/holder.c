/* Starting a netns holder: its namespaces made in a child that then execs rootlet-netns-holder. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "binpath.h"
#include "holder.h"
#include "usermap.h"
#include "userns_child.h"

/* A holder is ready in about a millisecond; this only bounds a wedged one. */
#define HOLDER_READY_TIMEOUT_MS 10000

/*
 * The holder keeps no capability; in a new userns its exec, before the maps exist, gives it
 * none, but the bounding set it would keep: that goes here, while the child still has every
 * capability of the new userns.
 */
static int drop_bounding_set(void)
{
	for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return -errno;
	return 0;
}

static int read_msg(int fd, holder_msg_t *ret_msg)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	holder_msg_t msg;
	ssize_t n;
	int ready;

	do
		ready = poll(&pfd, 1, HOLDER_READY_TIMEOUT_MS);
	while (ready < 0 && errno == EINTR);
	if (ready < 0)
		return -errno;
	if (ready == 0)
		return -ETIMEDOUT;
	n = read(fd, &msg, sizeof(msg));
	if (n != sizeof(msg))
		return -ECHILD; /* it died without a word */
	*ret_msg = msg;
	return 0;
}

/* The holder's next message, which must be @want: else its own failure, or -EPROTO. */
static int expect_msg(int fd, holder_msg_t want)
{
	holder_msg_t msg;
	int err = read_msg(fd, &msg);

	return err ? err : msg == want ? 0 : msg < 0 ? msg : -EPROTO;
}

/*
 * In the child, between fork and exec: report failures through the pipe, then die. Once its
 * namespaces exist it says so and execs the holder at once: the parent writes the maps (a new
 * userns) and gets on with the entry meanwhile (the holder needs none of it), and whatever it
 * does in the namespaces then.
 */
static void __attribute__((noreturn))
holder_child(const char *holder, const struct holder_opts *o, int report_fd)
{
	holder_msg_t msg = HOLDER_MSG_UNSHARED;
	/* Out of the way of the fds it is given (the report's may be HOLDER_OWNER_FD now). */
	int owner = o->owned ? fcntl(o->owner_pidfd, F_DUPFD_CLOEXEC, HOLDER_OWNER_FD + 1) : -1;

	if (o->owned && owner < 0)
		goto fail;
	if (o->userns_fd >= 0 && o->child) {
		/* Its own user namespace below the one joined: the parent maps it (holder_spawn).
		 */
		if (setns(o->userns_fd, CLONE_NEWUSER) < 0 ||
		    unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0 || drop_bounding_set())
			goto fail;
	} else if (o->userns_fd >= 0) {
		if (setns(o->userns_fd, CLONE_NEWUSER) < 0 || unshare(CLONE_NEWNET) < 0)
			goto fail;
	} else if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0 || drop_bounding_set()) {
		goto fail;
	}
	if (write(report_fd, &msg, sizeof(msg)) != sizeof(msg))
		_exit(1);
	if (dup2(report_fd, HOLDER_REPORT_FD) < 0)
		goto fail;
	if (owner >= 0 && dup2(owner, HOLDER_OWNER_FD) < 0)
		goto fail;
	if (owner < 0)
		close(HOLDER_OWNER_FD);
	execl(holder, HOLDER_BINARY, o->root, o->name, (char *)NULL);
fail:
	msg = -errno;
	if (write(report_fd, &msg, sizeof(msg)) != sizeof(msg))
		_exit(1);
	_exit(1);
}

/**
 * holder_spawn() - Start a holder in a new netns (and a new or joined userns)
 * @o:		the entry, the user namespace, and what to do once the namespaces exist
 * @ret_pid:	set to the holder's pid once its namespaces exist (and are mapped)
 * @ret_commit_fd: our end of the holder's channel: holder_ready() before the entry is
 *		published, holder_commit() once it is complete; closing it before then ends the
 *		holder
 * @e:		why not
 *
 * The holder's exec and set-up go on after we return, overlapping the caller's work.
 *
 * Return: 0 on success, negative errno on failure (no holder is left running then)
 */
int holder_spawn(const struct holder_opts *o, pid_t *ret_pid, int *ret_commit_fd, struct err *e)
{
	int report[2] = { -1, -1 }, err;
	char holder[PATH_MAX];
	pid_t pid = -1;

	if ((err = binary_path(HOLDER_BINARY, BINPATH_LIBEXEC, holder, sizeof(holder))))
		return err_make(e, err, "%s not found", HOLDER_BINARY);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, report) < 0)
		return err_errno(e, -errno, "socketpair");
	pid = fork();
	if (pid < 0) {
		err = err_errno(e, -errno, "fork");
		goto out;
	}
	if (pid == 0)
		holder_child(holder, o, report[1]);
	close(report[1]);
	report[1] = -1;

	if ((err = expect_msg(report[0], HOLDER_MSG_UNSHARED))) {
		err_errno(e, err, "the holder's namespaces");
		goto out;
	}
	if (o->unshared && (err = o->unshared(o->arg, pid)))
		goto out;
	if (o->userns_fd < 0 && (err = usermap_apply(pid, o->map, e)))
		goto out;
	if (o->userns_fd >= 0 && o->child && (err = userns_child_map(pid, o->userns_fd, e)))
		goto out;
out:
	if (err && pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (!err) {
		*ret_pid = pid;
		*ret_commit_fd = report[0];
		report[0] = -1;
	}
	for (int i = 0; i < 2; i++)
		if (report[i] >= 0)
			close(report[i]);
	return err;
}

/**
 * holder_ready() - Until the holder, exec'd and isolated, says it waits for the commit
 * @commit_fd:	from holder_spawn()
 *
 * Return: 0 on success, negative errno (its own failure, or -ECHILD: it died without a word)
 */
int holder_ready(int commit_fd)
{
	return expect_msg(commit_fd, HOLDER_MSG_READY);
}

/**
 * holder_commit() - Tell the holder its entry is complete: from now on only SIGTERM ends it
 * @commit_fd:	from holder_spawn(), closed here
 *
 * Return: 0 on success, negative errno (the holder then ends, taking the entry with it)
 */
int holder_commit(int commit_fd)
{
	const char c = HOLDER_COMMIT;
	int err = write(commit_fd, &c, 1) == 1 ? 0 : -errno;

	close(commit_fd);
	return err;
}
