/* The monotonic clock, in the units the event loops count in. */
#include <time.h>

#include "monoclock.h"

#define NSEC_PER_SEC  1000000000LL
#define NSEC_PER_USEC 1000
#define NSEC_PER_MSEC 1000000

/**
 * mono_ns() - CLOCK_MONOTONIC in nanoseconds
 *
 * Return: nanoseconds
 */
int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/**
 * mono_us() - CLOCK_MONOTONIC in microseconds, for busy-poll deadlines
 *
 * Return: microseconds
 */
int64_t mono_us(void)
{
	return mono_ns() / NSEC_PER_USEC;
}

/**
 * mono_ms() - CLOCK_MONOTONIC in milliseconds, for timers, API deadlines and flow ages
 *
 * Return: milliseconds
 */
int64_t mono_ms(void)
{
	return mono_ns() / NSEC_PER_MSEC;
}
