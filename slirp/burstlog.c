/* When a daemon line about what the guest sends is due: once a burst, a bounded number in all. */
#include "burstlog.h"

/*
 * rootlet-slirp's own lines about a guest's frames (drops, refusals) were written once a
 * burst; a guest that sent one bad frame a second and a bit made every one a burst and grew
 * slirp.log, in the runtime directory's tmpfs, for as long as it liked (eighth outside attack).
 * So after BURSTLOG_LINES lines a line is written once each BURSTLOG_QUIET_MS at most; the
 * lines carry their running counts, so a later one still says how many there were.
 */

/**
 * burstlog_due() - An event: whether its line is to be written now
 * @b:		the line's state, zeroed at first
 * @now:	mono_ms()
 *
 * Return: true for the first event of a burst, while fewer than BURSTLOG_LINES were written,
 * and after that for the first of a burst once BURSTLOG_QUIET_MS have passed since the last
 */
bool burstlog_due(struct burstlog *b, int64_t now)
{
	bool burst = !b->last_ms || now - b->last_ms > BURSTLOG_GAP_MS;

	b->last_ms = now;
	if (!burst)
		return false;
	if (b->lines < BURSTLOG_LINES) {
		b->lines++;
		return true;
	}
	if (b->quiet_ms && now - b->quiet_ms < BURSTLOG_QUIET_MS)
		return false;
	b->quiet_ms = now;
	return true;
}
