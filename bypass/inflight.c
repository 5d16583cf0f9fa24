/* The calls received and not yet answered, in memory the standby shares: a kill loses none. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "bypass.h"

/*
 * Theory of operation
 *
 * The kernel counts a notification as delivered once a supervisor received it: killed before
 * its answer, its caller would wait on a listener the standby still holds, until a signal or
 * its end. So each notification received is written, whole, to a table mapped MAP_SHARED
 * before the first standby's fork (every later standby is a fork of a process that has it),
 * and cleared once answered: by dispatch for a call answered at once, by connect.c for a
 * connect() that waited in the loop. The standby that takes over finds what is left there and
 * handles it again from the start, on the listener whose SECCOMP_IOCTL_NOTIF_ID_VALID says the
 * call still waits (a filter's ids start at random: one listener's are not another's). A
 * connect() handled again makes a new twin and connects it anew; the old one went with the
 * killed process. Only one process of a pair writes at a time: the active.
 */

/**
 * inflight_init() - Map the table, before the first standby is forked
 * @st:		the daemon
 *
 * Return: 0 on success, negative errno
 */
int inflight_init(struct bp_state *st)
{
	void *p = mmap(NULL, sizeof(struct bp_inflight) * BP_INFLIGHT, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	st->inflight = p;
	return 0;
}

/**
 * inflight_add() - Record a notification just received
 * @st:		the daemon
 * @req:	the notification
 *
 * Return: its slot, or -1 (none free, or no table: a kill then loses it, as before)
 */
int inflight_add(struct bp_state *st, const struct seccomp_notif *req)
{
	if (!st->inflight)
		return -1;
	for (int i = 0; i < BP_INFLIGHT; i++)
		if (!__atomic_load_n(&st->inflight[i].used, __ATOMIC_ACQUIRE)) {
			st->inflight[i].req = *req;
			__atomic_store_n(&st->inflight[i].used, 1, __ATOMIC_RELEASE);
			return i;
		}
	return -1;
}

/**
 * inflight_clear() - A recorded notification is answered (or no longer ours to answer)
 * @st:		the daemon
 * @slot:	its slot, or -1
 */
void inflight_clear(struct bp_state *st, int slot)
{
	if (st->inflight && slot >= 0 && slot < BP_INFLIGHT)
		__atomic_store_n(&st->inflight[slot].used, 0, __ATOMIC_RELEASE);
}

/**
 * inflight_take() - The next notification a killed active left unanswered, its slot freed
 * @st:		the daemon
 * @from:	the slot to look from; set past the one returned
 * @ret:	the notification
 *
 * Return: true if one was found
 */
bool inflight_take(struct bp_state *st, int *from, struct seccomp_notif *ret)
{
	for (; st->inflight && *from < BP_INFLIGHT; (*from)++)
		if (__atomic_load_n(&st->inflight[*from].used, __ATOMIC_ACQUIRE)) {
			*ret = st->inflight[*from].req;
			inflight_clear(st, (*from)++);
			return true;
		}
	return false;
}

/**
 * inflight_free() - Unmap the table, at exit
 * @st:		the daemon
 */
void inflight_free(struct bp_state *st)
{
	if (st->inflight)
		munmap(st->inflight, sizeof(struct bp_inflight) * BP_INFLIGHT);
	st->inflight = NULL;
}
