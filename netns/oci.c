/* rootlet-netns oci: point an OCI config.json at a netns (and its userns). */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "netns.h"
#include "oci.h"

/* Joining a userns, runc 1.1 demands mappings equal to that userns's own; crun accepts them. */
static int oci_copy_maps(json_t *config, pid_t holder)
{
	struct idmap_range ranges[IDMAP_MAX_RANGES];
	size_t n;
	int err;

	if ((err = idmap_read_pid(holder, "uid_map", ranges, IDMAP_MAX_RANGES, &n)) ||
	    (err = oci_set_mappings(config, "uidMappings", ranges, n)) ||
	    (err = idmap_read_pid(holder, "gid_map", ranges, IDMAP_MAX_RANGES, &n)) ||
	    (err = oci_set_mappings(config, "gidMappings", ranges, n)))
		return err;
	return 0;
}

/**
 * netns_oci() - Make a config.json join the netns named in @cfg
 * @cfg:	configuration (name, config_path, in_place)
 *
 * For a rootless netns the container must join the holder's userns too: a container making a
 * userns of its own could not join a netns owned by another (the kernel checks CAP_SYS_ADMIN in
 * the netns's owner), so any user entry is replaced, never left to make a new one.
 *
 * Return: 0 on success, negative errno on failure (the config file untouched then)
 */
int netns_oci(struct netns_cfg *cfg)
{
	char net[PATH_MAX], user[PATH_MAX], listener[PATH_MAX];
	json_t *config = NULL;
	struct entry e;
	int err, live;

	if ((err = entry_open(cfg, false, false, &e)))
		return err;
	live = state_live(e.dir_fd, &e.st);
	if (live <= 0) {
		err = live < 0 ? live : -ESRCH;
		goto out;
	}
	if ((err = oci_load(cfg->config_path, &config, &cfg->err)))
		goto out;
	if ((err = entry_ns_path(cfg, STATE_NET, net, sizeof(net))) ||
	    (err = entry_ns_path(cfg, STATE_USER, user, sizeof(user))))
		goto out;

	if (!state_is_host(&e.st) && ((err = oci_set_namespace(config, "user", user)) ||
				      (err = oci_copy_maps(config, e.st.holder_pid))))
		goto bad_config;
	if ((err = oci_set_namespace(config, "network", net)))
		goto bad_config;
	if (cfg->bypass &&
	    ((err = entry_ns_path(cfg, STATE_BYPASS_SOCKET, listener, sizeof(listener))) ||
	     (err = under_bypass_oci(cfg, config, listener))))
		goto out;
	if ((err = oci_save(config, cfg->config_path, cfg->in_place)))
		err_errno(&cfg->err, err, "writing %s", cfg->config_path);
	goto out;
bad_config:
	if (err == -EINVAL)
		err_make(&cfg->err, err,
			 "%s: linux or linux.namespaces is not of the OCI type (object, array)",
			 cfg->config_path);
out:
	json_decref(config);
	entry_close(&e);
	return err;
}
