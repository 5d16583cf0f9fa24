/* rootlet-netns exec: run a command inside a netns, joining its userns first. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "netns.h"
#include "nsfd.h"

/**
 * netns_join_entry() - Move this process into the user and network namespaces of an entry
 * @cfg:	configuration, with name set
 *
 * The userns comes first: setns() into a netns needs CAP_SYS_ADMIN in the userns that owns it,
 * which we have only once we are inside that userns (as its root, our own uid mapped to 0).
 *
 * Return: 0 on success, -ESRCH if the entry is stale, other negative errno
 */
int netns_join_entry(struct netns_cfg *cfg)
{
	int user_fd = -1, net_fd = -1, err;
	struct entry e;

	if ((err = entry_open(cfg, false, false, &e)))
		return err;
	err = state_ns_open(e.dir_fd, &e.st, &user_fd, &net_fd);
	entry_close(&e);
	if (err)
		return err;
	if (user_fd >= 0 && (err = ns_join(user_fd, CLONE_NEWUSER)))
		err_make(&cfg->err, -errno, "joining the user namespace: %m");
	else if ((err = ns_join(net_fd, CLONE_NEWNET)))
		err_make(&cfg->err, -errno, "joining the network namespace: %m");
	if (user_fd >= 0)
		close(user_fd);
	close(net_fd);
	return err;
}

/*
 * As `ip netns exec` binds /etc/netns/NAME/resolv.conf: in a mount namespace of the command's
 * own, so that the host's /etc/resolv.conf is untouched. Mounts stay slaves of the host's.
 */
static int exec_bind_resolv(struct netns_cfg *cfg, const char *resolv)
{
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0 ||
	    mount(resolv, "/etc/resolv.conf", NULL, MS_BIND, NULL) < 0) {
		int err = -errno;

		return err_errno(&cfg->err, err, "binding resolv.conf");
	}
	return 0;
}

/**
 * netns_exec() - Replace this process with cfg->cmd run inside the netns
 * @cfg:	configuration, with name and cmd set
 *
 * exec, not fork: the command's exit status and the signals sent to it need no relaying.
 *
 * Return: only on failure, a negative errno
 */
int netns_exec(struct netns_cfg *cfg)
{
	char resolv[PATH_MAX], listener[PATH_MAX];
	bool has_resolv;
	int err;

	if ((err = entry_ns_path(cfg, STATE_RESOLV_CONF, resolv, sizeof(resolv))) ||
	    (err = entry_ns_path(cfg, STATE_BYPASS_SOCKET, listener, sizeof(listener))))
		return err;
	has_resolv = !access(resolv, R_OK);
	if ((err = netns_join_entry(cfg)))
		return err;
	if (has_resolv && (err = exec_bind_resolv(cfg, resolv)))
		return err;
	if (cfg->bypass && (err = under_bypass_exec(cfg, listener)))
		return err;
	execvp(cfg->cmd[0], cfg->cmd);
	err = -errno;
	cfg->cmd_failed = true;
	return err_make(&cfg->err, err, "%s: %m", cfg->cmd[0]);
}
