/* add --slirp: start rootlet-slirp for a netns; the resolv.conf its commands get. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "netns.h"
#include "slirpnet.h"

#define SLIRP_BINARY	  "rootlet-slirp"
#define HELPER_ARGV_MAX	  32   /* rootlet-slirp's: its fixed flags */
#define SLIRP_RESOLV_MODE 0644 /* read by whatever uid runs inside the netns */
#define SLIRP_NUM_TEXT	  16

/**
 * slirp_write_resolv() - Write <entry>/resolv.conf naming slirp's DNS forwarder
 * @cfg:	configuration (ipv6)
 * @dir_fd:	the entry's directory
 *
 * Return: 0 on success, negative errno
 */
int slirp_write_resolv(const struct netns_cfg *cfg, int dir_fd)
{
	char text[128];

	snprintf(text, sizeof(text), "nameserver %s\n%s", SLIRP_DNS4,
		 cfg->ipv6 ? "nameserver " SLIRP_DNS6 "\n" : "");
	return file_write_state(dir_fd, SLIRP_RESOLV_CONF, text, strlen(text), SLIRP_RESOLV_MODE);
}

/* rootlet-slirp's flags from @cfg (MTU, host loopback, IPv6, sandbox, seccomp); its count. */
static int slirp_flags(const struct netns_cfg *cfg, char **argv, char *mtu, size_t mtu_len,
		       char *ready, size_t ready_len)
{
	int argc = 0;

	snprintf(mtu, mtu_len, "%u", cfg->mtu);
	snprintf(ready, ready_len, "%d", HELPER_READY_FD);
	argv[argc++] = "--mtu";
	argv[argc++] = mtu;
	argv[argc++] = "--enable-sandbox";
	argv[argc++] = "--enable-seccomp";
	if (!cfg->allow_host_loopback)
		argv[argc++] = "--disable-host-loopback";
	if (cfg->ipv6)
		argv[argc++] = "--enable-ipv6";
	argv[argc++] = "--ready-fd";
	argv[argc++] = ready;
	return argc;
}

/**
 * slirp_start() - Run rootlet-slirp for the netns in @cfg with rootlet's safe defaults
 * @cfg:	configuration (name, mtu, ipv6, allow_host_loopback); cfg->err on failure
 * @dir_fd:	the entry's directory, for the log
 *
 * Host loopback off unless asked, sandbox and seccomp on. It finds the netns by its name and
 * records itself in slirp.pid.
 *
 * Return: 0 on success, negative errno (no rootlet-slirp left running then)
 */
int slirp_start(struct netns_cfg *cfg, int dir_fd)
{
	char mtu[SLIRP_NUM_TEXT], ready[SLIRP_NUM_TEXT];
	char *argv[HELPER_ARGV_MAX];
	int argc = 0;

	argv[argc++] = SLIRP_BINARY;
	argv[argc++] = "--netns";
	argv[argc++] = (char *)cfg->name;
	argc += slirp_flags(cfg, argv + argc, mtu, sizeof(mtu), ready, sizeof(ready));
	argv[argc] = NULL;
	return helper_launch(cfg, dir_fd, STATE_SLIRP_LOG, argv, NULL, 0);
}

/**
 * slirp_spawn_early() - Start rootlet-slirp for a netns not made yet, to wait for helper_go()
 * @cfg:	configuration, as for slirp_start(); cfg->err on failure
 * @dir_fd:	the entry's directory, not yet renamed into place
 * @dir_path:	its path: the namespaces' links and the API socket go in it
 * @h:		the helper, for helper_go(), helper_finish() or helper_abort()
 *
 * Its exec, libraries and libslirp then overlap the making of the namespaces and their uid
 * maps; after helper_go() its tap and sandbox overlap the rest of add. The API socket, bound
 * before it says ready, keeps its inode when the directory is renamed after.
 *
 * Return: 0 on success, negative errno
 */
int slirp_spawn_early(struct netns_cfg *cfg, int dir_fd, const char *dir_path,
		      struct helper_proc *h)
{
	char mtu[SLIRP_NUM_TEXT], ready[SLIRP_NUM_TEXT], wait[SLIRP_NUM_TEXT];
	char userns[PATH_MAX], netns[PATH_MAX], api[PATH_MAX];
	char *argv[HELPER_ARGV_MAX];
	int argc = 0;

	snprintf(userns, sizeof(userns), "--userns-path=%s/%s", dir_path, STATE_USER);
	snprintf(netns, sizeof(netns), "%s/%s", dir_path, STATE_NET);
	snprintf(api, sizeof(api), "%s/%s", dir_path, STATE_SLIRP_SOCKET);
	snprintf(wait, sizeof(wait), "%d", HELPER_WAIT_FD);
	argv[argc++] = SLIRP_BINARY;
	argv[argc++] = "--configure";
	argv[argc++] = "--netns-type=path";
	argv[argc++] = userns;
	argv[argc++] = "--api-socket";
	argv[argc++] = api;
	argv[argc++] = "--wait-fd";
	argv[argc++] = wait;
	argc += slirp_flags(cfg, argv + argc, mtu, sizeof(mtu), ready, sizeof(ready));
	argv[argc++] = netns;
	argv[argc++] = SLIRP_TAP;
	argv[argc] = NULL;
	return helper_spawn_early(cfg, dir_fd, STATE_SLIRP_LOG, argv, NULL, 0, h);
}
