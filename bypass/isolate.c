/* rootlet-bypass's privilege timeline, from start to sandboxed (the stages of lib/isolate.h). */
#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <seccomp.h>
#include <string.h>
#include <unistd.h>

#include "bypass.h"
#include "bypass_guard.h"
#include "isolate.h"
#include "nsfd.h"
#include "sandbox.h"
#include "seccomp_allow.h"
#include "state.h"

/*
 * Theory of operation: the privilege timeline (daemon.c runs it)
 *
 * 1. initial, as started: the user's credentials, the host's filesystem, one thread.
 * 2. user: join the holder's user namespace, the one every process of the netns (a command of
 *    rootlet-netns exec, a runc or crun container given by rootlet-netns oci) lives in or
 *    below. Its root has CAP_SYS_PTRACE over them, which reading a caller's sockaddr
 *    (process_vm_readv), taking its socket (pidfd_getfd) and its fd flags (/proc/PID/fdinfo)
 *    need; the host's netns stays ours, so the sockets made are the host's.
 * 3. paths (daemon.c): the entry, /proc (an fd, for fdinfo), bypass.sock and bypass-api.sock,
 *    the holder's pidfd, the pid file.
 * 4. fs: lib/sandbox.c's empty read-only root; /proc is reached through its fd only.
 * 5. caps: CAP_SYS_PTRACE alone, and it counts only in the holder's userns; and CAP_NET_ADMIN
 *    where the kernel wants it for a twin's guard (root in the host's userns, a root netns's
 *    supervisor, on a kernel that refuses socket filters without it). Twins that the start's
 *    probe found guardable must stay so once isolated, or the published TCP ports rootlet-netns
 *    gave the supervisor would be nobody's: the probe is made again here, and a refusal now is
 *    an error.
 * 6. syscalls: the allow-list below, and clone() refused any namespace flag.
 * 7. A standby is forked (standby.c), sandboxed as this one is; ready is written; the loop
 *    runs until the exit fd, a signal or the holder's end.
 */

int bp_isolate_user(struct bp_cfg *cfg)
{
	int fd, err;

	err = ns_open_at(cfg->state_fd, STATE_USER, CLONE_NEWUSER, &fd);
	if (err == -ENOENT)
		return 0; /* a root netns: no userns of its own */
	if (err)
		return err_errno(&cfg->err, err, "%s/%s", cfg->state_dir, STATE_USER);
	if (ns_is_ours(fd, CLONE_NEWUSER)) {
		close(fd);
		return 0;
	}
	err = ns_join(fd, CLONE_NEWUSER);
	close(fd);
	return err ? err_errno(&cfg->err, err, "joining %s/%s", cfg->state_dir, STATE_USER) : 0;
}

int bp_isolate_fs(struct bp_cfg *cfg)
{
	const char *step;
	int err = sandbox_root(NULL, 0, &step);

	return err ? err_errno(&cfg->err, err, "sandbox: %s", step) : 0;
}

/* Whether a twin's guard needs CAP_NET_ADMIN: tried with it lowered from the effective set. */
static bool guard_needs_net_admin(void)
{
	bool needs;

	capng_get_caps_process();
	if (!capng_have_capability(CAPNG_EFFECTIVE, CAP_NET_ADMIN))
		return false;
	capng_update(CAPNG_DROP, CAPNG_EFFECTIVE, CAP_NET_ADMIN);
	if (capng_apply(CAPNG_SELECT_CAPS) < 0)
		return true;
	needs = bypass_guard_probe() != 0;
	capng_update(CAPNG_ADD, CAPNG_EFFECTIVE, CAP_NET_ADMIN);
	capng_apply(CAPNG_SELECT_CAPS);
	return needs;
}

