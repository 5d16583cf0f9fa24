/* add --publish and --publish-fd: start rootlet-portfwd for a netns, early or once it is named. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netns.h"
#include "slirpnet.h"

#define PORTFWD_BINARY	   "rootlet-portfwd"
#define PORTFWD_ARGV_FIXED 16 /* rootlet-portfwd's besides two per --publish and --publish-fd */
#define PORTFWD_NUM_TEXT   16

/* rootlet-portfwd's command line after @head: the forwards, --source-ip, --ready-fd. */
struct portfwd_argv {
	char **argv, **fd_args;
	int argc, n_fd_args;
	char ready[PORTFWD_NUM_TEXT];
};

static void portfwd_argv_free(struct portfwd_argv *a)
{
	for (int i = 0; i < a->n_fd_args; i++)
		free(a->fd_args[i]);
	free(a->fd_args);
	free(a->argv);
}

static int portfwd_argv(struct netns_cfg *cfg, char *const *head, int n_head,
			struct portfwd_argv *a)
{
	size_t nargs = PORTFWD_ARGV_FIXED + 2 * (size_t)(cfg->n_publish + cfg->n_publish_fd);

	*a = (struct portfwd_argv){ 0 };
	a->argv = calloc(nargs, sizeof(*a->argv));
	a->fd_args = calloc((size_t)cfg->n_publish_fd + 1, sizeof(*a->fd_args));
	if (!a->argv || !a->fd_args) {
		portfwd_argv_free(a);
		return -ENOMEM;
	}
	a->argv[a->argc++] = PORTFWD_BINARY;
	for (int i = 0; i < n_head; i++)
		a->argv[a->argc++] = head[i];
	for (int i = 0; i < cfg->n_publish; i++) {
		if (bypass_publishes(cfg, cfg->publish[i]))
			continue;
		a->argv[a->argc++] = "--publish";
		a->argv[a->argc++] = (char *)cfg->publish[i];
	}
	/* Each inherited socket under the number it will have in rootlet-portfwd. */
	for (int i = 0; i < cfg->n_publish_fd; i++) {
		const char *rest = cfg->publish_fd[i] + strcspn(cfg->publish_fd[i], ":/");

		if (asprintf(&a->fd_args[i], "%d%s", HELPER_PASS_FD + i, rest) < 0) {
			portfwd_argv_free(a);
			return -ENOMEM;
		}
		a->n_fd_args = i + 1;
		a->argv[a->argc++] = "--publish-fd";
		a->argv[a->argc++] = a->fd_args[i];
	}
	if (cfg->source_ip)
		a->argv[a->argc++] = "--source-ip";
	snprintf(a->ready, sizeof(a->ready), "%d", HELPER_READY_FD);
	a->argv[a->argc++] = "--ready-fd";
	a->argv[a->argc++] = a->ready;
	a->argv[a->argc] = NULL;
	return 0;
}

/**
 * portfwd_start() - Run rootlet-portfwd for the netns in @cfg with its --publish forwards and
 *		     the sockets of --publish-fd
 * @cfg:	configuration (name, publish); cfg->err on failure
 * @dir_fd:	the entry's directory, for the log
 *
 * It finds the netns by its name, records itself in portfwd.pid and serves portfwd.sock.
 *
 * Return: 0 on success, negative errno (no rootlet-portfwd left running then)
 */
int portfwd_start(struct netns_cfg *cfg, int dir_fd)
{
	char *head[] = { "--netns", (char *)cfg->name };
	struct portfwd_argv a;
	int err = portfwd_argv(cfg, head, sizeof(head) / sizeof(*head), &a);

	if (!err)
		err = helper_launch(cfg, dir_fd, STATE_PORTFWD_LOG, a.argv, cfg->publish_fds,
				    cfg->n_publish_fd);
	portfwd_argv_free(&a);
	return err;
}

/**
 * portfwd_wanted() - Whether add starts rootlet-portfwd at all
 * @cfg:	configuration
 *
 * With --bypass the --publish rules are rootlet-bypass's but for UDP without host loopback
 * (bypass_publishes()); --publish-fd sockets are always ours.
 *
 * Return: true when there is something for it to forward
 */
bool portfwd_wanted(const struct netns_cfg *cfg)
{
	for (int i = 0; i < cfg->n_publish; i++)
		if (!bypass_publishes(cfg, cfg->publish[i]))
			return true;
	return cfg->n_publish_fd > 0;
}

/**
 * portfwd_early() - Whether add starts rootlet-portfwd with rootlet-slirp, before the netns
 * exists, rather than after it is named
 * @cfg:	configuration
 *
 * Early, its exec and set-up overlap the holder's and slirp's. It is given the netns and user
 * namespace by path and its target address: slirp's IPv4 guest, where slirp is about to put it
 * (with IPv6 it would have two targets, and --source-ip routes through the netns's addresses,
 * so those still start once slirp is up).
 *
 * Return: true to start it early
 */
bool portfwd_early(const struct netns_cfg *cfg)
{
	return cfg->slirp && !cfg->ipv6 && !cfg->source_ip && portfwd_wanted(cfg);
}

/**
 * portfwd_spawn_early() - Start rootlet-portfwd for a netns not made yet, to wait for
 * helper_go() once the namespaces exist and are mapped
 * @cfg:	configuration; cfg->err on failure
 * @dir_fd:	the entry's directory (not yet renamed), for the log
 * @dir_path:	its path, for the namespaces' links and the API socket
 * @h:		the helper, for helper_go(), helper_finish() or helper_abort()
 *
 * It ends with the holder (the net link names it). The API socket is bound in the entry by
 * path: helper_finish() before the rename. It writes no pid file of its own: helper_finish()
 * writes portfwd.pid.
 *
 * Return: 0 on success, negative errno
 */
int portfwd_spawn_early(struct netns_cfg *cfg, int dir_fd, const char *dir_path,
			struct helper_proc *h)
{
	char netns[PATH_MAX], userns[PATH_MAX], api[PATH_MAX], wait[PORTFWD_NUM_TEXT];
	char *head[] = { "--netns", netns,	"--userns",   userns,	   "--api-socket",
			 api,	    "--target", SLIRP_GUEST4, "--wait-fd", wait };
	struct portfwd_argv a;
	int err;

	snprintf(netns, sizeof(netns), "%s/%s", dir_path, STATE_NET);
	snprintf(userns, sizeof(userns), "%s/%s", dir_path, STATE_USER);
	snprintf(api, sizeof(api), "%s/%s", dir_path, STATE_PORTFWD_SOCKET);
	snprintf(wait, sizeof(wait), "%d", HELPER_WAIT_FD);
	if ((err = portfwd_argv(cfg, head, sizeof(head) / sizeof(*head), &a)))
		return err;
	err = helper_spawn_early(cfg, dir_fd, STATE_PORTFWD_LOG, a.argv, cfg->publish_fds,
				 cfg->n_publish_fd, h);
	portfwd_argv_free(&a);
	return err;
}
