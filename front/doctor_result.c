/* rootlet doctor's results: each check records its outcome here, below the checks and the run. */
#include <stdarg.h>
#include <stdio.h>

#include "doctor.h"

/**
 * doctor_result() - Record one check's outcome
 * @d:		the run
 * @status:	ok, warn or fail
 * @check:	what was checked, as the first column says it
 * @fix:	the command or step that fixes it, or NULL
 * @fmt:	what was found
 */
void doctor_result(struct doctor *d, enum doctor_status status, const char *check, const char *fix,
		   const char *fmt, ...)
{
	struct doctor_result *r;
	va_list ap;

	if (d->n >= DOCTOR_CHECKS)
		return;
	r = &d->results[d->n++];
	r->status = status;
	snprintf(r->check, sizeof(r->check), "%s", check);
	snprintf(r->fix, sizeof(r->fix), "%s", fix ? fix : "");
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
}
