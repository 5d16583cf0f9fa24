/* Namespace file descriptors: open one checking its type, join one. */
#ifndef ROOTLET_NSFD_H
#define ROOTLET_NSFD_H

#include <stdbool.h>

int ns_open_at(int dir_fd, const char *path, int nstype, int *ret_fd);
int ns_join(int fd, int nstype);
const char *ns_type_name(int nstype);
bool ns_is_ours(int fd, int nstype);

#endif
