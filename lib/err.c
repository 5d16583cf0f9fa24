/* An error as it travels up: a negative errno and its text, wrapped with context at each layer. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

static void vformat(char *buf, size_t len, const char *fmt, va_list ap)
{
	vsnprintf(buf, len, fmt, ap);
}

/*
 * A message longer than ERR_TEXT_MAX is cut, on purpose: it is read by a person, its start
 * says the most, and no name or path is ever taken from it.
 */
static void __attribute__((format(printf, 3, 4)))
format_cut(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vformat(buf, len, fmt, ap);
	va_end(ap);
}

/**
 * err_make() - Say what went wrong, in words of our own
 * @e:		the error, or NULL when the caller wants only the code
 * @code:	a negative errno
 * @fmt:	what went wrong, printf-style
 *
 * Return: @code
 */
int err_make(struct err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return code;
	va_start(ap, fmt);
	vformat(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
	e->code = code;
	return code;
}

/**
 * err_errno() - Say what failed; the errno's own text follows: "@fmt: strerror(-@code)"
 * @e:		the error, or NULL
 * @code:	a negative errno
 * @fmt:	what was being done, printf-style
 *
 * Return: @code
 */
int err_errno(struct err *e, int code, const char *fmt, ...)
{
	char what[ERR_TEXT_MAX];
	va_list ap;

	if (!e)
		return code;
	va_start(ap, fmt);
	vformat(what, sizeof(what), fmt, ap);
	va_end(ap);
	format_cut(e->text, sizeof(e->text), "%s: %s", what, strerror(-code));
	e->code = code;
	return code;
}

/**
 * err_wrap() - Put what this layer was doing in front: "@fmt: <text so far>"
 * @e:		the error, or NULL
 * @code:	the error's code, for a callee that returned one without saying more
 * @fmt:	context, printf-style
 *
 * Return: the error's code
 */
int err_wrap(struct err *e, int code, const char *fmt, ...)
{
	char what[ERR_TEXT_MAX], inner[ERR_TEXT_MAX];
	va_list ap;

	if (!e)
		return code;
	if (!e->code)
		e->code = code;
	format_cut(inner, sizeof(inner), "%s", err_text(e));
	va_start(ap, fmt);
	vformat(what, sizeof(what), fmt, ap);
	va_end(ap);
	format_cut(e->text, sizeof(e->text), "%s: %s", what, inner);
	return e->code;
}

/**
 * err_text() - What to print: the text, or the errno's own text when nothing more was said
 * @e:		the error
 *
 * Return: the text
 */
const char *err_text(struct err *e)
{
	if (!e->text[0] && e->code)
		snprintf(e->text, sizeof(e->text), "%s", strerror(-e->code));
	return e->text;
}

/**
 * err_why() - What main() prints for a failure with code @code: the text, or the code's own
 * @e:		the error, as the failed call left it (perhaps unsaid)
 * @code:	the negative errno the call returned
 *
 * Return: the text
 */
const char *err_why(struct err *e, int code)
{
	if (!e->code)
		e->code = code;
	return err_text(e);
}

/**
 * err_clear() - No error (again)
 * @e:		the error
 */
void err_clear(struct err *e)
{
	e->code = 0;
	e->text[0] = '\0';
}
