/* rootlet-slirp's privilege timeline, from start to sandboxed (the stages of lib/isolate.h). */
#include <linux/capability.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "isolate.h"
#include "proc.h"
#include "sandbox.h"
#include "slirp.h"

/*
 * Theory of operation: the privilege timeline (slirp_setup() in main.c runs it)
 *
 * 1. initial: the open-files limit raised (libslirp holds each forwarded connection's host
 *    socket through its TIME_WAIT), while it still can be.
 * 2. user: the tap child (tap.c) joins the user and network namespaces, makes the tap and
 *    configures it; this process stays where libslirp's sockets must be.
 * 3. paths: libslirp and the loop; the holder's pidfd (owner.c), found through /proc; the API
 *    socket and the pid file.
 * 4. fs (--enable-sandbox): an empty read-only root with the resolv.conf directories below.
 * 5. caps (--enable-sandbox): all gone but CAP_NET_BIND_SERVICE for root of a user namespace
 *    (podman's case, forwarding ports below 1024); no_new_privs.
 * 6. syscalls (--enable-seccomp): seccomp.c's allow-list.
 * 7. ready is written.
 *
 * Once the tap fd, the API socket and libslirp exist, the helper needs no file but one:
 * /etc/resolv.conf, which libslirp re-reads (when its inode, size or time changes) to find the
 * host's DNS server for 10.0.2.3. Hosts replace that file by rename (NetworkManager,
 * resolvconf, DHCP clients), so a bind of the file itself would keep the old inode forever:
 * the directory holding it is bound instead, read-only, and so is the directory of the file
 * it links to when that lies elsewhere (/run/systemd/resolve, say), as slirp4netns binds /etc
 * and /run. Nothing else of the host is there (lib/sandbox.c makes the empty root). Run by
 * rootlesskit or a user from the host, a user namespace of our own comes first; that is why
 * --userns-path does not matter here: it only told the tap child where to go.
 */

#define RESOLV_CONF "/etc/resolv.conf"
#define RESOLV_DIR  "/etc"

/* /etc, and the directory of the file resolv.conf links to when that is not in /etc. */
static size_t resolv_dirs(char real[PATH_MAX], const char *dirs[SANDBOX_DIRS_MAX])
{
	const char *dir;
	size_t n = 0;

	dirs[n++] = RESOLV_DIR;
	if (!realpath(RESOLV_CONF, real))
		return n;
	dir = dirname(real);
	if (strcmp(dir, RESOLV_DIR) && strncmp(dir, RESOLV_DIR "/", strlen(RESOLV_DIR "/")))
		dirs[n++] = dir;
	return n;
}

/**
 * slirp_isolate_initial() - Stage 1: what must be raised while it still can be
 */
void slirp_isolate_initial(void)
{
	isolate_undumpable();
	proc_raise_nofile();
}

/**
 * slirp_isolate_fs() - Stage 4: leave the filesystem behind (resolv.conf's directory kept)
 * @cfg:	configuration; cfg->err says which step failed
 *
 * Return: 0 on success (or without --enable-sandbox), negative errno on failure
 */
int slirp_isolate_fs(struct slirp_cfg *cfg)
{
	const char *dirs[SANDBOX_DIRS_MAX], *step;
	char real[PATH_MAX];
	size_t n;
	int err;

	if (!cfg->enable_sandbox)
		return 0;
	n = resolv_dirs(real, dirs);
	if ((err = sandbox_root(dirs, n, &step)))
		return err_errno(&cfg->err, err, "sandbox: %s", step);
	return 0;
}

/**
 * slirp_isolate_caps() - Stage 5: every capability gone (as root, but binding low ports)
 * @cfg:	configuration; cfg->err says what failed
 *
 * Return: 0 on success (or without --enable-sandbox), negative errno on failure
 */
int slirp_isolate_caps(struct slirp_cfg *cfg)
{
	static const int bind_low_ports[] = { CAP_NET_BIND_SERVICE };
	int err;

	if (!cfg->enable_sandbox)
		return 0;
	if ((err = isolate_caps(bind_low_ports, geteuid() == 0 ? 1 : 0, true, &cfg->err)))
		return err_wrap(&cfg->err, err, "sandbox");
	return 0;
}
