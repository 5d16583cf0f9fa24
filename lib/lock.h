/* flock(2)-based locks on files inside state directories. */
#ifndef ROOTLET_LOCK_H
#define ROOTLET_LOCK_H

#include <stdbool.h>

int lock_at(int dir_fd, const char *name, bool wait, int *ret_fd);
int lock_is_stale(int lock_fd);

#endif
