/* rootlet-portfwd's configuration: the lists the command line or podman's config fill. */
#include <errno.h>
#include <stdlib.h>

#include "portfwd.h"

/**
 * pf_cfg_append() - Add @item to a growing list of strings
 * @list:	the list (NULL at first)
 * @n:		its length, incremented
 * @item:	the string, kept as it is (not copied)
 *
 * Return: 0 on success, -ENOMEM
 */
int pf_cfg_append(const char ***list, int *n, const char *item)
{
	const char **grown = realloc(*list, (size_t)(*n + 1) * sizeof(**list));

	if (!grown)
		return -ENOMEM;
	grown[(*n)++] = item;
	*list = grown;
	return 0;
}

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
