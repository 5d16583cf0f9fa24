/* --enable-seccomp: an allow-list of the syscalls the running loop makes, nothing else. */
#include <errno.h>
#include <seccomp.h>

#include "apiserver.h"
#include "evloop.h"
#include "seccomp_allow.h"
#include "slirp.h"

/*
 * Each entry says who needs it. Anything not listed fails with EPERM, so a compromised
 * libslirp cannot exec, open files for writing, mount, ptrace or make namespaces.
 */
static const int allowed[] = {
	SECCOMP_ALLOW_EVLOOP,
	SECCOMP_ALLOW_APISERVER,
	/* the loop's libslirp side: tap frames, the holder's check at exit
	 * (tap_leave_to_netns()), the API's reply socket */
	SCMP_SYS(poll),
	SCMP_SYS(ppoll),
	SCMP_SYS(write),
	SCMP_SYS(readv),
	SCMP_SYS(writev),
	SCMP_SYS(accept),
	SCMP_SYS(dup),
	/* libslirp's sockets: outbound connections, host forwards, ICMP, DNS */
	SCMP_SYS(socket),
	SCMP_SYS(connect),
	SCMP_SYS(bind),
	SCMP_SYS(listen),
	SCMP_SYS(getsockname),
	SCMP_SYS(getpeername),
	SCMP_SYS(setsockopt),
	SCMP_SYS(getsockopt),
	SCMP_SYS(shutdown),
	SCMP_SYS(sendmsg),
	SCMP_SYS(recvmsg),
	SCMP_SYS(sendmmsg),
	SCMP_SYS(recvmmsg),
	SCMP_SYS(fcntl),
	SCMP_SYS(ioctl),
	/* libslirp re-reads /etc/resolv.conf (read-only in the sandbox) */
	SCMP_SYS(openat),
	SCMP_SYS(newfstatat),
	SCMP_SYS(fstat),
	SCMP_SYS(statx),
	SCMP_SYS(lseek),
	/* glib's timers and libc; glib's thread ids */
	SCMP_SYS(clock_nanosleep),
	SECCOMP_ALLOW_LIBC,
	SCMP_SYS(gettid),
	SCMP_SYS(tgkill),
};

/**
 * slirp_isolate_syscalls() - Stage 6: load the allow-list into this (single-threaded) process
 * @cfg:	configuration; cfg->err says what failed
 *
 * Return: 0 on success (or without --enable-seccomp), negative errno on failure
 */
int slirp_isolate_syscalls(struct slirp_cfg *cfg)
{
	int err;

	if (!cfg->enable_seccomp)
		return 0;
	err = seccomp_allow(allowed, sizeof(allowed) / sizeof(allowed[0]), false);
	return err ? err_errno(&cfg->err, err, "seccomp") : 0;
}
