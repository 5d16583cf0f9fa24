/* Unit tests of rootlet-network's addresses: IPAM over the attachment list, MACs, names. */
#include <arpa/inet.h>
#include <jansson.h>
#include <string.h>

#include "network.h"
#include "unit.h"

/* A /29 (six hosts) with gateway .1 and the given attachments, parsed as a record's are. */
static void small_net(struct net_record *r, const char *ips)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "n");
	inet_pton(AF_INET, "10.89.0.0", &r->subnet);
	inet_pton(AF_INET, "10.89.0.1", &r->gateway);
	r->prefix = 29;
	r->ipv6 = true;
	inet_pton(AF_INET6, "fd89::", &r->subnet6);
	inet_pton(AF_INET6, "fd89::1", &r->gateway6);
	r->prefix6 = 64;
	json_t *arr = json_loads(ips, 0, NULL);

	/* A list that does not parse is left empty: the CHECKs on it fail. */
	att_list_from_json(arr, r);
	json_decref(arr);
}

static bool is4(struct in_addr a, const char *text)
{
	struct in_addr b;

	return inet_pton(AF_INET, text, &b) == 1 && a.s_addr == b.s_addr;
}

TEST(lowest_free_address_skips_the_gateway_and_the_taken)
{
	struct net_record r;
	struct in_addr ip;

	small_net(&r, "[{\"id\":\"a\",\"ip\":\"10.89.0.2\"},{\"id\":\"b\",\"ip\":\"10.89.0.4\"}]");
	CHECK(attach_pick_ip(&r, NULL, &ip, NULL) == 0 && is4(ip, "10.89.0.3"));
	CHECK(attach_find(&r, "b") && !attach_find(&r, "c"));
	att_list_clear(&r);
	/* .2 to .6 taken: a /29 has nothing left (.7 is its broadcast). */
	small_net(&r, "[{\"ip\":\"10.89.0.2\"},{\"ip\":\"10.89.0.3\"},{\"ip\":\"10.89.0.4\"},"
		      "{\"ip\":\"10.89.0.5\"},{\"ip\":\"10.89.0.6\"}]");
	CHECK(attach_pick_ip(&r, NULL, &ip, NULL) == -ENOSPC);
	att_list_clear(&r);
}

TEST(a_static_address_is_refused_with_its_reason)
{
	struct net_record r;
	struct in_addr ip;
	struct err e = { 0 };

	small_net(&r, "[{\"ip\":\"10.89.0.2\"}]");
	CHECK(attach_pick_ip(&r, "10.89.0.5", &ip, NULL) == 0 && is4(ip, "10.89.0.5"));
	CHECK(attach_pick_ip(&r, "10.89.0.2", &ip, &e) == -EADDRINUSE && strstr(e.text, "taken"));
	CHECK(attach_pick_ip(&r, "10.89.0.1", &ip, &e) == -EADDRINUSE && strstr(e.text, "gateway"));
	CHECK(attach_pick_ip(&r, "10.89.0.0", &ip, &e) == -EINVAL && strstr(e.text, "network"));
	CHECK(attach_pick_ip(&r, "10.89.0.7", &ip, &e) == -EINVAL && strstr(e.text, "broadcast"));
	CHECK(attach_pick_ip(&r, "10.89.0.8", &ip, &e) == -EINVAL && strstr(e.text, "not in"));
	CHECK(attach_pick_ip(&r, "nonsense", &ip, &e) == -EINVAL);
	att_list_clear(&r);
}

TEST(ipv6_addresses_come_from_the_subnet6)
{
	struct net_record r;
	struct in6_addr ip6, want;
	struct err e = { 0 };

	small_net(&r, "[{\"ip6\":\"fd89::2\"}]");
	CHECK(attach_pick_ip6(&r, NULL, &ip6, NULL) == 0);
	CHECK(inet_pton(AF_INET6, "fd89::3", &want) == 1 && !memcmp(&ip6, &want, sizeof(want)));
	CHECK(attach_pick_ip6(&r, "fd89::2", &ip6, &e) == -EADDRINUSE);
	CHECK(attach_pick_ip6(&r, "fd89::1", &ip6, &e) == -EADDRINUSE);
	CHECK(attach_pick_ip6(&r, "fd00::5", &ip6, &e) == -EINVAL);
	CHECK(attach_pick_ip6(&r, "fd89::", &ip6, &e) == -EINVAL);
	att_list_clear(&r);
	/* A /119: hosts ::1 (the gateway) to ::1ff; with ::2 to ::1ff taken, none is left. */
	small_net(&r, "[]");
	r.prefix6 = 119;
	for (int i = 2; i < 512; i++) {
		char text[INET6_ADDRSTRLEN];

		CHECK(attach_pick_ip6(&r, NULL, &ip6, NULL) == 0);
		inet_ntop(AF_INET6, &ip6, text, sizeof(text));
		struct net_attach a = { .has_ip6 = true, .ip6 = ip6 };

		CHECK(att_append(&r, &a) == 0);
	}
	CHECK(attach_pick_ip6(&r, NULL, &ip6, NULL) == -ENOSPC);
	att_list_clear(&r);
}

