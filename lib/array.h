/* Arrays indexed by fd number, grown as fds are seen. */
#ifndef ROOTLET_ARRAY_H
#define ROOTLET_ARRAY_H

#include <stddef.h>

int array_grow(void **items, int *n, int index, size_t size, int step);

#endif
