/* The front door's one-line messages. */
#include <stdarg.h>
#include <stdio.h>

#include "front.h"

/* One line on standard error, "rootlet: ..." */
void front_error(const char *fmt, ...)
{
	va_list ap;

	fputs("rootlet: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
