/* --source-ip: connect inside the netns from the client's own address, and get the replies. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>

#include "netlink.h"
#include "portfwd.h"

/*
 * Theory of operation
 *
 * With --source-ip, a relay's socket inside the netns is IP_TRANSPARENT and bound to the
 * outside client's address, and connects to the service on the netns's loopback address. The
 * service answers from loopback to the client's address, which the netns would route out of
 * its default route. One rule turns that around: packets made in the netns (iif lo) from a
 * loopback address look up a table where every address is local, so they come back in to the
 * relay's socket. Loopback-sourced packets never leave a netns anyway, so the rule changes
 * nothing else in it; it stays when the daemon exits, and adding it again is a no-op. This is
 * the policy routing that Cloudflare's mmproxy documents; the netns's own root (the userns
 * the daemon joined) may set it, and the thread keeps only CAP_NET_RAW afterwards, what
 * IP_TRANSPARENT asks for.
 */

#define SRCIP_TABLE	 21068 /* "RL": clear of the kernel's tables 253-255 */
#define SRCIP_RULE_PRIO	 1000  /* after the local table (0), before main (32766) */
#define SRCIP_LO4_PREFIX 8     /* 127.0.0.0/8 */
#define SRCIP_LO6_PREFIX 128   /* ::1/128 */

/* The rule: from the loopback net, made here, look up SRCIP_TABLE. */
static int srcip_rule(struct nl_sock *sk, int family)
{
	static const uint8_t lo6[16] = { [15] = 1 };
	const uint32_t lo4 = htonl(INADDR_LOOPBACK);

	return netlink_rule_add(sk, family, family == AF_INET ? (const void *)&lo4 : lo6,
				family == AF_INET ? SRCIP_LO4_PREFIX : SRCIP_LO6_PREFIX, "lo",
				SRCIP_TABLE, SRCIP_RULE_PRIO);
}

/* The table: every address is local, on lo. */
static int srcip_table(struct nl_sock *sk, int family, int lo_index)
{
	const struct netlink_route r = { .family = family,
					 .ifindex = lo_index,
					 .table = SRCIP_TABLE,
					 .type = RTN_LOCAL,
					 .host_scope = true,
					 .exist_ok = true };

	return netlink_route_add(sk, &r);
}

/**
 * srcip_setup() - Policy routing for transparent relays, in the calling thread's netns
 * @has4:	set if IPv4 relays can keep the client's address
 * @has6:	set if IPv6 relays can
 *
 * A family the netns lacks (IPv6 disabled) is left out, not an error.
 *
 * Return: 0 on success, negative errno on failure
 */
int srcip_setup(bool *has4, bool *has6)
{
	static const int families[] = { AF_INET, AF_INET6 };
	struct nl_sock *sk;
	int err, lo_index;
	bool *has[] = { has4, has6 };

	*has4 = *has6 = false;
	if ((err = netlink_open(&sk)))
		return err;
	lo_index = (int)if_nametoindex("lo");
	if (!lo_index) {
		err = -ENODEV;
		goto out;
	}
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		int e = srcip_table(sk, families[i], lo_index);

		if (!e)
			e = srcip_rule(sk, families[i]);
		if (!e)
			*has[i] = true;
		else if (families[i] == AF_INET)
			err = e;
	}
out:
	netlink_close(sk);
	return err;
}
