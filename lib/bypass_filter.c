/* The seccomp filter that hands a process's connect() and bind() to rootlet-bypass. */
#include <errno.h>
#include <jansson.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bypass_filter.h"

/*
 * Only these two: a connect() is where an outbound socket's path is chosen, a bind() where a
 * published one's is. Every other call of every socket, and every call of a program that makes
 * none, stays in the kernel (the filter's cost is one BPF run per syscall).
 */
const char *const bypass_hooked[BYPASS_HOOKED_N] = { "connect", "bind" };

/* User notification with SECCOMP_USER_NOTIF_FLAG_CONTINUE: libseccomp's API level 6. */
#define BYPASS_API_LEVEL 6

/**
 * bypass_filter_load() - Install the notify filter on this process, for what it execs next
 * @ret_fd:	the listener fd (close-on-exec), for bypass_filter_send()
 *
 * Without no_new_privs when this process may (CAP_SYS_ADMIN in its userns, as the root of a
 * rootlet netns's userns is), so that setuid programs run by the command keep working; with it
 * otherwise, as the kernel then requires.
 *
 * Return: 0 on success, -EOPNOTSUPP if the kernel has no user notification, negative errno
 */
int bypass_filter_load(int *ret_fd)
{
	scmp_filter_ctx ctx;
	int err = 0, fd;

	if (seccomp_api_get() < BYPASS_API_LEVEL)
		return -EOPNOTSUPP;
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return -ENOMEM;
	for (size_t i = 0; i < BYPASS_HOOKED_N && !err; i++)
		err = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY,
				       seccomp_syscall_resolve_name(bypass_hooked[i]), 0);
	/* Programs of another ABI (i386 on x86_64) run as they would without us. */
	if (!err)
		err = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW);
	if (!err)
		err = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (!err && (err = seccomp_load(ctx)) && (err == -EACCES || err == -EPERM) &&
	    !(err = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1)))
		err = seccomp_load(ctx);
	if (!err) {
		fd = seccomp_notify_fd(ctx);
		if (fd < 0)
			err = fd;
		else
			*ret_fd = fd;
	}
	seccomp_release(ctx);
	return err;
}

/**
 * bypass_listener_connect() - Connect to rootlet-bypass's socket, before the filter is loaded
 * @listener:	the supervisor's socket (an entry's bypass.sock: a runtime's listenerPath)
 * @ret_sock:	the connected socket (close-on-exec)
 *
 * Connected first: once the filter is on, this process's own connect() would wait for the
 * supervisor it has not handed the listener fd yet.
 *
 * Return: 0 on success, negative errno (-ENOENT: no supervisor there)
 */
int bypass_listener_connect(const char *listener, int *ret_sock)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int sock, err;

	if (strlen(listener) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, listener);
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return -errno;
	if (connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		err = -errno;
		close(sock);
		return err == -ECONNREFUSED ? -ENOENT : err;
	}
	*ret_sock = sock;
	return 0;
}

/**
 * bypass_filter_send() - Hand a listener fd to rootlet-bypass, as an OCI runtime does
 * @sock:	from bypass_listener_connect(), closed here
 * @notify_fd:	the listener fd, still ours to close
 * @pid:	the process the filter is on
 * @metadata:	what the supervisor logs it as
 *
 * The message is the runtime-spec's ContainerProcessState, with the fd in SCM_RIGHTS.
 *
 * Return: 0 on success, negative errno
 */
int bypass_filter_send(int sock, int notify_fd, pid_t pid, const char *metadata)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cmsg;
	char *text;
	json_t *state;
	int err = 0;
	ssize_t n;

	state = json_pack("{s:s, s:[s], s:i, s:s, s:{s:s, s:s, s:s, s:i, s:s}}", "ociVersion",
			  BYPASS_OCI_VERSION, "fds", BYPASS_FD_NAME, "pid", (int)pid, "metadata",
			  metadata, "state", "ociVersion", BYPASS_OCI_VERSION, "id", metadata,
			  "status", "creating", "pid", (int)pid, "bundle", "");
	text = state ? json_dumps(state, JSON_COMPACT) : NULL;
	json_decref(state);
	if (!text) {
		close(sock);
		return -ENOMEM;
	}
	iov.iov_base = text;
	iov.iov_len = strlen(text);
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &notify_fd, sizeof(int));
	n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	if (n < 0)
		err = -errno;
	else if (n != (ssize_t)iov.iov_len)
		err = -EIO;
	close(sock);
	free(text);
	return err;
}
