/* Unit tests of rootlet run's notify relay: what a datagram from inside becomes on the host. */
#include <string.h>

#include "front.h"
#include "unit.h"

/* A pid namespace where 1 is host pid 4242 and nothing else is known. */
static pid_t map_one(pid_t inner, void *ctx)
{
	(void)ctx;
	return inner == 1 ? 4242 : -1;
}

static const char *translate(const char *msg, pid_t main_pid, char *out, size_t len)
{
	size_t n = relay_translate(msg, strlen(msg), main_pid, map_one, NULL, out, len - 1);

	out[n] = '\0';
	return out;
}

TEST(ready_gets_the_main_pid_and_the_rest_passes)
{
	char out[256];

	CHECK(!strcmp(translate("READY=1\nSTATUS=up", 77, out, sizeof(out)),
		      "READY=1\nSTATUS=up\nMAINPID=77"));
	CHECK(!strcmp(translate("STATUS=working", 77, out, sizeof(out)), "STATUS=working"));
	CHECK(!strcmp(translate("STOPPING=1\n", 77, out, sizeof(out)), "STOPPING=1"));
}

TEST(mainpid_is_translated_or_dropped)
{
	char out[256];

	CHECK(!strcmp(translate("READY=1\nMAINPID=1", 77, out, sizeof(out)),
		      "READY=1\nMAINPID=4242"));
	/* A pid the host cannot find is not guessed at: the command's own is named instead. */
	CHECK(!strcmp(translate("READY=1\nMAINPID=9", 77, out, sizeof(out)),
		      "READY=1\nMAINPID=77"));
	CHECK(!strcmp(translate("MAINPID=x1", 77, out, sizeof(out)), ""));
	CHECK(!strcmp(translate("MAINPID=", 77, out, sizeof(out)), "MAINPID="));
	CHECK(!strcmp(translate("MAINPID=-1\nSTATUS=s", 77, out, sizeof(out)), "STATUS=s"));
	CHECK(!strcmp(translate("MAINPID=123456789012345678901234567890", 77, out, sizeof(out)),
		      ""));
}

TEST(nothing_overflows_a_small_buffer)
{
	char out[8];

	memset(out, 'x', sizeof(out));
	translate("STATUS=a very long status line\nREADY=1", 77, out, sizeof(out));
	CHECK(strlen(out) < sizeof(out));
}

UNIT_MAIN("front_notify_relay", T(ready_gets_the_main_pid_and_the_rest_passes),
	  T(mainpid_is_translated_or_dropped), T(nothing_overflows_a_small_buffer))
