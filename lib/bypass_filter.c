/* The seccomp filter that hands a process's connect(), bind() and fast-open sends to
 * rootlet-bypass. */
#include <errno.h>
#include <jansson.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bypass_filter.h"
#include "fdpass.h"

/*
 * Theory of operation
 *
 * connect() is where an outbound socket's path is chosen, bind() where a published one's is:
 * those two go to the supervisor, which may put a socket of the host's netns (a twin) in the
 * caller's place. From then on every way a socket can be given a peer must stay the
 * supervisor's, or a twin would reach from the host's netns what the netns keeps out (the
 * host's loopback):
 *
 *  - connect(): notified.
 *  - sendto(), sendmsg(), sendmmsg() with MSG_FASTOPEN: a TCP connect with data. Notified only
 *    with that flag (the kernel reads a send's flags from the call's argument, never from the
 *    msghdr), so a send costs nothing more than the BPF run.
 *  - io_uring (IORING_OP_CONNECT, a send with MSG_FASTOPEN) runs outside seccomp altogether:
 *    io_uring_setup, io_uring_enter and io_uring_register are refused, the last two for a ring
 *    made elsewhere and passed in; a program sees a kernel without io_uring (ENOSYS).
 *  - Another ABI's calls: i386's connect(), bind(), socketcall(), io_uring and MSG_FASTOPEN
 *    sends are refused (ENOSYS); any other ABI (x32) is refused whole. A 32-bit program keeps
 *    every other call, but its sockets are not bypassed.
 *
 * Every other call of every socket, and every call of a program that makes none, stays in the
 * kernel: the filter's cost is one BPF run per syscall.
 */
const char *const bypass_hooked[BYPASS_HOOKED_N] = { "connect", "bind" };
const char *const bypass_send_hooked[BYPASS_SEND_N] = { "sendto", "sendmsg", "sendmmsg" };
const unsigned bypass_send_flags_arg[BYPASS_SEND_N] = { 3, 2, 3 };
const char *const bypass_refused[BYPASS_REFUSED_N] = { "io_uring_setup", "io_uring_enter",
						       "io_uring_register" };

/*
 * For an OCI profile: the same rules, and socketcall refused too (i386's way to every socket
 * call at once, its arguments in memory no filter reads), since a profile names its
 * architectures and the runtime applies every rule to each of them.
 */
static const char *const oci_refused[] = { "io_uring_setup", "io_uring_enter", "io_uring_register",
					   "socketcall" };
const struct oci_notify bypass_oci_notify = {
	.hooked = bypass_hooked,
	.n_hooked = BYPASS_HOOKED_N,
	.flagged = bypass_send_hooked,
	.flag_arg = bypass_send_flags_arg,
	.n_flagged = BYPASS_SEND_N,
	.flag = MSG_FASTOPEN,
	.refused = oci_refused,
	.n_refused = sizeof(oci_refused) / sizeof(oci_refused[0]),
	.refused_errno = ENOSYS,
};

/* User notification with SECCOMP_USER_NOTIF_FLAG_CONTINUE: libseccomp's API level 6. */
#define BYPASS_API_LEVEL 6

/* A send with MSG_FASTOPEN: the flags argument has that bit. */
static int rule_fastopen(scmp_filter_ctx ctx, uint32_t action, size_t i)
{
	struct scmp_arg_cmp cmp = { .arg = bypass_send_flags_arg[i],
				    .op = SCMP_CMP_MASKED_EQ,
				    .datum_a = MSG_FASTOPEN,
				    .datum_b = MSG_FASTOPEN };

	return seccomp_rule_add_array(ctx, action,
				      seccomp_syscall_resolve_name(bypass_send_hooked[i]), 1, &cmp);
}

