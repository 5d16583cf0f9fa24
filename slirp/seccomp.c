/* --enable-seccomp: an allow-list of the syscalls the running loop makes, nothing else. */
#include <errno.h>
#include <seccomp.h>

#include "seccomp_allow.h"
#include "slirp.h"

/*
 * Each entry says who needs it. Anything not listed fails with EPERM, so a compromised
 * libslirp cannot exec, open files for writing, mount, ptrace or make namespaces.
 */
static const int allowed[] = {
	/* the loop: epoll, tap frames, signalfd, API clients */
	SCMP_SYS(epoll_wait),
	SCMP_SYS(epoll_pwait),
	/* at exit: whether the holder is gone (tap_leave_to_netns()) */
	SCMP_SYS(poll),
	SCMP_SYS(ppoll),
	SCMP_SYS(epoll_ctl),
	SCMP_SYS(sched_getaffinity), /* lib/evloop: may busy-polling pay? */
	SCMP_SYS(read),
	SCMP_SYS(write),
	SCMP_SYS(readv),
	SCMP_SYS(writev),
	SCMP_SYS(close),
	SCMP_SYS(accept4),
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
	SCMP_SYS(sendto),
	SCMP_SYS(recvfrom),
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
	/* time for timers and TCP */
	SCMP_SYS(clock_gettime),
	SCMP_SYS(gettimeofday),
	SCMP_SYS(clock_nanosleep),
	/* glib and libc: memory, randomness, locks */
	SCMP_SYS(brk),
	SCMP_SYS(mmap),
	SCMP_SYS(munmap),
	SCMP_SYS(mremap),
	SCMP_SYS(madvise),
	SCMP_SYS(mprotect),
	SCMP_SYS(getrandom),
	SCMP_SYS(futex),
	SCMP_SYS(getpid),
	SCMP_SYS(gettid),
	/* signals and the way out */
	SCMP_SYS(rt_sigreturn),
	SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(restart_syscall),
	SCMP_SYS(exit),
	SCMP_SYS(exit_group),
	SCMP_SYS(tgkill),
};

/**
 * seccomp_install() - Load the allow-list filter into this (single-threaded) process
 *
 * Return: 0 on success, negative errno on failure
 */
int seccomp_install(void)
{
	return seccomp_allow(allowed, sizeof(allowed) / sizeof(allowed[0]), false);
}
