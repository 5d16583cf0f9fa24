/* Formatting into a fixed buffer that says when the text did not fit, never cutting silently. */
#ifndef ROOTLET_STRFMT_H
#define ROOTLET_STRFMT_H

#include <stddef.h>

int str_fmt(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
