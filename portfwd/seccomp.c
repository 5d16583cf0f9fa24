/* rootlet-portfwd's seccomp allow-list: the syscalls of the relay loop and the netns thread. */
#include <seccomp.h>
#include <stdbool.h>

#include "apiserver.h"
#include "evloop.h"
#include "portfwd.h"
#include "seccomp_allow.h"

/* Each entry says who needs it; anything else fails with EPERM, in every thread. */
static const int allowed[] = {
	SECCOMP_ALLOW_EVLOOP,
	SECCOMP_ALLOW_APISERVER,
	SCMP_SYS(write), /* log lines */
	SCMP_SYS(fcntl),
	SCMP_SYS(unlinkat), /* podman's reload socket, removed at exit through its dir's fd */
	/* TCP relay: accepting, connecting inside, splicing through pipes */
	SCMP_SYS(splice),
	SCMP_SYS(pipe2),
	SCMP_SYS(connect),
	SCMP_SYS(shutdown),
	SCMP_SYS(getsockopt),
	SCMP_SYS(setsockopt),
	SCMP_SYS(getpeername),
	SCMP_SYS(getsockname),
	/* new forwards from the API: bind and listen (no path is opened once running) */
	SCMP_SYS(socket),
	SCMP_SYS(bind),
	SCMP_SYS(listen),
	SCMP_SYS(fstat),
	SCMP_SYS(newfstatat),
	/* UDP flows; the netns thread's requests */
	SCMP_SYS(recvmmsg),
	SCMP_SYS(sendmmsg),
	SCMP_SYS(sendmsg),
	SCMP_SYS(recvmsg),
	/* who a UDP reply would reach (lib/sockdiag.c); a wildcard listener's source, probed */
	SCMP_SYS(sendto),
	SCMP_SYS(recvfrom),
	/* libc and jansson; the netns thread's id and raising signals in threads */
	SECCOMP_ALLOW_LIBC,
	SCMP_SYS(gettid),
	SCMP_SYS(tgkill),
};

/**
 * pf_isolate_syscalls() - Stage 7: the allow-list, in every thread of the daemon
 * @cfg:	the command line; cfg->err on failure
 *
 * Return: 0 on success, negative errno
 */
int pf_isolate_syscalls(struct pf_cfg *cfg)
{
	int err = seccomp_allow(allowed, sizeof(allowed) / sizeof(allowed[0]), true);

	return err ? err_errno(&cfg->err, err, "seccomp") : 0;
}
