/* rootlet-uidmap oci: give an OCI config.json a new user namespace with the user's maps. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "oci.h"
#include "uidmap.h"

/**
 * uidmap_oci() - Set linux.uidMappings, gidMappings and a new user namespace in a config
 * @cfg:	configuration (config_path, in_place, the map)
 *
 * The runtime (runc, crun) makes the namespace and, run by the user, maps it through
 * newuidmap/newgidmap itself, so the user namespace entry carries no path.
 *
 * Return: 0 on success, negative errno with cfg->err set (the file untouched then)
 */
int uidmap_oci(struct uidmap_cfg *cfg)
{
	json_t *config = NULL;
	int err;

	if ((err = oci_load(cfg->config_path, &config, &cfg->err)))
		return err;
	if ((err = oci_set_namespace(config, "user", NULL)) ||
	    (err = oci_set_mappings(config, "uidMappings", cfg->map.uid, cfg->map.n_uid)) ||
	    (err = oci_set_mappings(config, "gidMappings", cfg->map.gid, cfg->map.n_gid))) {
		err_make(&cfg->err, err,
			 "%s: linux or linux.namespaces is not of the OCI type (object, array)",
			 cfg->config_path);
		goto out;
	}
	if ((err = oci_save(config, cfg->config_path, cfg->in_place)))
		err_errno(&cfg->err, err, "writing %s", cfg->config_path);
out:
	json_decref(config);
	return err;
}
