/* Unit tests of port forward specs, as podman and docker write them. */
#include <arpa/inet.h>

#include "fwdspec.h"
#include "unit.h"

static int parse(const char *text, struct fwd_spec *s)
{
	struct err why = { 0 };

	return spec_parse(text, s, &why);
}

static const char *round_trip(const char *text)
{
	static char buf[SPEC_TEXT_MAX * 2];
	struct fwd_spec s;

	if (parse(text, &s))
		return "(refused)";
	spec_format(&s, buf, sizeof(buf));
	return buf;
}

TEST(single_ports_with_and_without_host_parts)
{
	CHECK(!strcmp(round_trip("8080:80"), "8080:80/tcp"));
	CHECK(!strcmp(round_trip("80"), "80/tcp"));
	CHECK(!strcmp(round_trip("0:80"), "80/tcp"));
	CHECK(!strcmp(round_trip("0.0.0.0:8080:80"), "0.0.0.0:8080:80/tcp"));
	CHECK(!strcmp(round_trip("127.0.0.1:8080:80"), "127.0.0.1:8080:80/tcp"));
	CHECK(!strcmp(round_trip("127.0.0.1::80/udp"), "127.0.0.1::80/udp"));
	CHECK(!strcmp(round_trip("[::1]:8080:80"), "[::1]:8080:80/tcp"));
	CHECK(!strcmp(round_trip("[::]::53/udp"), "[::]::53/udp"));
}

TEST(ranges_of_equal_length)
{
	struct fwd_spec s;

	CHECK(parse("8000-8009:80-89", &s) == 0);
	CHECK(s.host_port == 8000 && s.port == 80 && s.count == 10);
	CHECK(parse("80-89", &s) == 0 && s.host_port == 0 && s.count == 10);
	CHECK(parse("65535:65535", &s) == 0 && s.count == 1);
	CHECK(!strcmp(round_trip("8000-8001:80-81"), "8000-8001:80-81/tcp"));
}

/* No HOSTIP is every address of both families (podman's -p 8080:80); a given one is its own. */
TEST(no_host_address_is_dual_stack)
{
	struct fwd_spec s;

	CHECK(parse("8080:80", &s) == 0 && s.dual && s.host.ss_family == AF_INET6);
	CHECK(parse("80/udp", &s) == 0 && s.dual);
	CHECK(parse("0.0.0.0:8080:80", &s) == 0 && !s.dual && s.host.ss_family == AF_INET);
	CHECK(parse("[::]:8080:80", &s) == 0 && !s.dual && s.host.ss_family == AF_INET6);
	CHECK(parse("127.0.0.1::80", &s) == 0 && !s.dual);
}

TEST(every_malformed_spec_is_refused_with_a_reason)
{
	const char *bad[] = { "abc",
			      "70000:80",
			      "80-90:80-85",
			      "[::1:80",
			      "1.2.3:80:80",
			      "/tcp",
			      "80/icmp",
			      "",
			      "0",
			      "80:0",
			      "-80",
			      "80-",
			      "90-80",
			      "::1:80:80",
			      "80:80:80:80",
			      "a:80:80",
			      "[1.2.3.4]:80:80",
			      "80/",
			      "80/TCP",
			      "100000",
			      "65535-65536",
			      "8000-8001:80",
			      "65535-65535:1-2",
			      "1.2.3.4:80" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct err why = { 0 };
		struct fwd_spec s;

		CHECK(spec_parse(bad[i], &s, &why) == -EINVAL);
		CHECK(why.code == -EINVAL && why.text[0] != '\0');
	}
}

UNIT_MAIN("portfwd-spec", T(single_ports_with_and_without_host_parts), T(ranges_of_equal_length),
	  T(no_host_address_is_dual_stack), T(every_malformed_spec_is_refused_with_a_reason))
