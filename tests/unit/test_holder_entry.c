/* lib/holder_entry: the one warning rootlet-netns add and rootlet-network print about a map. */
#include <string.h>

#include "holder.h"
#include "unit.h"
#include "usermap.h"

TEST(only_own_ids_mapped_is_the_warning)
{
	struct usermap_diag d = { .n_warn = 1 };
	char buf[USERMAP_MSG_MAX];

	snprintf(d.fallback, sizeof(d.fallback), "no /etc/subuid entry for alice");
	snprintf(d.warn[0], sizeof(d.warn[0]), "/etc/subuid:3: malformed line skipped: x");
	holder_map_warning(&d, buf, sizeof(buf));
	CHECK(!strcmp(buf, "no /etc/subuid entry for alice"));
}

TEST(a_skipped_line_is_said_when_the_map_is_whole)
{
	struct usermap_diag d = { .n_warn = 2 };
	char buf[USERMAP_MSG_MAX];

	snprintf(d.warn[0], sizeof(d.warn[0]), "/etc/subuid:3: malformed line skipped: x");
	snprintf(d.warn[1], sizeof(d.warn[1]), "/etc/subgid:4: malformed line skipped: y");
	holder_map_warning(&d, buf, sizeof(buf));
	CHECK(!strcmp(buf, "/etc/subuid:3: malformed line skipped: x"));
}

TEST(nothing_to_say_is_empty)
{
	struct usermap_diag d = { 0 };
	char buf[USERMAP_MSG_MAX] = "stale";

	holder_map_warning(&d, buf, sizeof(buf));
	CHECK(buf[0] == '\0');
}

TEST(a_small_buffer_gets_the_line_cut)
{
	struct usermap_diag d = { 0 };
	char buf[8];

	snprintf(d.fallback, sizeof(d.fallback), "no /etc/subuid entry for alice");
	holder_map_warning(&d, buf, sizeof(buf));
	CHECK(!strcmp(buf, "no /etc"));
}

UNIT_MAIN("holder_entry", T(only_own_ids_mapped_is_the_warning),
	  T(a_skipped_line_is_said_when_the_map_is_whole), T(nothing_to_say_is_empty),
	  T(a_small_buffer_gets_the_line_cut))