/* The native ABI's rules: hooked calls notified, io_uring refused. */
static int rules_native(scmp_filter_ctx ctx)
{
	int err = 0;

	for (size_t i = 0; i < BYPASS_HOOKED_N && !err; i++)
		err = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY,
				       seccomp_syscall_resolve_name(bypass_hooked[i]), 0);
	for (size_t i = 0; i < BYPASS_SEND_N && !err; i++)
		err = rule_fastopen(ctx, SCMP_ACT_NOTIFY, i);
	for (size_t i = 0; i < BYPASS_REFUSED_N && !err; i++)
		err = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
				       seccomp_syscall_resolve_name(bypass_refused[i]), 0);
	return err;
}

/* i386 under x86_64: every way to a peer refused, the rest of the ABI kept. */
static int rules_compat(scmp_filter_ctx ctx)
{
	scmp_filter_ctx compat;
	int err;

	if (seccomp_arch_native() != SCMP_ARCH_X86_64)
		return 0;
	compat = seccomp_init(SCMP_ACT_ALLOW);
	if (!compat)
		return -ENOMEM;
	err = seccomp_arch_add(compat, SCMP_ARCH_X86);
	if (!err)
		err = seccomp_arch_remove(compat, SCMP_ARCH_NATIVE);
	/* Names resolve to native numbers (socketcall's a pseudo one), translated for i386. */
	for (size_t i = 0; i < BYPASS_HOOKED_N && !err; i++)
		err = seccomp_rule_add(compat, SCMP_ACT_ERRNO(ENOSYS),
				       seccomp_syscall_resolve_name(bypass_hooked[i]), 0);
	if (!err)
		err = seccomp_rule_add(compat, SCMP_ACT_ERRNO(ENOSYS),
				       seccomp_syscall_resolve_name("socketcall"), 0);
	for (size_t i = 0; i < BYPASS_SEND_N && !err; i++)
		err = rule_fastopen(compat, SCMP_ACT_ERRNO(ENOSYS), i);
	for (size_t i = 0; i < BYPASS_REFUSED_N && !err; i++)
		err = seccomp_rule_add(compat, SCMP_ACT_ERRNO(ENOSYS),
				       seccomp_syscall_resolve_name(bypass_refused[i]), 0);
	/* seccomp_merge() wants both filters' attributes alike. */
	for (int a = SCMP_FLTATR_ACT_BADARCH; a <= SCMP_FLTATR_CTL_NNP && !err; a++) {
		uint32_t v;

		if (!(err = seccomp_attr_get(ctx, (enum scmp_filter_attr)a, &v)))
			err = seccomp_attr_set(compat, (enum scmp_filter_attr)a, v);
	}
	if (!err)
		return seccomp_merge(ctx, compat); /* @compat is @ctx's now */
	seccomp_release(compat);
	return err;
}

/**
 * bypass_filter_make() - The notify filter, not loaded
 * @ret_ctx:	the filter (seccomp_release() it), with no_new_privs off
 *
 * Return: 0 on success, negative errno
 */
int bypass_filter_make(scmp_filter_ctx *ret_ctx)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int err;

	if (!ctx)
		return -ENOMEM;
	/* An ABI the filter does not name (x32) is refused whole, never let through. */
	err = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ERRNO(ENOSYS));
	if (!err)
		err = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (!err)
		err = rules_native(ctx);
	if (!err)
		err = rules_compat(ctx);
	if (err) {
		seccomp_release(ctx);
		return err;
	}
	*ret_ctx = ctx;
	return 0;
}

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
	int err, fd;

	if (seccomp_api_get() < BYPASS_API_LEVEL)
		return -EOPNOTSUPP;
	if ((err = bypass_filter_make(&ctx)))
		return err;
	if ((err = seccomp_load(ctx)) && (err == -EACCES || err == -EPERM) &&
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
	n = fdpass_send_one(sock, text, strlen(text), notify_fd, 0);
	if (n < 0)
		err = -errno;
	else if (n != (ssize_t)strlen(text))
		err = -EIO;
	close(sock);
	free(text);
	return err;
}
