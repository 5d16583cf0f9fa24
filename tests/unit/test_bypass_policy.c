/* Unit tests of rootlet-bypass's policy: which connect() and bind() go to the host's netns. */
#include <arpa/inet.h>

#include "bypass.h"
#include "unit.h"

struct want {
	enum bp_verdict v;
	char to[INET6_ADDRSTRLEN + 8]; /* "ADDR PORT" for BP_BYPASS */
};

/* A netns's policy on a kernel that lets the supervisor guard its TCP twins. */
static struct bp_policy policy(bool loopback, bool ipv6, const char *exclude, const char *publish)
{
	struct bp_cfg cfg = { .allow_host_loopback = loopback, .ipv6 = ipv6, .guard = true };
	const char *ex[] = { exclude }, *pub[] = { publish };
	struct bp_policy p;
	struct err e = { 0 };

	cfg.exclude = ex;
	cfg.n_exclude = exclude ? 1 : 0;
	cfg.publish = pub;
	cfg.n_publish = publish ? 1 : 0;
	if (policy_init(&p, &cfg, &e))
		abort();
	return p;
}

static socklen_t addr(const char *ip, int port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, ip, &in6->sin6_addr);
		return sizeof(*in6);
	}
	struct sockaddr_in *in = (struct sockaddr_in *)ss;

	in->sin_family = AF_INET;
	in->sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, ip, &in->sin_addr);
	return sizeof(*in);
}

static struct want judge(const struct bp_policy *p, bool bind, const char *ip, int port, bool udp)
{
	struct sockaddr_storage ss, to;
	socklen_t len = addr(ip, port, &ss), to_len = 0;
	struct want w = { 0 };
	char text[INET6_ADDRSTRLEN];

	w.v = bind ? policy_bind(p, (struct sockaddr *)&ss, len, udp, &to, &to_len)
		   : policy_connect(p, (struct sockaddr *)&ss, len, udp, &to, &to_len);
	if (w.v != BP_BYPASS)
		return w;
	if (to.ss_family == AF_INET) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&to)->sin_addr, text, sizeof(text));
		snprintf(w.to, sizeof(w.to), "%s %d", text,
			 ntohs(((struct sockaddr_in *)&to)->sin_port));
	} else {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&to)->sin6_addr, text, sizeof(text));
		snprintf(w.to, sizeof(w.to), "%s %d", text,
			 ntohs(((struct sockaddr_in6 *)&to)->sin6_port));
	}
	return w;
}

static bool bypassed_to(const struct bp_policy *p, bool bind, const char *ip, int port, bool udp,
			const char *to)
{
	struct want w = judge(p, bind, ip, port, udp);

	return w.v == BP_BYPASS && !strcmp(w.to, to);
}

static bool continued(const struct bp_policy *p, bool bind, const char *ip, int port, bool udp)
{
	return judge(p, bind, ip, port, udp).v == BP_CONTINUE;
}

TEST(the_gateway_is_host_loopback_only_when_allowed)
{
	struct bp_policy open = policy(true, true, NULL, NULL),
			 closed = policy(false, true, NULL, NULL);

	CHECK(bypassed_to(&open, false, "10.0.2.2", 80, false, "127.0.0.1 80"));
	CHECK(bypassed_to(&open, false, "fd00::2", 80, false, "::1 80"));
	CHECK(bypassed_to(&open, false, "::ffff:10.0.2.2", 80, false, "::ffff:127.0.0.1 80"));
	CHECK(continued(&closed, false, "10.0.2.2", 80, false));
	CHECK(continued(&closed, false, "fd00::2", 80, false));
}

TEST(what_the_netns_has_itself_stays_inside)
{
	struct bp_policy p = policy(true, true, NULL, NULL);
	static const char *const inside[] = { "10.0.2.3",    "10.0.2.100",  "10.0.2.255",
					      "127.0.0.1",   "127.8.9.1",   "0.0.0.0",
					      "224.0.0.251", "169.254.1.1", "255.255.255.255",
					      "::1",	     "::",	    "fe80::1",
					      "ff02::1",     "fd00::3",	    "fd00::100" };

	for (size_t i = 0; i < sizeof(inside) / sizeof(inside[0]); i++)
		CHECK(continued(&p, false, inside[i], 443, false));
}

