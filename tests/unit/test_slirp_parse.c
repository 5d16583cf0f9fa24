/* Unit tests of rootlet-slirp's parsers: API requests, --cidr, --macaddress. */
#include <arpa/inet.h>

#include "api.h"
#include "apiserver.h"
#include "slirp.h"
#include "unit.h"

static int parse(const char *text, struct api_request *r, struct err *why)
{
	return api_parse(text, strlen(text), r, why);
}

TEST(add_hostfwd_with_defaults)
{
	struct err why = { 0 };
	struct api_request r;
	const struct sockaddr_in *h = (const struct sockaddr_in *)&r.host;

	CHECK(parse("{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
		    "\"host_port\":8080,\"guest_port\":80}}",
		    &r, &why) == 0);
	CHECK(r.cmd == API_ADD_HOSTFWD && !r.udp && !r.guest_given && r.guest_port == 80);
	CHECK(h->sin_family == AF_INET && h->sin_addr.s_addr == htonl(INADDR_ANY));
	CHECK(ntohs(h->sin_port) == 8080);
}

TEST(add_hostfwd_ipv6_udp_port_zero_and_guest)
{
	struct err why = { 0 };
	struct api_request r;

	CHECK(parse("{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"udp\",\"host_addr\":"
		    "\"::1\",\"host_port\":0,\"guest_addr\":\"fd00::100\",\"guest_port\":53}}",
		    &r, &why) == 0);
	CHECK(r.udp && r.host.ss_family == AF_INET6 && r.guest_given);
	CHECK(r.guest.ss_family == AF_INET6);
	CHECK(ntohs(((struct sockaddr_in6 *)&r.guest)->sin6_port) == 53);
}

/* podman 4.3 sends "" for both: every host address, the default guest (as slirp4netns). */
TEST(add_hostfwd_empty_addresses_are_the_defaults)
{
	struct err why = { 0 };
	struct api_request r;
	const struct sockaddr_in *h = (const struct sockaddr_in *)&r.host;

	CHECK(parse("{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\",\"host_addr\":"
		    "\"\",\"host_port\":8080,\"guest_addr\":\"\",\"guest_port\":80}}",
		    &r, &why) == 0);
	CHECK(h->sin_family == AF_INET && h->sin_addr.s_addr == htonl(INADDR_ANY));
	CHECK(!r.guest_given && r.guest_port == 80);
}

/* A forward between families is refused: libslirp accepts it and resets every connection. */
TEST(add_hostfwd_mixed_families_refused_naming_host_addr)
{
	struct err why = { 0 };
	struct api_request r;

	CHECK(parse("{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\",\"host_addr\":"
		    "\"::1\",\"host_port\":1,\"guest_addr\":\"10.0.2.100\",\"guest_port\":80}}",
		    &r, &why) == -EINVAL);
	CHECK(strstr(why.text, "host_addr") != NULL);
	CHECK(parse("{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"udp\",\"host_addr\":"
		    "\"127.0.0.1\",\"host_port\":1,\"guest_addr\":\"fd00::100\",\"guest_port\":80}"
		    "}",
		    &r, &why) == -EINVAL);
}

TEST(list_and_remove)
{
	struct err why = { 0 };
	struct api_request r;

	CHECK(parse("{\"execute\":\"list_hostfwd\"}", &r, &why) == 0 && r.cmd == API_LIST_HOSTFWD);
	CHECK(parse("{\"execute\":\"remove_hostfwd\",\"arguments\":{\"id\":3}}", &r, &why) == 0);
	CHECK(r.cmd == API_REMOVE_HOSTFWD && r.id == 3);
}

TEST(every_malformed_request_gets_a_reason)
{
	const char *bad[] = {
		"",
		"garbage",
		"[]",
		"{\"foo\":1}",
		"{\"execute\":1}",
		"{\"execute\":\"nope\"}",
		"{\"execute\":\"add_hostfwd\"}",
		"{\"execute\":\"add_hostfwd\",\"arguments\":[]}",
		"{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"icmp\",\"host_port\":1,"
		"\"guest_port\":1}}",
		"{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\",\"host_port\":65536,"
		"\"guest_port\":1}}",
		"{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\",\"host_port\":-1,"
		"\"guest_port\":1}}",
		"{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\",\"host_port\":1.5,"
		"\"guest_port\":1}}",
		"{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\",\"host_port\":1,"
		"\"guest_port\":0}}",
		"{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\",\"host_addr\":\"x\","
		"\"host_port\":1,\"guest_port\":1}}",
		"{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\",\"host_port\":1,"
		"\"guest_addr\":7,\"guest_port\":1}}",
		"{\"execute\":\"remove_hostfwd\",\"arguments\":{\"id\":0}}",
		"{\"execute\":\"remove_hostfwd\"}",
		"{\"execute\":\"list_hostfwd\",\"execute\":\"list_hostfwd\"}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct err why = { 0 };
		struct api_request r;

		CHECK(parse(bad[i], &r, &why) == -EINVAL);
		CHECK(why.text[0] != '\0');
	}
}

