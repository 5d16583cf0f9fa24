/* exec/oci --bypass: a command, or a container's profile, put under the netns's supervisor. */
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bypass_filter.h"
#include "netns.h"
#include "oci.h"

#define BYPASS_META_MAX 64

/**
 * under_bypass_exec() - Put this process (CMD, once exec'd) under the netns's supervisor
 * @cfg:	configuration (name); cfg->err on failure
 * @listener:	the entry's bypass.sock, its path found before the namespaces were joined
 *
 * Last before the exec: everything rootlet-netns does itself stays unhooked.
 *
 * Return: 0 on success, negative errno
 */
int under_bypass_exec(struct netns_cfg *cfg, const char *listener)
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
 * under_bypass_oci() - Merge the bypass's notify rules into @config's seccomp profile
 * @cfg:	configuration (name, config_path); cfg->err on failure
 * @config:	the config object
 * @listener:	the entry's bypass.sock
 *
 * Return: 0 on success, negative errno
 */
int under_bypass_oci(struct netns_cfg *cfg, json_t *config, const char *listener)
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
