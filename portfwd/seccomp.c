/* rootlet-portfwd's seccomp allow-list: the syscalls of the relay loop and the netns thread. */
#include <seccomp.h>
#include <stdbool.h>

#include "portfwd.h"
#include "seccomp_allow.h"

/* Each entry says who needs it; anything else fails with EPERM, in every thread. */
static const int allowed[] = {
	/* the loop: epoll, signalfd, exit fd, API clients */
	SCMP_SYS(epoll_wait),
	SCMP_SYS(epoll_pwait),
	SCMP_SYS(epoll_ctl),
	SCMP_SYS(sched_getaffinity), /* lib/evloop: may busy-polling pay? */
	SCMP_SYS(read),
	SCMP_SYS(write),
	SCMP_SYS(close),
	SCMP_SYS(accept4),
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
	SCMP_SYS(sendto),
	SCMP_SYS(recvfrom),
	SCMP_SYS(sendmsg),
	SCMP_SYS(recvmsg),
	/* libc and jansson; the netns thread's id and raising signals in threads */
	SECCOMP_ALLOW_LIBC,
	SCMP_SYS(gettid),
	SCMP_SYS(tgkill),
};

/**
 * pf_seccomp_install() - Load the allow-list into every thread of the daemon
 *
 * Return: 0 on success, negative errno on failure
 */
int pf_seccomp_install(void)
{
	return seccomp_allow(allowed, sizeof(allowed) / sizeof(allowed[0]), true);
}