TEST(peers_outside_are_bypassed_as_they_are)
{
	struct bp_policy p = policy(false, true, NULL, NULL);

	CHECK(bypassed_to(&p, false, "192.0.2.1", 443, false, "192.0.2.1 443"));
	CHECK(bypassed_to(&p, false, "10.0.3.1", 22, false, "10.0.3.1 22"));
	CHECK(bypassed_to(&p, false, "2001:db8::1", 443, false, "2001:db8::1 443"));
	CHECK(bypassed_to(&p, false, "::ffff:192.0.2.1", 443, false, "::ffff:192.0.2.1 443"));
}

/* --host: a container with no IPv4 default route keeps every IPv4 peer inside, 10.0.2.2 too. */
TEST(no_ipv4_default_route_keeps_every_ipv4_peer_inside)
{
	struct bp_policy p = policy(true, true, NULL, NULL);

	p.no_ipv4 = true;
	CHECK(continued(&p, false, "10.0.2.2", 80, false));
	CHECK(continued(&p, false, "::ffff:10.0.2.2", 80, false));
	CHECK(continued(&p, false, "192.0.2.1", 443, false));
	CHECK(bypassed_to(&p, false, "2001:db8::1", 443, false, "2001:db8::1 443"));
}

TEST(udp_only_when_host_loopback_is_allowed)
{
	struct bp_policy open = policy(true, false, NULL, NULL),
			 closed = policy(false, false, NULL, NULL);

	CHECK(bypassed_to(&open, false, "192.0.2.1", 53, true, "192.0.2.1 53"));
	CHECK(continued(&closed, false, "192.0.2.1", 53, true));
}

TEST(ipv6_only_with_ipv6_and_excluded_networks_stay_inside)
{
	struct bp_policy p = policy(false, false, "10.88.0.0/16", NULL);

	CHECK(continued(&p, false, "2001:db8::1", 443, false));
	CHECK(continued(&p, false, "10.88.1.2", 80, false));
	CHECK(bypassed_to(&p, false, "10.89.0.1", 80, false, "10.89.0.1 80"));
}

TEST(malformed_addresses_continue_for_the_kernel_to_refuse)
{
	struct bp_policy p = policy(true, true, NULL, NULL);
	struct sockaddr_storage ss, to;
	socklen_t to_len;
	socklen_t len = addr("192.0.2.1", 80, &ss);

	CHECK(policy_connect(&p, (struct sockaddr *)&ss, len - 1, false, &to, &to_len) ==
	      BP_CONTINUE);
	ss.ss_family = AF_UNIX;
	CHECK(policy_connect(&p, (struct sockaddr *)&ss, len, false, &to, &to_len) == BP_CONTINUE);
}

TEST(bind_of_a_published_port_goes_to_its_host_address)
{
	struct bp_policy p = policy(false, false, NULL, "127.0.0.1:18080:8080");

	CHECK(bypassed_to(&p, true, "0.0.0.0", 8080, false, "127.0.0.1 18080"));
	CHECK(bypassed_to(&p, true, "10.0.2.100", 8080, false, "127.0.0.1 18080"));
	CHECK(bypassed_to(&p, true, "::", 8080, false, "::ffff:127.0.0.1 18080"));
	CHECK(continued(&p, true, "127.0.0.1", 8080, false));
	CHECK(continued(&p, true, "0.0.0.0", 8081, false));
	CHECK(continued(&p, true, "0.0.0.0", 8080, true));
	CHECK(continued(&p, true, "0.0.0.0", 0, false));
}

