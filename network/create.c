/* rootlet-network create: record a network; nothing starts until a container is attached. */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "network.h"

/* The first host address of a subnet: its gateway unless --gateway says otherwise. */
static struct in_addr first_host4(struct in_addr net)
{
	return (struct in_addr){ .s_addr = htonl(ntohl(net.s_addr) + 1) };
}

static struct in6_addr first_host6(const struct in6_addr *net)
{
	struct in6_addr a = *net;

	a.s6_addr[15] |= 1;
	return a;
}

/* The IPv4 subnet: --subnet checked against the other networks, or the first free /24. */
static int choose4(struct net_cfg *cfg, const struct net_record *others, size_t n,
		   struct net_record *r)
{
	struct subnet4 *taken, *grown;
	size_t n_routes = 0;
	int err;

	if (cfg->subnet_arg) {
		const char *reserved;

		/* What --subnet says alone is a usage error; a conflict with what exists is not. */
		cfg->usage = true;
		if ((err = subnet_parse4(cfg->subnet_arg, &r->subnet, &r->prefix, &cfg->err)))
			return err_wrap(&cfg->err, err, "--subnet");
		if ((reserved = subnet_reserved4(r->subnet, r->prefix)))
			return err_make(&cfg->err, -EINVAL,
					"--subnet %s overlaps %s; no container can use it",
					cfg->subnet_arg, reserved);
		if (subnet_slirp_overlap4(r->subnet, r->prefix))
			return err_make(&cfg->err, -EINVAL,
					"--subnet %s overlaps 10.0.2.0/24, which slirp uses",
					cfg->subnet_arg);
		cfg->usage = false;
		for (size_t i = 0; i < n; i++)
			if (subnet_overlap4(r->subnet, r->prefix, others[i].subnet,
					    others[i].prefix))
				return err_make(&cfg->err, -EEXIST,
						"--subnet %s overlaps network %s", cfg->subnet_arg,
						others[i].name);
		return 0;
	}
	if ((err = subnet_host_routes(&taken, &n_routes)))
		return err_errno(&cfg->err, err, "reading the host's routes");
	if (!(grown = realloc(taken, (n_routes + n + 1) * sizeof(*taken)))) {
		free(taken);
		return err_make(&cfg->err, -ENOMEM, "out of memory");
	}
	taken = grown;
	for (size_t i = 0; i < n; i++)
		taken[n_routes + i] = (struct subnet4){ others[i].subnet, others[i].prefix };
	err = subnet_pick4(taken, n_routes + n, &r->subnet);
	free(taken);
	if (err)
		return err_make(&cfg->err, err, "no free 10.89.N.0/24 left; give --subnet");
	r->prefix = 24;
	return 0;
}

static int choose6(struct net_cfg *cfg, const struct net_record *others, size_t n,
		   struct net_record *r)
{
	struct subnet6 *taken = calloc(n + 1, sizeof(*taken));
	size_t k = 0;
	int err = 0;

	if (!taken)
		return err_make(&cfg->err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		if (others[i].ipv6)
			taken[k++] = (struct subnet6){ others[i].subnet6, others[i].prefix6 };
	if (cfg->subnet6_arg) {
		const char *reserved = NULL;

		cfg->usage = true;
		if ((err = subnet_parse6(cfg->subnet6_arg, &r->subnet6, &r->prefix6, &cfg->err)))
			err_wrap(&cfg->err, err, "--subnet6");
		else if ((reserved = subnet_reserved6(&r->subnet6, r->prefix6)))
			err = err_make(&cfg->err, -EINVAL,
				       "--subnet6 %s overlaps %s; no container can use it",
				       cfg->subnet6_arg, reserved);
		else if (subnet_slirp_overlap6(&r->subnet6, r->prefix6))
			err = err_make(&cfg->err, -EINVAL,
				       "--subnet6 %s overlaps fd00::/64, which slirp uses",
				       cfg->subnet6_arg);
		if (!err)
			cfg->usage = false;
		for (size_t i = 0; i < k && !err; i++)
			if (subnet_overlap6(&r->subnet6, r->prefix6, &taken[i].net,
					    taken[i].prefix))
				err = err_make(&cfg->err, -EEXIST,
					       "--subnet6 %s overlaps another network's",
					       cfg->subnet6_arg);
	} else if ((err = subnet_pick6(taken, k, &r->subnet6))) {
		err_make(&cfg->err, err, "no free fd89:0:0:N::/64 left; give --subnet6");
	} else {
		r->prefix6 = 64;
	}
	free(taken);
	if (!err)
		r->gateway6 = first_host6(&r->subnet6);
	return err;
}

static int fill(struct net_cfg *cfg, const struct net_record *others, size_t n,
		struct net_record *r)
{
	int err;

	if (snprintf(r->name, sizeof(r->name), "%s", cfg->name) >= (int)sizeof(r->name))
		return err_make(&cfg->err, -ENAMETOOLONG, "name too long");
	r->mtu = cfg->mtu ? cfg->mtu : NET_MTU_DEFAULT;
	r->internal = cfg->internal;
	r->dns = !cfg->no_dns;
	r->host_loopback = cfg->host_loopback;
	r->created = (int64_t)time(NULL);
	if ((err = choose4(cfg, others, n, r)))
		return err;
	r->gateway = first_host4(r->subnet);
	if (cfg->gateway_arg && (inet_pton(AF_INET, cfg->gateway_arg, &r->gateway) != 1 ||
				 !subnet_contains4(r->subnet, r->prefix, r->gateway))) {
		cfg->usage = true;
		return err_make(&cfg->err, -EINVAL,
				"--gateway %s: not a host address of the subnet", cfg->gateway_arg);
	}
	r->ipv6 = cfg->ipv6;
	return r->ipv6 ? choose6(cfg, others, n, r) : 0;
}

/**
 * net_create() - Record a network: its subnet (given, or the first free one), gateway, MTU
 * @cfg:	name and options; cfg->err on failure
 *
 * Return: 0, -EEXIST for a name or subnet taken, negative errno
 */
int net_create(struct net_cfg *cfg)
{
	struct net_record *others = NULL, r = { 0 }, old;
	int dir_fd, lock_fd, err;
	size_t n = 0;

	if ((err = infra_check_name(cfg, cfg->name)) ||
	    (err = record_open_locked(cfg, true, &dir_fd, &lock_fd)))
		return err;
	err = record_read(dir_fd, cfg->infra_root, cfg->name, &old, NULL);
	if (!err)
		record_clear(&old);
	if (err != -ENOENT) {
		err = err_make(&cfg->err, -EEXIST, "exists");
		goto out;
	}
	if ((err = record_list(dir_fd, cfg->infra_root, &others, &n, &cfg->err)) ||
	    (err = fill(cfg, others, n, &r)) || (err = record_create(dir_fd, &r, &cfg->err)))
		goto out;
	if (cfg->json)
		record_print(record_json(&r));
	else
		printf("%s\n", r.name);
out:
	record_list_free(others, n);
	close(lock_fd);
	close(dir_fd);
	return err;
}
