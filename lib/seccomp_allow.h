/* Installing a seccomp allow-list: everything not listed fails with EPERM. */
#ifndef ROOTLET_SECCOMP_ALLOW_H
#define ROOTLET_SECCOMP_ALLOW_H

#include <stdbool.h>
#include <stddef.h>

int seccomp_allow(const int *syscalls, size_t n, bool all_threads);

#endif
