/* One-line messages to the user, prefixed with the program's name. */
#ifndef ROOTLET_LOG_H
#define ROOTLET_LOG_H

#include <stdbool.h>

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(bool enabled, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
