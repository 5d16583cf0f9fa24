/* Inside a network's infra: a child that joins its namespaces, and what it does there. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netlink.h"
#include "network.h"
#include "nsfd.h"
#include "state.h"

/**
 * join_infra_ns() - Move this process (a child) into one namespace of the infra
 * @r:		the network, its infra
 * @type:	CLONE_NEWUSER (its user namespace) or CLONE_NEWNET (its netns)
 * @e:		why not
 *
 * Return: 0, or a negative errno
 */
int join_infra_ns(const struct net_record *r, int type, struct err *e)
{
	const char *path = type == CLONE_NEWUSER ? r->infra.user : r->infra.net;
	int fd, err;

	if ((err = state_ns_open_holder_checked(path, type, &fd)))
		return err_errno(e, err, "%s", path);
	err = ns_join(fd, type) ? -errno : 0;
	close(fd);
	return err ? err_errno(e, err, "joining %s", path) : 0;
}

/**
 * join_infra() - Move this process (a child: it stays there) into the infra's user namespace,
 * then its netns
 * @r:		the network, its infra
 * @e:		why not
 *
 * Return: 0, or a negative errno
 */
int join_infra(const struct net_record *r, struct err *e)
{
	int err = join_infra_ns(r, CLONE_NEWUSER, e);

	return err ? err : join_infra_ns(r, CLONE_NEWNET, e);
}

/**
 * net_in_child() - Run @fn in a child, which may change namespaces; its struct err comes back
 * on a pipe
 * @cfg:	cfg->err: the child's, when it fails
 * @fn:		what the child does, with @r and @arg
 * @r:		the network
 * @arg:	what else @fn needs, or NULL
 *
 * Return: 0 when the child succeeded, else its (or our) negative errno
 */
int net_in_child(struct net_cfg *cfg, net_child_fn fn, const struct net_record *r, void *arg)
{
	struct err child_err = { 0 };
	int pipefd[2], status, err;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid == 0) {
		close(pipefd[0]);
		err = fn(cfg, r, arg, &child_err);
		if (err && write(pipefd[1], &child_err, sizeof(child_err)) < 0)
			_exit(2);
		_exit(err ? 1 : 0);
	}
	close(pipefd[1]);
	if (pid < 0) {
		close(pipefd[0]);
		return -errno;
	}
	if (read(pipefd[0], &child_err, sizeof(child_err)) != (ssize_t)sizeof(child_err))
		child_err.code = 0;
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (child_err.code) {
		cfg->err = child_err;
		return child_err.code;
	}
	return err_make(&cfg->err, -ECHILD, "a child in the network's namespaces failed");
}

/**
 * write_sysctl() - Set a sysctl of this process's netns
 * @path:	its file under /proc/sys
 * @value:	the text written
 * @e:		the path, when it fails
 *
 * Return: 0, or negative errno
 */
int write_sysctl(const char *path, const char *value, struct err *e)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0 || write(fd, value, strlen(value)) != (ssize_t)strlen(value))
		err = err_errno(e, -errno, "%s", path);
	if (fd >= 0)
		close(fd);
	return err;
}

/**
 * join_infra_bridge() - Move this process (a child) into the infra's namespaces, open netlink
 * there and find the infra's bridge, made first when @make (with the gateway's MAC)
 * @r:		the network, its infra
 * @make:	add the bridge (the infra being made), or only look for it
 * @sk:		the socket, for netlink_close(); NULL on failure
 * @bridge:	the bridge's ifindex
 * @e:		why not
 *
 * Return: 0, or a negative errno (-ENODEV: no bridge)
 */
int join_infra_bridge(const struct net_record *r, bool make, struct nl_sock **sk, int *bridge,
		      struct err *e)
{
	uint8_t mac[NET_MAC_LEN];
	int err;

	if ((err = join_infra(r, e)))
		return err;
	if ((err = netlink_open(sk)))
		return err_errno(e, err, "netlink");
	attach_bridge_mac(r, mac);
	if ((make && (err = netlink_bridge_add(*sk, NET_BRIDGE, mac))) ||
	    (err = netlink_link_index(*sk, NET_BRIDGE, bridge))) {
		netlink_close(*sk);
		*sk = NULL;
		return make ? err_errno(e, err, "bridge %s", NET_BRIDGE)
			    : err_errno(e, err, "%s", NET_BRIDGE);
	}
	return 0;
}
