/* Unit tests of rootlet-slirp's lines about the guest's frames: once a burst, bounded in all. */
#include "burstlog.h"
#include "unit.h"

#define START_MS 5000 /* any clock reading but 0, the never-seen mark */

TEST(the_first_event_of_a_burst_is_logged_and_the_rest_of_it_not)
{
	struct burstlog b = { 0 };

	CHECK(burstlog_due(&b, START_MS));
	CHECK(!burstlog_due(&b, START_MS + BURSTLOG_GAP_MS));
	/* each event extends the burst: still one, however long it goes on */
	CHECK(!burstlog_due(&b, START_MS + 2 * BURSTLOG_GAP_MS));
	CHECK(burstlog_due(&b, START_MS + 3 * BURSTLOG_GAP_MS + 1));
}

/*
 * Eighth outside attack: one bad frame each 1.1 s made every drop a burst of its own, a line
 * each, for as long as the guest liked. After BURSTLOG_LINES lines, one at most each
 * BURSTLOG_QUIET_MS.
 */
TEST(bursts_past_the_bound_get_a_line_an_hour_at_most)
{
	struct burstlog b = { 0 };
	int64_t now = START_MS, step = BURSTLOG_GAP_MS + BURSTLOG_GAP_MS / 10;
	unsigned lines = 0;

	for (int i = 0; i < 3 * BURSTLOG_LINES; i++, now += step)
		lines += burstlog_due(&b, now);
	CHECK(lines == BURSTLOG_LINES + 1); /* the bound, and the first of the quiet */
	for (; now < START_MS + BURSTLOG_QUIET_MS; now += step)
		lines += burstlog_due(&b, now);
	CHECK(lines == BURSTLOG_LINES + 1);
	now += BURSTLOG_QUIET_MS;
	CHECK(burstlog_due(&b, now));
	CHECK(!burstlog_due(&b, now + step));
}

UNIT_MAIN("slirp-burstlog", T(the_first_event_of_a_burst_is_logged_and_the_rest_of_it_not),
	  T(bursts_past_the_bound_get_a_line_an_hour_at_most))