TEST(a_request_is_complete_only_once_its_json_value_is)
{
	CHECK(apiserver_request_complete("{\"execute\":", 11) == 0);
	CHECK(apiserver_request_complete("{\"execute\":\"list_hostfwd\"}", 26) == 1);
	CHECK(apiserver_request_complete("{\"execute\":\"list_hostfwd\"} trailing", 35) == 1);
	CHECK(apiserver_request_complete("garbage", 7) == 1);
	CHECK(apiserver_request_complete("{\"a\":\"}]\\\"{\"", 12) == 0);
	CHECK(apiserver_request_complete("{\"a\":\"}]\\\"{\"}", 13) == 1);
	CHECK(apiserver_request_complete("  [1, {\"b\": [2]}", 17) == 0);
	CHECK(apiserver_request_complete("  [1, {\"b\": [2]}]", 18) == 1);
	CHECK(apiserver_request_complete("}", 1) == 1);
}

/* Fed a byte at a time, the scan looks at each byte once and ends where the whole one does. */
TEST(a_trickled_request_is_scanned_once_and_ends_with_its_value)
{
	static const char req[] = "{\"execute\":\"x\",\"arguments\":{\"s\":\"{[\\\"\"}} tail";
	size_t end = strlen(req) - strlen(" tail");
	struct apiserver_scan s = { 0 };
	size_t i;

	for (i = 1; i <= strlen(req); i++) {
		size_t before = s.pos;

		if (apiserver_scan(&s, req, i))
			break;
		CHECK(s.pos == i && s.pos - before <= 1);
	}
	CHECK(i == end);
}

TEST(cidr_accepts_network_addresses_with_prefix_1_to_25)
{
	struct in_addr net, mask;
	struct err why = { 0 };
	unsigned prefix;

	CHECK(opts_parse_cidr("10.0.2.0/24", &net, &mask, &prefix, &why) == 0 && prefix == 24);
	CHECK(mask.s_addr == htonl(0xffffff00));
	CHECK(opts_parse_cidr("192.168.0.0/25", &net, &mask, &prefix, &why) == 0);
	CHECK(opts_parse_cidr("10.0.0.0/8", &net, &mask, &prefix, &why) == 0);
	CHECK(opts_parse_cidr("10.0.2.1/24", &net, &mask, &prefix, &why) == -EINVAL);
	CHECK(opts_parse_cidr("10.0.2.0/26", &net, &mask, &prefix, &why) == -EINVAL);
	CHECK(opts_parse_cidr("10.0.2.0/0", &net, &mask, &prefix, &why) == -EINVAL);
	CHECK(opts_parse_cidr("10.0.2.0", &net, &mask, &prefix, &why) == -EINVAL);
	CHECK(opts_parse_cidr("10.0.2.0/24x", &net, &mask, &prefix, &why) == -EINVAL);
	CHECK(opts_parse_cidr("fd00::/64", &net, &mask, &prefix, &why) == -EINVAL);
}

TEST(mac_must_be_six_unicast_bytes)
{
	uint8_t mac[SLIRP_MAC_LEN];

	CHECK(opts_parse_mac("02:00:00:aa:bb:cc", mac) == 0 && mac[0] == 2 && mac[5] == 0xcc);
	CHECK(opts_parse_mac("01:00:00:aa:bb:cc", mac) == -EINVAL);
	CHECK(opts_parse_mac("02:00:00:aa:bb", mac) == -EINVAL);
	CHECK(opts_parse_mac("02:00:00:aa:bb:cc:dd", mac) == -EINVAL);
	CHECK(opts_parse_mac("02:00:00:aa:bb:zz", mac) == -EINVAL);
	CHECK(opts_parse_mac("02: 0:00:aa:bb:cc", mac) == -EINVAL);
}

UNIT_MAIN("slirp-parse", T(add_hostfwd_with_defaults), T(add_hostfwd_ipv6_udp_port_zero_and_guest),
	  T(add_hostfwd_empty_addresses_are_the_defaults),
	  T(add_hostfwd_mixed_families_refused_naming_host_addr), T(list_and_remove),
	  T(every_malformed_request_gets_a_reason),
	  T(a_request_is_complete_only_once_its_json_value_is),
	  T(a_trickled_request_is_scanned_once_and_ends_with_its_value),
	  T(cidr_accepts_network_addresses_with_prefix_1_to_25), T(mac_must_be_six_unicast_bytes))
