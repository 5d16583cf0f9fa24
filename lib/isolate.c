/* A daemon's isolation in stages: the capabilities stage (the order is in isolate.h). */
#include <cap-ng.h>
#include <errno.h>
#include <sys/prctl.h>

#include "err.h"
#include "isolate.h"

/**
 * isolate_undumpable() - Nobody but root of the host may ptrace us or take our fds
 *
 * A daemon runs as its user, and most join a user namespace where a container is root: both
 * of ptrace's checks (the same uid, CAP_SYS_PTRACE in our credentials' userns) and Yama's pass
 * for the container, so pidfd_getfd() and PTRACE_SEIZE would hand it our host-netns sockets.
 * Not dumpable, the kernel asks CAP_SYS_PTRACE in the userns we were exec'd in (mm->user_ns,
 * the host's side) too. A process reads its own /proc/self all the same; children forked after
 * inherit it, an exec would reset it (none does). Called first, before any socket or join.
 * PR_SET_DUMPABLE with 0 cannot fail.
 */
void isolate_undumpable(void)
{
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/**
 * isolate_caps() - Drop every capability but @keep, and set no_new_privs
 * @keep:	capabilities to keep (effective and permitted), or NULL
 * @n_keep:	how many
 * @bounding:	clear the bounding set too (keeping @keep in it)
 * @e:		what failed, or NULL
 *
 * The calling thread only, as capabilities are per thread: a daemon that starts threads calls
 * it in each, or before it starts them. Without CAP_SETPCAP the bounding set cannot be cleared,
 * but then there is nothing to take from it either (a user namespace that does not map us, or
 * one exec'd into before its maps were written), and no_new_privs keeps an exec from gaining
 * anything: the other sets are cleared alone then.
 *
 * Return: 0 on success, negative errno
 */
int isolate_caps(const int *keep, size_t n_keep, bool bounding, struct err *e)
{
	capng_select_t which = bounding ? CAPNG_SELECT_ALL : CAPNG_SELECT_BOTH;
	capng_type_t sets = CAPNG_EFFECTIVE | CAPNG_PERMITTED | (bounding ? CAPNG_BOUNDING_SET : 0);

	for (int attempt = 0; attempt < 2; attempt++) {
		capng_clear(which);
		for (size_t i = 0; i < n_keep; i++)
			if (capng_update(CAPNG_ADD, sets, (unsigned)keep[i]) < 0)
				return err_make(e, -EINVAL, "capability %d: unknown", keep[i]);
		if (capng_apply(which) >= 0)
			break;
		if (which == CAPNG_SELECT_BOTH)
			return err_make(e, -EPERM, "dropping capabilities: refused");
		which = CAPNG_SELECT_BOTH;
		sets = CAPNG_EFFECTIVE | CAPNG_PERMITTED;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return err_errno(e, -errno, "setting no_new_privs");
	return 0;
}
