/* A daemon's filesystem sandbox: a mount namespace whose root is empty and read-only. */
#ifndef ROOTLET_SANDBOX_H
#define ROOTLET_SANDBOX_H

#include <stddef.h>

#define SANDBOX_DIRS_MAX 4 /* host directories a sandbox may keep, read-only */

int sandbox_root(const char *const *dirs, size_t n, const char **ret_step);

#endif
