/* Formatting into a fixed buffer that says when the text did not fit, never cutting silently. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "strfmt.h"

/**
 * str_fmt() - snprintf() whose caller must hear of a cut: names and paths are never cut
 * @buf:	where the text goes, always terminated when @len is not 0
 * @len:	its size
 * @fmt:	printf-style format
 *
 * Every name or path rootlet builds in a fixed buffer goes through here (the build's
 * -Wformat-truncation=2 flags a plain snprintf() into one), so that a text too long for its
 * buffer is an error the caller reports, never a shorter name that may be someone else's.
 *
 * Return: 0 on success, -ENAMETOOLONG if the text did not fit, -EINVAL on an encoding error
 */
int str_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	return (size_t)n < len ? 0 : -ENAMETOOLONG;
}
