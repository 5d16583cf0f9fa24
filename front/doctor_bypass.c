/* rootlet doctor's check of what rootlet-bypass needs of the kernel. */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bypass_guard.h"
#include "doctor.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif
#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

/* Seccomp user notification (Linux 5.0; its CONTINUE answer 5.5). */
static bool has_user_notif(void)
{
	uint32_t action = SECCOMP_RET_USER_NOTIF;

	return syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
}

/* pidfd_getfd() (5.6): a bad pidfd is EBADF where the call exists. */
static bool has_pidfd_getfd(void)
{
	return syscall(SYS_pidfd_getfd, -1, 0, 0) < 0 && errno == EBADF;
}

/* SO_NETNS_COOKIE (5.14, with SECCOMP_ADDFD_FLAG_SETFD): how a twin is told from the rest. */
static bool has_netns_cookie(void)
{
	uint64_t cookie;
	socklen_t len = sizeof(cookie);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok = fd >= 0 && !getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len);

	if (fd >= 0)
		close(fd);
	return ok;
}

/* pidfd_open()'s PIDFD_THREAD (6.9): calls from threads other than a process's first. */
static bool has_pidfd_thread(void)
{
	int fd = pidfd_open(getpid(), PIDFD_THREAD);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/*
 * Whether TCP twins can be guarded (lib/bypass_guard.c), asked as rootlet-netns and the
 * supervisor ask it: where not, --bypass without --allow-host-loopback makes no TCP twin.
 */
static void check_bypass_guard(struct doctor *d)
{
	int err = bypass_guard_probe();

	/* Either way the bypass is safe: failing closed costs speed, not a boundary. */
	if (err)
		doctor_result(d, DOCTOR_OK, "bypass twins", NULL,
			      "socket filters refused (%s): without --allow-host-loopback, no TCP "
			      "twin (connect() through slirp, published TCP ports by "
			      "rootlet-portfwd)",
			      strerror(-err));
	else
		doctor_result(d, DOCTOR_OK, "bypass twins", NULL,
			      "TCP twins guarded by a locked socket filter without host loopback");
}

void check_bypass(struct doctor *d)
{
	const char *missing = !has_user_notif()	    ? "seccomp user notification (Linux 5.5)"
			      : !has_pidfd_getfd()  ? "pidfd_getfd (Linux 5.6)"
			      : !has_netns_cookie() ? "SO_NETNS_COOKIE (Linux 5.14)"
						    : NULL;

	if (missing)
		doctor_result(d, DOCTOR_FAIL, "bypass", "a newer kernel; --bypass cannot be used",
			      "the kernel has no %s", missing);
	else if (!has_pidfd_thread())
		doctor_result(d, DOCTOR_WARN, "bypass", "Linux 6.9 or newer",
			      "no PIDFD_THREAD: calls from a process's other threads are not "
			      "bypassed");
	else
		doctor_result(d, DOCTOR_OK, "bypass", NULL,
			      "seccomp user notification, pidfd_getfd, SO_NETNS_COOKIE, "
			      "PIDFD_THREAD");
	if (!missing)
		check_bypass_guard(d);
}
