/* --enable-sandbox: an empty read-only root, and capabilities down to what libslirp needs. */
#include <cap-ng.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "sandbox.h"
#include "slirp.h"

/*
 * Theory of operation
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

/* Only CAP_NET_BIND_SERVICE may stay, and only for root of a userns (podman's case). */
static int drop_caps(void)
{
	capng_clear(CAPNG_SELECT_ALL);
	if (geteuid() == 0)
		capng_updatev(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET,
			      CAP_NET_BIND_SERVICE, -1);
	if (capng_apply(CAPNG_SELECT_ALL) < 0)
		return -EPERM;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

/**
 * sandbox_enter() - Leave the filesystem behind and drop capabilities
 * @cfg:	configuration; cfg->detail says which step failed
 *
 * Return: 0 on success, negative errno on failure
 */
int sandbox_enter(struct slirp_cfg *cfg)
{
	const char *dirs[SANDBOX_DIRS_MAX], *step;
	char real[PATH_MAX];
	size_t n;
	int err;

	n = resolv_dirs(real, dirs);
	if ((err = sandbox_root(dirs, n, &step))) {
		snprintf(cfg->detail, sizeof(cfg->detail), "sandbox: %s: %s", step, strerror(-err));
		return err;
	}
	if ((err = drop_caps())) {
		snprintf(cfg->detail, sizeof(cfg->detail), "sandbox: dropping capabilities: %s",
			 strerror(-err));
		return err;
	}
	return 0;
}
