/* Unit tests of rootlet-slirp's count of the guest's host sockets (slirp/conns.c). */
#include "conns.h"
#include "unit.h"

/*
 * The closing connections are kept in slots by a hash of their flow: with a hash every run
 * shares, a guest could work out flows that meet in one slot and push out another's entry.
 * Each table hashes with its own secret.
 */
TEST(each_table_hashes_its_flows_with_its_own_secret)
{
	struct conns a = { 0 }, b = { 0 };

	CHECK(conns_init(&a, 0, 0, NULL) == 0);
	CHECK(conns_init(&b, 0, 0, NULL) == 0);
	CHECK(a.seed != b.seed);
	conns_free(&a);
	conns_free(&b);
}

UNIT_MAIN("slirp_conns", T(each_table_hashes_its_flows_with_its_own_secret))
