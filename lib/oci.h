/* Editing an OCI runtime-spec config.json: namespaces and id mappings, other fields untouched. */
#ifndef ROOTLET_OCI_H
#define ROOTLET_OCI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "idmap.h"

#define OCI_ERROR_MAX 256

struct err;
int oci_load(const char *path, json_t **ret_config, struct err *e);
int oci_set_namespace(json_t *config, const char *type, const char *path);
int oci_set_mappings(json_t *config, const char *key, const struct idmap_range *ranges, size_t n);
int oci_save(json_t *config, const char *path, bool in_place);
/* What a supervisor's filter is, for oci_seccomp_notify(). */
struct oci_notify {
	const char *const *hooked; /* notified, whatever their arguments */
	size_t n_hooked;
	const char *const *flagged; /* notified when argument flag_arg[i] has @flag */
	const unsigned *flag_arg;
	size_t n_flagged;
	unsigned long flag;
	const char *const *refused; /* refused with @refused_errno */
	size_t n_refused;
	int refused_errno;
};

int oci_seccomp_notify(json_t *config, const char *listener, const struct oci_notify *spec,
		       size_t *ret_hooked, const char **ret_unguarded);

#endif
