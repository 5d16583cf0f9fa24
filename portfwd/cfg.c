/* rootlet-portfwd's configuration: the lists the command line or podman's config fill. */
#include <errno.h>
#include <stdlib.h>

#include "portfwd.h"

/**
 * pf_cfg_free_rootlessport() - Free what rootlessport_parse() allocated in @cfg
 * @cfg:	the configuration
 */
void pf_cfg_free_rootlessport(struct pf_cfg *cfg)
{
	for (int i = 0; i < cfg->n_publish; i++)
		free((char *)cfg->publish[i]);
	free(cfg->publish);
	free((char *)cfg->netns_arg);
	free((char *)cfg->target_arg);
	free(cfg->reload_dir);
	free(cfg->reload_name);
	cfg->publish = NULL;
	cfg->n_publish = 0;
	cfg->netns_arg = cfg->target_arg = NULL;
	cfg->reload_dir = cfg->reload_name = NULL;
}
