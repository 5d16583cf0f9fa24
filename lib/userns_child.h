/* A user namespace of its own for a netns, the child of another: mapped, and its ancestry read. */
#ifndef ROOTLET_USERNS_CHILD_H
#define ROOTLET_USERNS_CHILD_H

#include <sys/types.h>

#include "err.h"

int userns_child_map(pid_t pid, int parent_fd, struct err *e);
int userns_depth_below(int user_fd, int anc_fd);
int userns_top(int user_fd, int *ret_fd);

#endif