TEST(bind_ranges_udp_and_dual_rules)
{
	struct bp_policy range = policy(true, false, NULL, "8000-8002:9000-9002/udp");
	struct bp_policy v6 = policy(false, false, NULL, "[::1]:7000:7000");

	CHECK(bypassed_to(&range, true, "::", 9001, true, ":: 8001"));
	CHECK(bypassed_to(&range, true, "0.0.0.0", 9002, true, "0.0.0.0 8002"));
	CHECK(continued(&range, true, "0.0.0.0", 9003, true));
	CHECK(continued(&v6, true, "0.0.0.0", 7000, false));
	CHECK(bypassed_to(&v6, true, "::", 7000, false, "::1 7000"));
}

/* A bound UDP twin may sendto() any address of the host's netns: its loopback too. */
TEST(a_udp_bind_is_a_twin_only_when_host_loopback_is_allowed)
{
	struct bp_policy open = policy(true, false, NULL, "127.0.0.1:5353:53/udp"),
			 closed = policy(false, false, NULL, "127.0.0.1:5353:53/udp");

	CHECK(bypassed_to(&open, true, "0.0.0.0", 53, true, "127.0.0.1 5353"));
	CHECK(continued(&closed, true, "0.0.0.0", 53, true));
	CHECK(continued(&closed, true, "::", 53, true));
}

/* Fail closed: where the kernel refuses a twin's guard, no TCP twin without host loopback. */
TEST(without_a_guard_tcp_is_a_twin_only_when_host_loopback_is_allowed)
{
	const char *pub[] = { "127.0.0.1:8080:80" };
	struct bp_cfg closed_cfg = { .publish = pub, .n_publish = 1 },
		      open_cfg = { .allow_host_loopback = true, .publish = pub, .n_publish = 1 };
	struct bp_policy closed, open;
	struct err e = { 0 };

	CHECK(!policy_init(&closed, &closed_cfg, &e) && !policy_init(&open, &open_cfg, &e));
	CHECK(continued(&closed, false, "192.0.2.1", 443, false));
	CHECK(continued(&closed, false, "::ffff:192.0.2.1", 443, false));
	CHECK(continued(&closed, true, "0.0.0.0", 80, false));
	CHECK(bypassed_to(&open, false, "192.0.2.1", 443, false, "192.0.2.1 443"));
	CHECK(bypassed_to(&open, true, "0.0.0.0", 80, false, "127.0.0.1 8080"));
}

TEST(bad_rules_and_networks_are_refused)
{
	struct bp_cfg cfg = { 0 };
	const char *bad_net[] = { "10.0.0.0" }, *bad_net2[] = { "10.0.0.0/33" },
		   *bad_pub[] = { "nonsense" };
	struct bp_policy p;
	struct err e = { 0 };

	cfg.exclude = bad_net;
	cfg.n_exclude = 1;
	CHECK(policy_init(&p, &cfg, &e) == -EINVAL);
	CHECK(strstr(e.text, "--exclude '10.0.0.0'") != NULL);
	cfg.exclude = bad_net2;
	CHECK(policy_init(&p, &cfg, &e) == -EINVAL);
	cfg.n_exclude = 0;
	cfg.publish = bad_pub;
	cfg.n_publish = 1;
	CHECK(policy_init(&p, &cfg, &e) == -EINVAL);
}

UNIT_MAIN("bypass_policy", T(the_gateway_is_host_loopback_only_when_allowed),
	  T(what_the_netns_has_itself_stays_inside), T(peers_outside_are_bypassed_as_they_are),
	  T(no_ipv4_default_route_keeps_every_ipv4_peer_inside),
	  T(udp_only_when_host_loopback_is_allowed),
	  T(ipv6_only_with_ipv6_and_excluded_networks_stay_inside),
	  T(malformed_addresses_continue_for_the_kernel_to_refuse),
	  T(bind_of_a_published_port_goes_to_its_host_address), T(bind_ranges_udp_and_dual_rules),
	  T(a_udp_bind_is_a_twin_only_when_host_loopback_is_allowed),
	  T(without_a_guard_tcp_is_a_twin_only_when_host_loopback_is_allowed),
	  T(bad_rules_and_networks_are_refused))
