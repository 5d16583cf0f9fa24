/* rootlet-dns's seccomp allow-list (stage 5 of isolate.c's timeline). */
#include <seccomp.h>
#include <sys/socket.h>

#include "dns.h"
#include "evloop.h"
#include "seccomp_allow.h"

/* Each entry says who needs it; anything else fails with EPERM. */
static const int allowed[] = {
	/* the loop: epoll, signalfd, timers, the holder's pidfd */
	SECCOMP_ALLOW_EVLOOP,
	/* queries, answers, the upstream resolver */
	SCMP_SYS(recvfrom), SCMP_SYS(sendto), SCMP_SYS(recvmsg), SCMP_SYS(sendmsg),
	/* forward.c: a socket per forwarded query (socket() below), connected to the upstream
	 * (a random port); its random ID from getrandom (in SECCOMP_ALLOW_LIBC) */
	SCMP_SYS(connect),
	/* forward.c: IP_RECVERR on each, to know who sent an ICMP error */
	SCMP_SYS(setsockopt),
	/* the hosts file, re-read through the entry's fd when inotify says it changed */
	SCMP_SYS(openat), SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(lseek),
	/* libc (libresolv parses in memory only) */
	SECCOMP_ALLOW_LIBC, SCMP_SYS(write), /* log lines on stderr */
};

/* forward.c's sockets, the one kind it makes: nothing else (TCP, IPv6, netlink, unix). */
static const struct seccomp_allow_args allowed_args[] = {
	{ SCMP_SYS(socket), 3, { AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0 } },
};

/**
 * dns_isolate_syscalls() - Step 5: the allow-list
 * @cfg:	cfg->err on failure
 *
 * Return: 0, or a negative errno
 */
int dns_isolate_syscalls(struct dns_cfg *cfg)
{
	int err = seccomp_allow_args(allowed, sizeof(allowed) / sizeof(allowed[0]), allowed_args,
				     sizeof(allowed_args) / sizeof(allowed_args[0]), false);

	return err ? err_errno(&cfg->err, err, "seccomp") : 0;
}
