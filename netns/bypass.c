/* add/exec/oci --bypass: rootlet-bypass started for a netns, and processes handed to it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bypass_filter.h"
#include "bypass_guard.h"
#include "fwdspec.h"
#include "launch.h"
#include "netns.h"
#include "oci.h"

#define BYPASS_META_MAX 64

/**
 * bypass_publishes() - Whether rootlet-bypass takes --publish @spec (else rootlet-portfwd does)
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
bool bypass_publishes(const struct netns_cfg *cfg, const char *spec)
{
	struct fwd_spec s;
	struct err e = { 0 };

	if (!cfg->bypass)
		return false;
	return cfg->allow_host_loopback ||
	       (!cfg->bypass_unguarded && !spec_parse(spec, &s, &e) && s.proto != IPPROTO_UDP);
}

/**
 * bypass_start() - Run rootlet-bypass for the netns in @cfg, with its --publish rules
 * @cfg:	configuration (name, publish, ipv6, allow_host_loopback); cfg->err on failure
 * @dir_fd:	the entry's directory, for the log
 *
 * It records itself in bypass.pid and serves bypass.sock and bypass-api.sock.
 *
 * Return: 0 on success, negative errno (no rootlet-bypass left running then)
 */
int bypass_start(struct netns_cfg *cfg, int dir_fd)
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
		if (bypass_publishes(cfg, cfg->publish[i]))
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

/**
 * bypass_exec_filter() - Put this process (CMD, once exec'd) under the netns's supervisor
 * @cfg:	configuration (name); cfg->err on failure
 * @listener:	the entry's bypass.sock, its path found before the namespaces were joined
 *
 * Last before the exec: everything rootlet-netns does itself stays unhooked.
 *
 * Return: 0 on success, negative errno
 */
int bypass_exec_filter(struct netns_cfg *cfg, const char *listener)
{
	char meta[BYPASS_META_MAX];
	int sock, fd, err;

	if ((err = bypass_listener_connect(listener, &sock)))
		return err_errno(&cfg->err, err, "%s",
				 err == -ENOENT ? "no rootlet-bypass serves it (add it with "
						  "--slirp --bypass)"
						: listener);
	if ((err = bypass_filter_load(&fd))) {
		close(sock);
		return err_errno(&cfg->err, err, "loading the bypass filter");
	}
	snprintf(meta, sizeof(meta), "exec %s", cfg->cmd[0]);
	err = bypass_filter_send(sock, fd, getpid(), meta);
	close(fd);
	return err ? err_errno(&cfg->err, err, "handing the filter to rootlet-bypass") : 0;
}

/**
 * bypass_oci() - Merge the bypass's notify rules into @config's seccomp profile
 * @cfg:	configuration (name, config_path); cfg->err on failure
 * @config:	the config object
 * @listener:	the entry's bypass.sock
 *
 * Return: 0 on success, negative errno
 */
int bypass_oci(struct netns_cfg *cfg, json_t *config, const char *listener)
{
	const char *unguarded = NULL;
	size_t hooked;
	int err;

	if (access(listener, F_OK))
		return err_make(&cfg->err, -ENOENT,
				"no rootlet-bypass serves it (add it with --slirp --bypass)");
	err = oci_seccomp_notify(config, listener, &bypass_oci_notify, &hooked, &unguarded);
	if (err == -EEXIST)
		return err_make(&cfg->err, err,
				"%s: linux.seccomp.listenerPath names another supervisor already",
				cfg->config_path);
	if (err == -EINVAL)
		return err_make(&cfg->err, err,
				"%s: linux.seccomp or its syscalls is not of the OCI type",
				cfg->config_path);
	if (err == -EPERM)
		return err_make(
			&cfg->err, err,
			"%s: its seccomp profile allows %s on a condition, which the bypass "
			"cannot hook: a bypassed socket would be unguarded",
			cfg->config_path, unguarded);
	if (err)
		return err;
	if (!hooked)
		return err_make(&cfg->err, -EPERM,
				"%s: its seccomp profile refuses connect and bind: nothing to "
				"bypass",
				cfg->config_path);
	if (hooked < BYPASS_HOOKED_N)
		snprintf(cfg->warning, sizeof(cfg->warning),
			 "the profile refuses one of connect and bind: it is not bypassed");
	return 0;
}
