/* The monotonic clock, in the units the event loops count in. */
#ifndef ROOTLET_MONOCLOCK_H
#define ROOTLET_MONOCLOCK_H

#include <stdint.h>

int64_t mono_ns(void);
int64_t mono_us(void);
int64_t mono_ms(void);

#endif
