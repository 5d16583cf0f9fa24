/* add --slirp and --publish: start the helpers of a netns; the resolv.conf its commands get. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fileio.h"
#include "netns.h"
#include "pidfile.h"

#define SLIRP_BINARY	   "rootlet-slirp"
#define PORTFWD_BINARY	   "rootlet-portfwd"
#define HELPER_ARGV_MAX	   32	/* rootlet-slirp's: its fixed flags */
#define PORTFWD_ARGV_FIXED 8	/* rootlet-portfwd's besides two per --publish */
#define SLIRP_RESOLV_MODE  0644 /* read by whatever uid runs inside the netns */
#define SLIRP_DNS4	   "10.0.2.3"
#define SLIRP_DNS6	   "fd00::3"
#define SLIRP_NUM_TEXT	   16
#define SLIRP_TAP	   "tap0"

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
 * slirp_spawn_early() - Start rootlet-slirp for a netns not made yet, to wait for slirp_go()
 * @cfg:	configuration, as for slirp_start(); cfg->err on failure
 * @dir_fd:	the entry's directory, not yet renamed into place
 * @dir_path:	its path: the namespaces' links and the API socket go in it
 * @h:		the helper, for slirp_go(), slirp_finish() or helper_abort()
 *
 * Its exec, libraries and libslirp then overlap the making of the namespaces and their uid
 * maps; after slirp_go() its tap and sandbox overlap the rest of add. The API socket, bound
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
	int argc = 0, go[2], err;

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
	/* A socket, not a pipe: a go to a helper that already died is EPIPE, not SIGPIPE. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, go) < 0)
		return -errno;
	err = helper_spawn(cfg, dir_fd, STATE_SLIRP_LOG, argv, go[0], NULL, 0, h);
	close(go[0]);
	if (err)
		close(go[1]);
	else
		h->go_fd = go[1];
	return err;
}

/**
 * slirp_go() - The namespaces exist: let an early rootlet-slirp open them
 * @h:		from slirp_spawn_early()
 *
 * Return: 0 on success, negative errno
 */
int slirp_go(struct helper_proc *h)
{
	int err = send(h->go_fd, "g", 1, MSG_NOSIGNAL) == 1 ? 0 : -errno;

	close(h->go_fd);
	h->go_fd = -1;
	return err;
}

/**
 * slirp_finish() - Wait for an early rootlet-slirp to be ready and record it in slirp.pid
 * @cfg:	configuration; cfg->err on failure
 * @dir_fd:	the entry's directory
 * @h:		from slirp_spawn_early()
 *
 * Return: 0 on success, negative errno (it is not left running then)
 */
int slirp_finish(struct netns_cfg *cfg, int dir_fd, struct helper_proc *h)
{
	int err = helper_wait(cfg, dir_fd, h);

	if (!err && (err = pidfile_write(dir_fd, STATE_SLIRP_PIDFILE, h->pid)))
		helper_abort(h);
	return err;
}

/**
 * portfwd_start() - Run rootlet-portfwd for the netns in @cfg with its --publish forwards and
 *		     the sockets of --publish-fd
 * @cfg:	configuration (name, publish); cfg->err on failure
 * @dir_fd:	the entry's directory, for the log
 *
 * It records itself in portfwd.pid and serves portfwd.sock.
 *
 * Return: 0 on success, negative errno (no rootlet-portfwd left running then)
 */
int portfwd_start(struct netns_cfg *cfg, int dir_fd)
{
	size_t nargs = PORTFWD_ARGV_FIXED + 2 * (size_t)(cfg->n_publish + cfg->n_publish_fd);
	char **argv = calloc(nargs, sizeof(*argv)), **fd_args;
	char ready[SLIRP_NUM_TEXT];
	int argc = 0, err = 0;

	fd_args = calloc((size_t)cfg->n_publish_fd + 1, sizeof(*fd_args));
	if (!argv || !fd_args) {
		free(argv);
		free(fd_args);
		return -ENOMEM;
	}

	snprintf(ready, sizeof(ready), "%d", HELPER_READY_FD);
	argv[argc++] = PORTFWD_BINARY;
	argv[argc++] = "--netns";
	argv[argc++] = (char *)cfg->name;
	for (int i = 0; i < cfg->n_publish && !cfg->bypass; i++) {
		argv[argc++] = "--publish";
		argv[argc++] = (char *)cfg->publish[i];
	}
	/* Each inherited socket under the number it will have in rootlet-portfwd. */
	for (int i = 0; i < cfg->n_publish_fd && !err; i++) {
		const char *rest = cfg->publish_fd[i] + strcspn(cfg->publish_fd[i], ":/");

		if (asprintf(&fd_args[i], "%d%s", HELPER_PASS_FD + i, rest) < 0) {
			fd_args[i] = NULL;
			err = -ENOMEM;
		}
		argv[argc++] = "--publish-fd";
		argv[argc++] = fd_args[i];
	}
	if (cfg->source_ip)
		argv[argc++] = "--source-ip";
	argv[argc++] = "--ready-fd";
	argv[argc++] = ready;
	argv[argc] = NULL;
	if (!err)
		err = helper_launch(cfg, dir_fd, STATE_PORTFWD_LOG, argv, cfg->publish_fds,
				    cfg->n_publish_fd);
	for (int i = 0; i < cfg->n_publish_fd; i++)
		free(fd_args[i]);
	free(fd_args);
	free(argv);
	return err;
}
