/* rootlet-portfwd's privilege timeline, from start to sandboxed (the stages of lib/isolate.h). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <linux/capability.h>
#include <unistd.h>

#include "isolate.h"
#include "nsfd.h"
#include "portfwd.h"
#include "proc.h"
#include "sandbox.h"
#include "state.h"

/*
 * Theory of operation: the privilege timeline (daemon.c runs it)
 *
 * 1. initial, as started: the user's (or podman's) credentials, the host's filesystem, one
 *    thread; the open-files limit raised.
 * 2. user: join the holder's user namespace (whole process, so while it has one thread): root of
 * it, with the capabilities that setns into its netns needs.
 * 3. paths (daemon.c's open_paths()): everything that touches a path: the netns file, the state
 * directory (opened without following symlinks, then used by fd only), the API and reload sockets,
 * state.json and the holder's pidfd, the one /proc file a refused bind's message quotes, and the
 * pid file (our start time is read from /proc; the file is taken back if a later step fails).
 * Then the NETLINK_SOCK_DIAG socket, in the listeners' netns (udp.c: who a reply reaches).
 * 4. fs, the sandbox (lib/sandbox.c): a mount namespace whose root is empty and read-only; the
 *    host's filesystem is gone for good. Still one thread, as unshare needs.
 * 5. caps: the netns thread starts (nsock.c): it joins the netns and keeps CAP_NET_RAW
 *    alone, for IP_TRANSPARENT; this thread drops every capability.
 * 6. The forwards bind their ports.
 * 7. syscalls: the seccomp allow-list (seccomp.c), in every thread: no open, no unlink of a
 *    path.
 * 8. Ready is written; the loop runs until the exit fd, a signal or the holder's end.
 */

/**
 * pf_isolate_initial() - Step 1: each relayed connection holds six fds; take all the kernel
 * allows us while we still can
 */
void pf_isolate_initial(void)
{
	isolate_undumpable();
	proc_raise_nofile();
}

/**
 * pf_ns_file() - A file of the entry, by its name in the entry's fd; else the path given
 * @cfg:	the command line
 * @file:	the entry's file name
 * @path:	the path given instead of a name
 *
 * Return: what to open, relative to the entry's fd (or the working directory)
 */
const char *pf_ns_file(const struct pf_cfg *cfg, const char *file, const char *path)
{
	return cfg->state_fd >= 0 ? file : path;
}

/**
 * pf_isolate_user() - Step 2: join the holder's user namespace, the whole process while it has
 * one thread (the netns is joined by a thread of its own, step 5)
 * @cfg:	the command line; cfg->err on failure
 *
 * Return: 0 on success, negative errno
 */
int pf_isolate_user(struct pf_cfg *cfg)
{
	int fd, err;

	if (!cfg->user_path[0])
		return 0;
	if ((err = ns_open_at(cfg->state_fd >= 0 ? cfg->state_fd : AT_FDCWD,
			      pf_ns_file(cfg, STATE_USER, cfg->user_path), CLONE_NEWUSER, &fd))) {
		if (err == -ENOTTY)
			return err_make(&cfg->err, err, "%s: not a namespace", cfg->user_path);
		return err_errno(&cfg->err, err, "%s", cfg->user_path);
	}
	if (ns_is_ours(fd, CLONE_NEWUSER)) {
		close(fd);
		return 0;
	}
	err = ns_join(fd, CLONE_NEWUSER);
	close(fd);
	return err ? err_errno(&cfg->err, err, "joining %s", cfg->user_path) : 0;
}

/**
 * pf_isolate_fs() - Step 4: an empty read-only root; no path is opened after this
 * @cfg:	the command line; cfg->err on failure
 *
 * Return: 0 on success, negative errno
 */
int pf_isolate_fs(struct pf_cfg *cfg)
{
	const char *step;
	int err = sandbox_root(NULL, 0, &step);

	return err ? err_errno(&cfg->err, err, "sandbox: %s", step) : 0;
}

/**
 * pf_isolate_caps() - Step 5, this thread's half: binding host ports and asking the netns
 * thread for sockets need no capability
 * @cfg:	the command line; cfg->err on failure
 *
 * Return: 0 on success, negative errno
 */
int pf_isolate_caps(struct pf_cfg *cfg)
{
	return isolate_caps(NULL, 0, false, &cfg->err);
}

/**
 * pf_isolate_thread_caps() - Step 5, the netns thread's half: nothing, or CAP_NET_RAW alone for
 * IP_TRANSPARENT with --source-ip
 * @source_ip:	--source-ip
 *
 * Return: 0 on success, negative errno
 */
int pf_isolate_thread_caps(bool source_ip)
{
	static const int net_raw[] = { CAP_NET_RAW };

	return isolate_caps(net_raw, source_ip ? 1 : 0, false, NULL);
}
