/* One-line messages to the user, prefixed with the program's name. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

/* program_invocation_short_name is set by libc from argv[0], so no state of our own is needed. */
static void log_line(const char *level, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: %s", program_invocation_short_name, level);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

/**
 * log_error() - Print "prog: message" on stderr
 * @fmt:	printf format of the message, without a trailing newline
 */
void log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line("", fmt, ap);
	va_end(ap);
}

/**
 * log_info() - Print "prog: message" on stderr: what a daemon does, said once (its log)
 * @fmt:	printf format of the message
 */
void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line("", fmt, ap);
	va_end(ap);
}

/**
 * log_warn() - Print "prog: warning: message" on stderr
 * @fmt:	printf format of the message
 */
void log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line("warning: ", fmt, ap);
	va_end(ap);
}

/**
 * log_debug() - Print "prog: debug: message" on stderr when debugging is on
 * @enabled:	whether --debug was given
 * @fmt:	printf format of the message
 */
void log_debug(bool enabled, const char *fmt, ...)
{
	va_list ap;

	if (!enabled)
		return;
	va_start(ap, fmt);
	log_line("debug: ", fmt, ap);
	va_end(ap);
}
