/* rootlet-uidmap apply: write the maps of a process already in a fresh user namespace. */
#include "uidmap.h"

/**
 * uidmap_apply() - Map cfg->pid's user namespace with the user's ranges
 * @cfg:	configuration, with pid and the map
 *
 * Return: 0 on success, negative errno with cfg->err set on failure
 */
int uidmap_apply(struct uidmap_cfg *cfg)
{
	return usermap_apply(cfg->pid, &cfg->map, &cfg->err);
}
