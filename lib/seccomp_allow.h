/* Installing a seccomp allow-list: everything not listed fails with EPERM. */
#ifndef ROOTLET_SECCOMP_ALLOW_H
#define ROOTLET_SECCOMP_ALLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * What libc (and jansson) needs of any of our daemons once it runs: time, memory, locks,
 * random bytes, signal returns and the way out. A daemon's list begins with it and names its
 * own calls after (thread ids and tgkill where it has threads or raises signals).
 */
#define SECCOMP_ALLOW_LIBC                                                                         \
	SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(brk), SCMP_SYS(mmap),            \
		SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise), SCMP_SYS(mprotect),         \
		SCMP_SYS(futex), SCMP_SYS(getpid), SCMP_SYS(getrandom), SCMP_SYS(rt_sigreturn),    \
		SCMP_SYS(rt_sigprocmask), SCMP_SYS(restart_syscall), SCMP_SYS(exit),               \
		SCMP_SYS(exit_group)

#define SECCOMP_ARGS_MAX 3

/*
 * A call allowed only with these values of its first arguments (each an int: its low 32 bits
 * compared), e.g. socket() of one family and type: what a list of numbers alone cannot say.
 */
struct seccomp_allow_args {
	int syscall;
	unsigned n; /* arguments compared: the first n */
	uint32_t eq[SECCOMP_ARGS_MAX];
};

int seccomp_allow(const int *syscalls, size_t n, bool all_threads);
int seccomp_allow_args(const int *syscalls, size_t n, const struct seccomp_allow_args *calls,
		       size_t ncalls, bool all_threads);

#endif
