/* add --bypass: start rootlet-bypass for a netns, with the --publish rules that are its. */
#include <errno.h>
#include <stdlib.h>

#include "fwdspec.h"
#include "launch.h"
#include "netns.h"

/**
 * publish_goes_to_bypass() - Whether rootlet-bypass takes --publish @spec (else rootlet-portfwd
 * does)
 * @cfg:	configuration (bypass, allow_host_loopback, bypass_unguarded)
 * @spec:	one --publish SPEC, checked already
 *
 * Where host loopback is allowed, every rule is the bypass's. Without it, a published UDP port
 * is never the bypass's (a bound UDP socket of the host's netns may send to any address, the
 * host's loopback too), and a TCP one only where its twin can be guarded (lib/bypass_guard.c:
 * the kernel lets the supervisor lock a socket filter on it); else rootlet-portfwd's, and the
 * supervisor, deciding alike, makes no TCP twin.
 *
 * Return: true for the bypass's rule
 */
bool publish_goes_to_bypass(const struct netns_cfg *cfg, const char *spec)
{
	struct fwd_spec s;
	struct err e = { 0 };

	if (!cfg->bypass)
		return false;
	return cfg->allow_host_loopback ||
	       (!cfg->bypass_unguarded && !spec_parse(spec, &s, &e) && s.proto != IPPROTO_UDP);
}

/**
 * start_bypass() - Run rootlet-bypass for the netns in @cfg, with its --publish rules
 * @cfg:	configuration (name, publish, ipv6, allow_host_loopback); cfg->err on failure
 * @dir_fd:	the entry's directory, for the log
 *
 * It records itself in bypass.pid and serves bypass.sock and bypass-api.sock.
 *
 * Return: 0 on success, negative errno (no rootlet-bypass left running then)
 */
int start_bypass(struct netns_cfg *cfg, int dir_fd)
{
	struct bypass_launch o = { .netns = cfg->name,
				   .allow_host_loopback = cfg->allow_host_loopback,
				   .ipv6 = cfg->ipv6,
				   .debug = cfg->debug };
	const char **rules = calloc((size_t)cfg->n_publish + 1, sizeof(*rules));
	struct launch_argv a;
	int err;

	if (!rules)
		return -ENOMEM;
	for (int i = 0; i < cfg->n_publish; i++)
		if (publish_goes_to_bypass(cfg, cfg->publish[i]))
			rules[o.n_publish++] = cfg->publish[i];
	o.publish = rules;
	err = launch_bypass_argv(&o, &a);
	free(rules);
	if (err)
		return err;
	err = helper_launch(cfg, dir_fd, STATE_BYPASS_LOG, a.argv, NULL, 0);
	argv_free(&a);
	return err;
}
