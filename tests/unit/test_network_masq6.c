/* Unit tests of the split of a shared network's masqueraded IPv6 ports (lib/masq6). */
#include <arpa/inet.h>

#include "masq6.h"
#include "unit.h"

static struct in_addr a4(const char *text)
{
	struct in_addr a;

	inet_pton(AF_INET, text, &a);
	return a;
}

static struct masq6_split split(const char *net, unsigned prefix)
{
	struct masq6_split s;

	masq6_split_init(&s, a4(net), prefix);
	return s;
}

TEST(a_24s_containers_have_992_ports_each_from_2048)
{
	struct masq6_split s = split("10.89.0.0", 24);
	struct in_addr owner;
	uint16_t lo, hi;

	masq6_ports(&s, a4("10.89.0.2"), &lo, &hi);
	CHECK(lo == 4032 && hi == 5023);
	masq6_ports(&s, a4("10.89.0.3"), &lo, &hi);
	CHECK(lo == 5024 && hi == 6015);
	CHECK(masq6_port_owner(&s, 4032, &owner) && owner.s_addr == a4("10.89.0.2").s_addr);
	CHECK(masq6_port_owner(&s, 5023, &owner) && owner.s_addr == a4("10.89.0.2").s_addr);
	CHECK(masq6_port_owner(&s, 5024, &owner) && owner.s_addr == a4("10.89.0.3").s_addr);
}

TEST(every_host_numbers_range_maps_back_to_its_owner_and_none_overlap)
{
	static const unsigned prefixes[] = { 8, 16, 22, 24, 26, 27, 28, 30 };

	for (size_t p = 0; p < sizeof(prefixes) / sizeof(prefixes[0]); p++) {
		struct masq6_split s = split("10.0.0.0", prefixes[p]);
		unsigned hosts = prefixes[p] >= 24 ? 1U << (32 - prefixes[p]) : 256;
		unsigned next = MASQ6_PORT_BASE;

		for (unsigned h = 0; h < hosts; h++) {
			struct in_addr ip = { htonl(0x0a000000 | h) }, owner;
			uint16_t lo, hi;

			masq6_ports(&s, ip, &lo, &hi);
			if (h < s.slots) {
				CHECK(lo == next && hi >= lo);
				next = hi + 1U;
			}
			CHECK(lo >= MASQ6_PORT_BASE && hi >= lo);
			CHECK(masq6_port_owner(&s, lo, &owner) && masq6_port_owner(&s, hi, &owner));
			CHECK(owner.s_addr == masq6_owner(&s, ip).s_addr);
		}
		CHECK(s.slots <= MASQ6_SLOTS_MAX && next <= MASQ6_PORT_END);
	}
}

TEST(a_larger_subnets_host_numbers_64_apart_share_a_range_and_an_owner)
{
	struct masq6_split s = split("10.89.0.0", 16);
	uint16_t lo1, hi1, lo2, hi2;

	masq6_ports(&s, a4("10.89.0.5"), &lo1, &hi1);
	masq6_ports(&s, a4("10.89.1.69"), &lo2, &hi2);
	CHECK(lo1 == lo2 && hi1 == hi2 && hi1 - lo1 + 1 == 992);
	CHECK(masq6_owner(&s, a4("10.89.1.69")).s_addr == a4("10.89.0.5").s_addr);
	CHECK(masq6_owner(&s, a4("10.89.0.5")).s_addr == a4("10.89.0.5").s_addr);
}

TEST(the_infras_own_ports_and_ports_past_the_last_range_have_no_owner)
{
	struct masq6_split s = split("10.89.0.0", 24), t = split("10.89.0.0", 27);
	struct in_addr owner;

	CHECK(!masq6_port_owner(&s, MASQ6_PORT_INFRA_LO, &owner));
	CHECK(!masq6_port_owner(&s, MASQ6_PORT_INFRA_HI, &owner));
	CHECK(!masq6_port_owner(&s, 80, &owner));
	/* 64 ranges of 992 end at 65535; 32 ranges of 1984 too. */
	CHECK(masq6_port_owner(&s, 65535, &owner) && owner.s_addr == a4("10.89.0.63").s_addr);
	CHECK(masq6_port_owner(&t, 65535, &owner) && owner.s_addr == a4("10.89.0.31").s_addr);
	CHECK(!masq6_in_subnet(&s, a4("10.89.1.2")) && masq6_in_subnet(&s, a4("10.89.0.255")));
}

UNIT_MAIN("network_masq6", T(a_24s_containers_have_992_ports_each_from_2048),
	  T(every_host_numbers_range_maps_back_to_its_owner_and_none_overlap),
	  T(a_larger_subnets_host_numbers_64_apart_share_a_range_and_an_owner),
	  T(the_infras_own_ports_and_ports_past_the_last_range_have_no_owner))