int bp_isolate_caps(struct bp_cfg *cfg)
{
	static const int keep[] = { CAP_SYS_PTRACE, CAP_NET_ADMIN };
	int err =
		isolate_caps(keep, cfg->guard && guard_needs_net_admin() ? 2 : 1, false, &cfg->err);

	if (!err && cfg->guard && (err = bypass_guard_probe()))
		return err_make(&cfg->err, err,
				"socket filters: allowed at the start, refused once isolated (%s); "
				"give --allow-host-loopback",
				strerror(-err));
	return err;
}

/* Each entry says who needs it; anything else fails with EPERM. */
static const int allowed[] = {
	/* the loop: epoll, signalfd, exit fd, API and listener clients */
	SCMP_SYS(epoll_wait),
	SCMP_SYS(epoll_pwait),
	SCMP_SYS(epoll_ctl),
	SCMP_SYS(sched_getaffinity), /* lib/evloop */
	SCMP_SYS(read),
	SCMP_SYS(write),
	SCMP_SYS(close),
	SCMP_SYS(accept4),
	SCMP_SYS(recvmsg),
	SCMP_SYS(recvfrom),
	SCMP_SYS(sendto),
	SCMP_SYS(getsockopt),
	/* the listener fds: receive, check, add an fd, answer */
	SCMP_SYS(ioctl),
	/* a call: the caller's sockaddr, its socket, its fd flags (openat below /proc's fd) */
	SCMP_SYS(process_vm_readv),
	SCMP_SYS(pidfd_open),
	SCMP_SYS(pidfd_getfd),
	SCMP_SYS(openat),
	SCMP_SYS(fcntl),
	SCMP_SYS(poll),
	SCMP_SYS(ppoll),
	/* twins: made, set like the caller's, connected or bound */
	SCMP_SYS(socket),
	SCMP_SYS(setsockopt),
	SCMP_SYS(getsockname),
	SCMP_SYS(connect),
	SCMP_SYS(bind),
	/* the standby (standby.c): forked, handed listener fds, recorded in its pid file */
	SCMP_SYS(clone),
	SCMP_SYS(set_robust_list),
	SCMP_SYS(socketpair),
	SCMP_SYS(sendmsg),
	SCMP_SYS(renameat),
	SCMP_SYS(unlinkat),
	SCMP_SYS(flock),	 /* --host's idle end, under the runtime wrappers' lock (host.c) */
	SCMP_SYS(epoll_create1), /* its own loop (lib/evloop's evloop_init()) */
	SCMP_SYS(signalfd4),
	SCMP_SYS(rt_sigaction),
	/* libc and jansson; thread ids and raising signals; the listener's SO_PEERCRED check */
	SECCOMP_ALLOW_LIBC,
	SCMP_SYS(gettid),
	SCMP_SYS(tgkill),
	SCMP_SYS(geteuid),
};

/*
 * clone() is allowed for the standby's fork alone: a clone that makes a namespace (what a
 * compromised supervisor would want, its capabilities gone) is refused by a filter of its own,
 * as one list cannot condition an argument.
 */
static const unsigned long clone_new[] = { CLONE_NEWUSER,  CLONE_NEWNS,	 CLONE_NEWNET,
					   CLONE_NEWPID,   CLONE_NEWIPC, CLONE_NEWUTS,
					   CLONE_NEWCGROUP };

static int refuse_clone_namespaces(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int err = ctx ? 0 : -ENOMEM;

	for (size_t i = 0; i < sizeof(clone_new) / sizeof(clone_new[0]) && !err; i++)
		err = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
				       SCMP_A0(SCMP_CMP_MASKED_EQ, clone_new[i], clone_new[i]));
	if (!err)
		err = seccomp_load(ctx);
	seccomp_release(ctx);
	return err;
}

int bp_isolate_syscalls(struct bp_cfg *cfg)
{
	int err = refuse_clone_namespaces();

	if (!err)
		err = seccomp_allow(allowed, sizeof(allowed) / sizeof(allowed[0]), false);
	return err ? err_errno(&cfg->err, err, "seccomp") : 0;
}
