/* Editing an OCI runtime-spec config.json: namespaces and id mappings, other fields untouched. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "err.h"
#include "oci.h"

/* A config.json is a few KiB; this bounds what a mistaken path makes us read. */
#define OCI_CONFIG_MAX (1024 * 1024)

/**
 * oci_load() - Load a config.json that must hold a JSON object
 * @path:	file to read
 * @ret_config:	set to the parsed object on success
 * @e:		what went wrong, on failure
 *
 * Return: 0 on success, -EINVAL if it is not a JSON object, other negative errno
 */
int oci_load(const char *path, json_t **ret_config, struct err *e)
{
	json_error_t jerr;
	struct stat st;
	json_t *config;

	if (stat(path, &st) < 0) {
		return err_errno(e, -errno, "%s", path);
	}
	if (!S_ISREG(st.st_mode) || st.st_size > OCI_CONFIG_MAX) {
		return err_make(e, -EINVAL, "%s: not a regular file of at most 1 MiB", path);
	}
	config = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!config) {
		return err_make(e, -EINVAL, "%s: not valid JSON: %s (line %d, column %d)", path,
				jerr.text, jerr.line, jerr.column);
	}
	if (!json_is_object(config)) {
		json_decref(config);
		return err_make(e, -EINVAL, "%s: not a JSON object", path);
	}
	*ret_config = config;
	return 0;
}

/* The object at config[key], created empty if absent; NULL if present but of another type. */
static json_t *oci_child(json_t *parent, const char *key, json_t *(*make)(void),
			 int (*is_type)(const json_t *))
{
	json_t *child = json_object_get(parent, key);

	if (!child) {
		child = make();
		if (json_object_set_new(parent, key, child))
			return NULL;
	}
	return is_type(child) ? child : NULL;
}

static int is_object(const json_t *j)
{
	return json_is_object(j);
}

static int is_array(const json_t *j)
{
	return json_is_array(j);
}

/**
 * oci_set_namespace() - Make linux.namespaces hold exactly one entry of @type, joining @path
 * @config:	the config object
 * @type:	OCI namespace type: "network", "user", ...
 * @path:	namespace file to join, or NULL for the runtime to make a new one
 *
 * Return: 0 on success, -EINVAL if linux or linux.namespaces has the wrong type, -ENOMEM
 */
int oci_set_namespace(json_t *config, const char *type, const char *path)
{
	json_t *linux_obj, *namespaces, *ns;
	size_t i;

	linux_obj = oci_child(config, "linux", json_object, is_object);
	if (!linux_obj)
		return -EINVAL;
	namespaces = oci_child(linux_obj, "namespaces", json_array, is_array);
	if (!namespaces)
		return -EINVAL;

	for (i = 0; i < json_array_size(namespaces);) {
		const char *t =
			json_string_value(json_object_get(json_array_get(namespaces, i), "type"));

		if (t && !strcmp(t, type))
			json_array_remove(namespaces, i);
		else
			i++;
	}
	ns = path ? json_pack("{s:s, s:s}", "type", type, "path", path)
		  : json_pack("{s:s}", "type", type);
	if (!ns || json_array_append_new(namespaces, ns))
		return -ENOMEM;
	return 0;
}

/**
 * oci_set_mappings() - Set linux.uidMappings or linux.gidMappings
 * @config:	the config object
 * @key:	"uidMappings" or "gidMappings"
 * @ranges:	the ranges, hostID relative to the runtime's user namespace
 * @n:		how many
 *
 * Return: 0 on success, -EINVAL if linux has the wrong type, -ENOMEM
 */
int oci_set_mappings(json_t *config, const char *key, const struct idmap_range *ranges, size_t n)
{
	json_t *linux_obj, *arr;

	linux_obj = oci_child(config, "linux", json_object, is_object);
	if (!linux_obj)
		return -EINVAL;
	arr = json_array();
	if (!arr)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(arr, json_pack("{s:I, s:I, s:I}", "containerID",
							 (json_int_t)ranges[i].inside, "hostID",
							 (json_int_t)ranges[i].outside, "size",
							 (json_int_t)ranges[i].count))) {
			json_decref(arr);
			return -ENOMEM;
		}
	return json_object_set_new(linux_obj, key, arr) ? -ENOMEM : 0;
}

/**
 * oci_save() - Write the config to stdout, or replace @path atomically keeping its mode
 * @config:	the config object
 * @path:	the file it came from
 * @in_place:	replace @path instead of printing
 *
 * Return: 0 on success, negative errno on failure (@path untouched then)
 */
int oci_save(json_t *config, const char *path, bool in_place)
{
	char dir[PATH_MAX], base[PATH_MAX], *text;
	struct stat st;
	int dir_fd, err;

	text = json_dumps(config, JSON_INDENT(2));
	if (!text)
		return -ENOMEM;
	if (!in_place) {
		err = fputs(text, stdout) < 0 || fputc('\n', stdout) < 0 ? -EIO : 0;
		free(text);
		return err;
	}
	if (stat(path, &st) < 0) {
		err = -errno;
		goto out;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	snprintf(base, sizeof(base), "%s", path);
	dir_fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0) {
		err = -errno;
		goto out;
	}
	err = file_write_atomic(dir_fd, basename(base), text, strlen(text), st.st_mode & 07777);
	close(dir_fd);
out:
	free(text);
	return err;
}
