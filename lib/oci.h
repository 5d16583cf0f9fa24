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
int oci_seccomp_notify(json_t *config, const char *listener, const char *const *names, size_t n,
		       size_t *ret_hooked);

#endif
