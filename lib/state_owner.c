/* The owners of a netns entry: the processes whose end is the entry's end (rootlet run's). */
#include <errno.h>
#include <unistd.h>

#include "lock.h"
#include "pidfile.h"
#include "proc.h"
#include "state.h"

/*
 * Theory of operation. `rootlet run` makes an entry for one command, and a teardown companion
 * removes it when the command ends. Either can be killed: the command alone (the teardown sees
 * it end), the teardown alone (only the holder would see the command end), or both. So it names
 * them in state.json: add records the command (run's own process, which becomes it) as it makes
 * the entry, and run adds the teardown once forked. The holder add starts ends with the command
 * by itself (a pidfd, netns/holder.c); an entry whose every owner has ended is also
 * `rootlet-netns gc`'s to remove, holder and helpers first, even though its holder still runs:
 * a root netns (no holder), one whose release found its lock busy, run --network's.
 * An owner is a pid and its start time: a pid alone may since belong to someone else. A zombie
 * has ended (its parent, the command, need not reap a killed teardown). An entry with no owners
 * (add, run --keep) is kept until del.
 */

/**
 * state_owner_of() - Record a running process as an owner
 * @pid:	the process
 * @ret:	its pid and start time
 *
 * Return: 0 on success, -ESRCH if it is not running (a zombie is not), negative errno
 */
int state_owner_of(pid_t pid, struct state_owner *ret)
{
	unsigned long long start;
	int err;

	if (pid <= 0)
		return -ESRCH;
	if ((err = proc_start_time(pid, &start)))
		return err;
	*ret = (struct state_owner){ .pid = pid, .start = start };
	return 0;
}

/**
 * state_owner_add() - Add a running process to the owners of an entry, under its lock
 * @dir_fd:	the entry's directory
 * @pid:	the process
 *
 * Return: 0 on success, -ENOENT if the entry is gone, -ESRCH if @pid is not running, -E2BIG
 *	   if it has STATE_OWNERS_MAX owners already, negative errno
 */
int state_owner_add(int dir_fd, pid_t pid)
{
	struct netns_state st;
	int lock_fd, err;

	if ((err = lock_at(dir_fd, STATE_LOCK, true, &lock_fd)))
		return err;
	if ((err = lock_is_stale(lock_fd))) {
		err = err > 0 ? -ENOENT : err;
		goto out;
	}
	if ((err = state_read(dir_fd, &st)))
		goto out;
	if (st.n_owners >= STATE_OWNERS_MAX) {
		err = -E2BIG;
		goto out;
	}
	if ((err = state_owner_of(pid, &st.owners[st.n_owners])))
		goto out;
	st.n_owners++;
	err = state_write(dir_fd, &st);
out:
	close(lock_fd);
	return err;
}

/**
 * state_owners_gone() - Tell whether an entry has owners and every one of them has ended
 * @st:		its state
 *
 * Return: 1 if all its owners have ended, 0 if one still runs or it has none, negative errno
 *	   if that cannot be told
 */
int state_owners_gone(const struct netns_state *st)
{
	if (!st->n_owners)
		return 0;
	for (int i = 0; i < st->n_owners; i++) {
		struct pidfile pf = { .pid = st->owners[i].pid, .start = st->owners[i].start };
		int live = pidfile_live(&pf);

		if (live)
			return live < 0 ? live : 0;
	}
	return 1;
}
