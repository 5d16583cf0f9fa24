/* Unit tests of the notify rules merged into a config.json's seccomp profile. */
#include <jansson.h>

#include "oci.h"
#include "unit.h"

static const char *const hooked[] = { "connect", "bind" };

/* The profile after the merge, compact; or "error N". */
static char *merge(const char *config_text, size_t *ret_hooked)
{
	json_t *config = json_loads(config_text, 0, NULL);
	char *out;
	int err = oci_seccomp_notify(config, "/run/x/bypass.sock", hooked, 2, ret_hooked);

	if (err) {
		out = malloc(32);
		snprintf(out, 32, "error %d", err);
	} else {
		out = json_dumps(json_object_get(json_object_get(config, "linux"), "seccomp"),
				 JSON_COMPACT | JSON_PRESERVE_ORDER);
	}
	json_decref(config);
	return out;
}

static bool merges_to(const char *in, const char *want, size_t want_hooked)
{
	size_t n = 99;
	char *got = merge(in, &n);
	bool ok = !strcmp(got, want) && n == want_hooked;

	if (!ok)
		fprintf(stderr, "  got %s (%zu hooked)\n", got, n);
	free(got);
	return ok;
}

TEST(no_profile_gets_one_that_allows_all_but_notifies)
{
	CHECK(merges_to(
		"{}",
		"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"connect\","
		"\"bind\"],\"action\":\"SCMP_ACT_NOTIFY\"}],\"listenerPath\":\"/run/x/"
		"bypass.sock\"}",
		2));
}

TEST(an_allow_list_profile_keeps_every_other_rule)
{
	CHECK(merges_to(
		"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{"
		"\"names\":[\"read\",\"connect\",\"bind\"],\"action\":\"SCMP_ACT_ALLOW\"},{"
		"\"names\":"
		"[\"bind\"],\"action\":\"SCMP_ACT_ALLOW\"},{\"names\":[\"ptrace\"],\"action\":"
		"\"SCMP_ACT_ERRNO\"}]}}}",
		"{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],"
		"\"action\":"
		"\"SCMP_ACT_ALLOW\"},{\"names\":[\"ptrace\"],\"action\":\"SCMP_ACT_ERRNO\"},{"
		"\"names\":[\"connect\",\"bind\"],\"action\":\"SCMP_ACT_NOTIFY\"}],"
		"\"listenerPath\":"
		"\"/run/x/bypass.sock\"}",
		2));
}

TEST(a_call_the_profile_refuses_or_conditions_is_not_hooked)
{
	/* Refused by default and named nowhere; refused by a rule; allowed on a condition. */
	CHECK(merges_to(
		"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":"
		"[{\"names\":[\"bind\"],\"action\":\"SCMP_ACT_ALLOW\"}]}}}",
		"{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"bind\"],"
		"\"action\":\"SCMP_ACT_NOTIFY\"}],\"listenerPath\":\"/run/x/bypass.sock\"}",
		1));
	CHECK(merges_to(
		"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
		"[{\"names\":[\"connect\",\"bind\"],\"action\":\"SCMP_ACT_KILL\"}]}}}",
		"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"connect\","
		"\"bind\"],\"action\":\"SCMP_ACT_KILL\"}]}",
		0));
	CHECK(merges_to(
		"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":"
		"[{\"names\":[\"connect\",\"bind\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":"
		"{\"caps\":[\"CAP_NET_ADMIN\"]}}]}}}",
		"{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"connect\","
		"\"bind\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"caps\":[\"CAP_NET_"
		"ADMIN\"]}}]}",
		0));
}

TEST(merging_twice_changes_nothing_more)
{
	size_t n;
	char *once = merge("{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\"}}}", &n);
	char *text, *twice;

	CHECK(asprintf(&text, "{\"linux\":{\"seccomp\":%s}}", once) > 0);
	twice = merge(text, &n);
	CHECK(!strcmp(once, twice));
	CHECK(n == 2);
	free(once);
	free(twice);
	free(text);
}

TEST(another_listener_or_a_wrong_type_is_refused)
{
	size_t n;
	char *got = merge("{\"linux\":{\"seccomp\":{\"listenerPath\":\"/other\"}}}", &n);

	CHECK(!strcmp(got, "error -17")); /* EEXIST */
	free(got);
	got = merge("{\"linux\":{\"seccomp\":[]}}", &n);
	CHECK(!strcmp(got, "error -22")); /* EINVAL */
	free(got);
	got = merge("{\"linux\":{\"seccomp\":{\"syscalls\":{}}}}", &n);
	CHECK(!strcmp(got, "error -22"));
	free(got);
}

UNIT_MAIN("oci_seccomp", T(no_profile_gets_one_that_allows_all_but_notifies),
	  T(an_allow_list_profile_keeps_every_other_rule),
	  T(a_call_the_profile_refuses_or_conditions_is_not_hooked),
	  T(merging_twice_changes_nothing_more), T(another_listener_or_a_wrong_type_is_refused))
