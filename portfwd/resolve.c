/* The netns --netns names: a rootlet-netns entry by NAME (lib/state_entry), or a PATH. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "portfwd.h"
#include "state.h"
#include "state_entry.h"

/**
 * pf_resolve_netns() - The netns --netns names: a NAME is a rootlet-netns entry (opened, its
 * paths taken), anything with a '/' is a path
 * @cfg:	the command line; its paths and state_fd filled, cfg->err on failure
 *
 * Return: 0, or a negative errno
 */
int pf_resolve_netns(struct pf_cfg *cfg)
{
	struct state_entry entry;
	int err;

	if (strchr(cfg->netns_arg, '/')) {
		snprintf(cfg->net_path, sizeof(cfg->net_path), "%s", cfg->netns_arg);
		if (cfg->userns_arg)
			snprintf(cfg->user_path, sizeof(cfg->user_path), "%s", cfg->userns_arg);
		return 0;
	}
	if ((err = state_entry_open(cfg->netns_arg, &entry, &cfg->err)))
		return err;
	cfg->state_fd = entry.dir_fd;
	snprintf(cfg->net_path, sizeof(cfg->net_path), "%s", entry.path.net);
	snprintf(cfg->user_path, sizeof(cfg->user_path), "%s", entry.path.user);
	if (!cfg->api_path[0]) {
		snprintf(cfg->api_path, sizeof(cfg->api_path), "%s", entry.path.portfwd_socket);
		cfg->api_in_state = true;
	}
	if (faccessat(cfg->state_fd, STATE_USER, F_OK, AT_SYMLINK_NOFOLLOW))
		cfg->user_path[0] = '\0'; /* a root netns */
	return 0;
}