TEST(macs_are_unicast_and_names_fit_an_interface)
{
	uint8_t mac[6];
	struct net_record r;
	struct in_addr ip;
	char veth[32], again[32];

	small_net(&r, "[]");
	inet_pton(AF_INET, "10.89.0.2", &ip);
	attach_mac(ip, "c1", mac);
	CHECK((mac[0] & 1) == 0 && (mac[0] & 2) == 2 && !memcmp(mac + 2, &ip.s_addr, 4));
	CHECK(att_parse_mac("02:00:00:00:00:42", mac) == 0 && mac[5] == 0x42);
	CHECK(att_parse_mac("01:00:00:00:00:42", mac) == -EINVAL);
	CHECK(att_parse_mac("02:00:00:00:00", mac) == -EINVAL);
	CHECK(att_parse_mac("02:00:00:00:00:42:11", mac) == -EINVAL);
	CHECK(attach_veth_name(&r, "a-container-id-longer-than-an-interface-name-could-be", veth,
			       sizeof(veth)) == 0);
	CHECK(attach_veth_name(&r, "a-container-id-longer-than-an-interface-name-could-be", again,
			       sizeof(again)) == 0);
	CHECK(strlen(veth) < 16 && !strcmp(veth, again));
	CHECK(attach_veth_name(&r, "another", again, sizeof(again)) == 0);
	CHECK(strcmp(veth, again) != 0);
	att_list_clear(&r);
}

/* Two IDs whose 32-bit hashes meet (anyone can find such a pair) get two veths: the second
 * is not refused for a name the first holds ("File exists"). */
TEST(a_veth_name_taken_on_the_network_is_not_given_again)
{
	struct net_record r;
	char first[32], second[32], att[128];

	small_net(&r, "[]");
	CHECK(attach_veth_name(&r, "c1", first, sizeof(first)) == 0);
	att_list_clear(&r);
	snprintf(att, sizeof(att), "[{\"id\":\"other\",\"veth\":\"%s\"}]", first);
	small_net(&r, att);
	CHECK(attach_veth_name(&r, "c1", second, sizeof(second)) == 0);
	CHECK(strcmp(first, second) != 0 && strlen(second) < 16);
	att_list_clear(&r);
}

/*
 * A container's veth and MAC are named from its ID by FNV-1a (offset basis, no secret): the
 * names a network's records and a host's links already hold are those; the same ID must keep
 * giving them (these are what rootlet-network has given "c1" since its first release).
 */
TEST(an_ids_veth_and_mac_are_those_it_was_always_given)
{
	struct net_record r;
	struct in_addr ip = { .s_addr = htonl(0x0a590002) };
	char first[32], second[32], att[128];
	uint8_t mac[6];

	attach_mac(ip, "c1", mac);
	CHECK(mac[1] == 0xd9);
	small_net(&r, "[]");
	CHECK(attach_veth_name(&r, "c1", first, sizeof(first)) == 0);
	CHECK(!strcmp(first, "rl8829dfd9"));
	att_list_clear(&r);
	snprintf(att, sizeof(att), "[{\"id\":\"other\",\"veth\":\"%s\"}]", first);
	small_net(&r, att);
	CHECK(attach_veth_name(&r, "c1", second, sizeof(second)) == 0);
	CHECK(!strcmp(second, "rl32eb629c"));
	att_list_clear(&r);
}

/* podman's internal networks have no default route: neither has the CNI result of one. */
TEST(an_internal_networks_cni_result_has_no_route)
{
	struct net_record r;
	json_t *res;

	small_net(&r, "[{\"id\":\"a\",\"ip\":\"10.89.0.2\",\"ip6\":\"fd89::2\",\"mac\":\"02:00:00:"
		      "00:00:02\","
		      "\"netns\":\"/x\"}]");
	res = attach_cni_result(&r, &r.att[0]);
	CHECK(res && json_array_size(json_object_get(res, "routes")) == 2);
	json_decref(res);
	r.internal = true;
	res = attach_cni_result(&r, &r.att[0]);
	CHECK(res && json_array_size(json_object_get(res, "routes")) == 0 &&
	      json_array_size(json_object_get(res, "ips")) == 2);
	json_decref(res);
	/* An address that is not one (a record edited by hand) gives no result. */
	att_list_clear(&r);
	small_net(&r, "[{\"id\":\"a\",\"ip\":\"10.89.0.2/../x\",\"mac\":\"02:00:00:00:00:02\","
		      "\"netns\":\"/x\"}]");
	CHECK(!attach_cni_result(&r, &r.att[0]));
	att_list_clear(&r);
}

UNIT_MAIN("network_attach", T(lowest_free_address_skips_the_gateway_and_the_taken),
	  T(a_static_address_is_refused_with_its_reason), T(ipv6_addresses_come_from_the_subnet6),
	  T(macs_are_unicast_and_names_fit_an_interface),
	  T(a_veth_name_taken_on_the_network_is_not_given_again),
	  T(an_ids_veth_and_mac_are_those_it_was_always_given),
	  T(an_internal_networks_cni_result_has_no_route))
