/* rootlet-bypass's privilege timeline, from start to sandboxed (the stages of lib/isolate.h). */
#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include "bypass.h"
#include "bypass_guard.h"
#include "isolate.h"
#include "nsfd.h"
#include "sandbox.h"
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
 * 6. syscalls: seccomp.c's allow-list, and clone() refused any namespace flag.
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
