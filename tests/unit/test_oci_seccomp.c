/* Unit tests of the notify rules merged into a config.json's seccomp profile. */
#include <jansson.h>

#include "oci.h"
#include "unit.h"

static const char *const hooked[] = { "connect", "bind" };
static const struct oci_notify plain = { .hooked = hooked, .n_hooked = 2 };

/* The profile after merging @spec, compact; or "error N" (and the call the profile conditions) */
static char *merge_spec(const char *config_text, const struct oci_notify *spec, size_t *ret_hooked)
{
	json_t *config = json_loads(config_text, 0, NULL);
	const char *unguarded = NULL;
	char *out;
	int err = oci_seccomp_notify(config, "/run/x/bypass.sock", spec, ret_hooked, &unguarded);

	if (err) {
		out = malloc(64);
		snprintf(out, 64, "error %d%s%s", err, unguarded ? " " : "",
			 unguarded ? unguarded : "");
	} else {
		out = json_dumps(json_object_get(json_object_get(config, "linux"), "seccomp"),
				 JSON_COMPACT | JSON_PRESERVE_ORDER);
	}
	json_decref(config);
	return out;
}

static char *merge(const char *config_text, size_t *ret_hooked)
{
	return merge_spec(config_text, &plain, ret_hooked);
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

TEST(a_call_the_profile_refuses_is_not_hooked)
{
	/* Refused by default and named nowhere; refused by a rule. */
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
}

/* Allowed on a condition, a call cannot be hooked, and a twin would be unguarded: refused. */
TEST(a_call_the_profile_conditions_refuses_the_merge)
{
	size_t n;
	char *got = merge("{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\","
			  "\"syscalls\":[{\"names\":[\"connect\",\"bind\"],\"action\":"
			  "\"SCMP_ACT_ALLOW\",\"includes\":{\"caps\":[\"CAP_NET_ADMIN\"]}}]}}}",
			  &n);

	CHECK(!strcmp(got, "error -1 connect"));
	free(got);
	got = merge("{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
		    "\"syscalls\":[{\"names\":[\"connect\"],\"action\":\"SCMP_ACT_ERRNO\","
		    "\"args\":[{\"index\":0,\"value\":99,\"op\":\"SCMP_CMP_EQ\"}]}]}}}",
		    &n);
	CHECK(!strcmp(got, "error -1 connect"));
	free(got);
}

/* Fast-open sends notified on their flag only, io_uring refused whatever the profile said. */
TEST(sends_are_notified_on_their_flag_and_refused_calls_refused)
{
	static const char *const flagged[] = { "sendto", "sendmsg" };
	static const unsigned arg[] = { 3, 2 };
	static const char *const refused[] = { "io_uring_setup" };
	const struct oci_notify spec = { .hooked = hooked,
					 .n_hooked = 2,
					 .flagged = flagged,
					 .flag_arg = arg,
					 .n_flagged = 2,
					 .flag = 0x20000000,
					 .refused = refused,
					 .n_refused = 1,
					 .refused_errno = 38 };
	size_t n;
	char *got = merge_spec(
		"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{"
		"\"names\":[\"read\",\"connect\",\"bind\",\"sendto\",\"io_uring_setup\"],"
		"\"action\":\"SCMP_ACT_ALLOW\"}]}}}",
		&spec, &n);

	CHECK(!strcmp(
		got,
		"{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],"
		"\"action\":\"SCMP_ACT_ALLOW\"},{\"names\":[\"connect\",\"bind\"],\"action\":"
		"\"SCMP_ACT_NOTIFY\"},{\"names\":[\"sendto\"],\"action\":\"SCMP_ACT_ALLOW\","
		"\"args\":[{\"index\":3,\"value\":536870912,\"valueTwo\":0,\"op\":\"SCMP_CMP_"
		"MASKED_EQ\"}]},{\"names\":[\"sendto\"],\"action\":\"SCMP_ACT_NOTIFY\",\"args\":"
		"[{\"index\":3,\"value\":536870912,\"valueTwo\":536870912,\"op\":\"SCMP_CMP_"
		"MASKED_EQ\"}]},{\"names\":[\"io_uring_setup\"],\"action\":\"SCMP_ACT_ERRNO\","
		"\"errnoRet\":38}],\"listenerPath\":\"/run/x/bypass.sock\"}"));
	CHECK(n == 2);
	free(got);
}

/* Issue 24 (A): a notify rule of the profile's own, on one fd, is no hook of ours. */
TEST(a_conditional_notify_rule_of_the_profile_refuses_the_merge)
{
	size_t n;
	char *got = merge("{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
			  "\"syscalls\":[{\"names\":[\"connect\",\"sendto\",\"sendmsg\","
			  "\"sendmmsg\"],\"action\":\"SCMP_ACT_NOTIFY\",\"args\":[{\"index\":0,"
			  "\"value\":9999,\"op\":\"SCMP_CMP_EQ\"}]}]}}}",
			  &n);

	CHECK(!strcmp(got, "error -1 connect")); /* EPERM */
	free(got);
}

/* Issue 24 (B): LOG (or TRACE) lets connect run: it moves to our notify rule, none survives. */
TEST(a_call_the_profile_logs_or_traces_is_hooked_and_its_rule_loses_it)
{
	CHECK(merges_to("{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
			"\"syscalls\":[{\"names\":[\"connect\",\"read\"],\"action\":"
			"\"SCMP_ACT_LOG\"},{\"names\":[\"bind\"],\"action\":"
			"\"SCMP_ACT_TRACE\"}]}}}",
			"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
			"\"action\":\"SCMP_ACT_LOG\"},{\"names\":[\"connect\",\"bind\"],"
			"\"action\":\"SCMP_ACT_NOTIFY\"}],\"listenerPath\":\"/run/x/bypass.sock\"}",
			2));
}

/* A flagged call's notify rule of the profile's own, on other arguments, is not ours either. */
TEST(a_profile_notify_rule_on_a_flagged_call_refuses_the_merge)
{
	static const char *const flagged[] = { "sendto" };
	static const unsigned flag_arg[] = { 3 };
	const struct oci_notify spec = { .hooked = hooked,
					 .n_hooked = 2,
					 .flagged = flagged,
					 .flag_arg = flag_arg,
					 .n_flagged = 1,
					 .flag = 0x20000000 };
	size_t n;
	char *got = merge_spec("{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
			       "\"syscalls\":[{\"names\":[\"sendto\"],\"action\":"
			       "\"SCMP_ACT_NOTIFY\",\"args\":[{\"index\":0,\"value\":9999,"
			       "\"op\":\"SCMP_CMP_EQ\"}]}]}}}",
			       &spec, &n);

	CHECK(!strcmp(got, "error -1 sendto"));
	free(got);
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
	  T(a_call_the_profile_refuses_is_not_hooked),
	  T(a_call_the_profile_conditions_refuses_the_merge),
	  T(sends_are_notified_on_their_flag_and_refused_calls_refused),
	  T(a_conditional_notify_rule_of_the_profile_refuses_the_merge),
	  T(a_call_the_profile_logs_or_traces_is_hooked_and_its_rule_loses_it),
	  T(a_profile_notify_rule_on_a_flagged_call_refuses_the_merge),
	  T(merging_twice_changes_nothing_more), T(another_listener_or_a_wrong_type_is_refused))
