/* rootlet-bypass's seccomp allow-list (the last stage of isolate.c's timeline). */
#include <errno.h>
#include <sched.h>
#include <seccomp.h>

#include "apiserver.h"
#include "bypass.h"
#include "evloop.h"
#include "seccomp_allow.h"

/* Each entry says who needs it; anything else fails with EPERM. */
static const int allowed[] = {
	SECCOMP_ALLOW_EVLOOP,
	SECCOMP_ALLOW_APISERVER,
	/* log lines; the listener clients' handover and their SO_PEERCRED */
	SCMP_SYS(write),
	SCMP_SYS(recvmsg),
	SCMP_SYS(getsockopt),
	/* the listener fds: receive, check, add an fd, answer */
	SCMP_SYS(ioctl),
	/* a call: the caller's sockaddr, its socket, its fd flags (openat below /proc's fd) */
	SCMP_SYS(process_vm_readv), /* by the reader process (reader.c) alone */
	SCMP_SYS(close_range),	    /* ... forked with nothing of ours but its socket */
	SCMP_SYS(pidfd_open),
	SCMP_SYS(pidfd_getfd),
	SCMP_SYS(openat),
	SCMP_SYS(readlinkat), /* /proc/TID/fd/FD: a socket? Never a copy of a file (procs.c) */
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

/**
 * bp_isolate_syscalls() - Stage 6: clone() refused any namespace, then the allow-list
 * @cfg:	cfg->err on failure
 *
 * Return: 0 on success, negative errno
 */
int bp_isolate_syscalls(struct bp_cfg *cfg)
{
	int err = refuse_clone_namespaces();

	if (!err)
		err = seccomp_allow(allowed, sizeof(allowed) / sizeof(allowed[0]), false);
	return err ? err_errno(&cfg->err, err, "seccomp") : 0;
}
