/* Unit tests of rootlet-network's subnets: parsing, overlaps, picking a free one. */
#include <arpa/inet.h>

#include "network.h"
#include "unit.h"

static struct in_addr a4(const char *text)
{
	struct in_addr a;

	inet_pton(AF_INET, text, &a);
	return a;
}

static bool is4(struct in_addr a, const char *text)
{
	return a.s_addr == a4(text).s_addr;
}

TEST(parses_a_network_address_and_refuses_the_rest)
{
	const char *bad[] = { "10.89.0.1/24",  "10.89.0.0",    "10.89.0.0/",
			      "10.89.0.0/7",   "10.89.0.0/31", "10.89.0.0/24x",
			      "10.89.0.0/-24", "nonsense/24",  "fd00::/64" };
	struct in_addr net;
	unsigned prefix;

	CHECK(subnet_parse4("10.89.3.0/24", &net, &prefix, NULL) == 0 && is4(net, "10.89.3.0") &&
	      prefix == 24);
	CHECK(subnet_parse4("172.16.0.0/12", &net, &prefix, NULL) == 0 && prefix == 12);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct err e = { 0 };

		CHECK(subnet_parse4(bad[i], &net, &prefix, &e) == -EINVAL);
		CHECK(e.text[0] != '\0');
	}
}

TEST(parses_ipv6_subnets)
{
	struct in6_addr net;
	unsigned prefix;

	CHECK(subnet_parse6("fd89:0:0:3::/64", &net, &prefix, NULL) == 0 && prefix == 64);
	CHECK(subnet_parse6("fd89::1/64", &net, &prefix, NULL) == -EINVAL);
	CHECK(subnet_parse6("fd89::/32", &net, &prefix, NULL) == -EINVAL);
	CHECK(subnet_parse6("10.0.0.0/24", &net, &prefix, NULL) == -EINVAL);
}

TEST(overlap_and_containment)
{
	CHECK(subnet_overlap4(a4("10.89.0.0"), 24, a4("10.89.0.0"), 16));
	CHECK(subnet_overlap4(a4("10.0.0.0"), 8, a4("10.89.7.0"), 24));
	CHECK(!subnet_overlap4(a4("10.89.0.0"), 24, a4("10.89.1.0"), 24));
	CHECK(subnet_contains4(a4("10.89.0.0"), 24, a4("10.89.0.1")));
	CHECK(!subnet_contains4(a4("10.89.0.0"), 24, a4("10.89.0.0")));
	CHECK(!subnet_contains4(a4("10.89.0.0"), 24, a4("10.89.0.255")));
	CHECK(!subnet_contains4(a4("10.89.0.0"), 24, a4("10.89.1.1")));
}

/* The first 10.89.N.0/24 that nothing taken overlaps; none left is ENOSPC. */
TEST(picks_the_first_free_24)
{
	struct subnet4 taken[] = { { a4("10.89.0.0"), 24 },
				   { a4("10.89.1.128"), 25 },
				   { a4("10.89.3.7"), 32 } };
	struct subnet4 all = { a4("10.89.0.0"), 16 };
	struct in_addr got;

	CHECK(subnet_pick4(NULL, 0, &got) == 0 && is4(got, "10.89.0.0"));
	CHECK(subnet_pick4(taken, 3, &got) == 0 && is4(got, "10.89.2.0"));
	CHECK(subnet_pick4(&all, 1, &got) == -ENOSPC);
}

TEST(picks_a_free_64_away_from_slirps)
{
	struct subnet6 taken[1];
	struct in6_addr got, want;
	unsigned prefix;

	CHECK(subnet_pick6(NULL, 0, &got) == 0);
	inet_pton(AF_INET6, "fd89::", &want);
	CHECK(!memcmp(&got, &want, sizeof(got)));
	taken[0].net = got;
	taken[0].prefix = 64;
	CHECK(subnet_pick6(taken, 1, &got) == 0);
	CHECK(subnet_parse6("fd89:0:0:1::/64", &want, &prefix, NULL) == 0);
	CHECK(!memcmp(&got, &want, sizeof(got)));
}

/* Ranges a container cannot use as its subnet: loopback, multicast, link-local, 0/8, 240/4. */
TEST(reserved_ranges_are_named_and_private_ones_are_not)
{
	const char *bad4[] = { "127.0.0.0/24",	    "224.0.0.0/24", "239.255.0.0/16",
			       "169.254.0.0/24",    "0.0.0.0/8",    "240.0.0.0/24",
			       "255.255.255.252/30" };
	const char *good4[] = { "10.89.0.0/24", "172.16.0.0/12", "192.168.0.0/16",
				"100.64.0.0/10" };
	const char *bad6[] = { "fe80::/64",    "febf::/64",	"ff02::/64",
			       "::/64",	       "::ffff:0:0/96", "::a59:0/120",
			       "64:ff9b::/96", "64:ff9b::/120", "64:ff9b:1::/64" };
	const char *good6[] = { "fd89::/64", "2001:db8::/48", "fec0::/64" };
	struct in6_addr net6;
	struct in_addr net;
	unsigned prefix;

	for (size_t i = 0; i < sizeof(bad4) / sizeof(bad4[0]); i++)
		CHECK(!subnet_parse4(bad4[i], &net, &prefix, NULL) &&
		      subnet_reserved4(net, prefix) != NULL);
	for (size_t i = 0; i < sizeof(good4) / sizeof(good4[0]); i++)
		CHECK(!subnet_parse4(good4[i], &net, &prefix, NULL) &&
		      !subnet_reserved4(net, prefix));
	for (size_t i = 0; i < sizeof(bad6) / sizeof(bad6[0]); i++)
		CHECK(!subnet_parse6(bad6[i], &net6, &prefix, NULL) &&
		      subnet_reserved6(&net6, prefix) != NULL);
	for (size_t i = 0; i < sizeof(good6) / sizeof(good6[0]); i++)
		CHECK(!subnet_parse6(good6[i], &net6, &prefix, NULL) &&
		      !subnet_reserved6(&net6, prefix));
}

UNIT_MAIN("network_subnet", T(parses_a_network_address_and_refuses_the_rest),
	  T(parses_ipv6_subnets), T(overlap_and_containment), T(picks_the_first_free_24),
	  T(picks_a_free_64_away_from_slirps),
	  T(reserved_ranges_are_named_and_private_ones_are_not))
