/* Unit tests of config.json editing: namespaces replaced, mappings set, the rest kept. */
#include <errno.h>

#include "oci.h"
#include "unit.h"

TEST(set_namespace_replaces_same_type_only)
{
	json_t *c = json_loads("{\"x-keep\":1,\"linux\":{\"namespaces\":[{\"type\":\"pid\"},"
			       "{\"type\":\"user\"},{\"type\":\"network\"}],\"y\":[1]}}",
			       0, NULL);
	json_t *ns;

	CHECK(c != NULL);
	CHECK(oci_set_namespace(c, "user", "/u") == 0);
	CHECK(oci_set_namespace(c, "network", "/n") == 0);
	ns = json_object_get(json_object_get(c, "linux"), "namespaces");
	CHECK(json_array_size(ns) == 3);
	CHECK(!strcmp(json_string_value(json_object_get(json_array_get(ns, 0), "type")), "pid"));
	CHECK(!strcmp(json_string_value(json_object_get(json_array_get(ns, 1), "path")), "/u"));
	CHECK(!strcmp(json_string_value(json_object_get(json_array_get(ns, 2), "path")), "/n"));
	CHECK(json_integer_value(json_object_get(c, "x-keep")) == 1);
	CHECK(json_is_array(json_object_get(json_object_get(c, "linux"), "y")));
	json_decref(c);
}

TEST(set_namespace_creates_linux_when_absent)
{
	json_t *c = json_object();

	CHECK(oci_set_namespace(c, "network", "/n") == 0);
	CHECK(json_array_size(json_object_get(json_object_get(c, "linux"), "namespaces")) == 1);
	json_decref(c);
}

TEST(set_namespace_refuses_wrong_types)
{
	json_t *c = json_loads("{\"linux\":[]}", 0, NULL), *d;

	CHECK(oci_set_namespace(c, "network", "/n") == -EINVAL);
	d = json_loads("{\"linux\":{\"namespaces\":{}}}", 0, NULL);
	CHECK(oci_set_namespace(d, "network", "/n") == -EINVAL);
	json_decref(c);
	json_decref(d);
}

TEST(mappings_written_as_oci_fields)
{
	struct idmap_range r[] = { { 0, 1001, 1 }, { 1, 100000, 65536 } };
	json_t *c = json_object(), *m;

	CHECK(oci_set_mappings(c, "uidMappings", r, 2) == 0);
	m = json_array_get(json_object_get(json_object_get(c, "linux"), "uidMappings"), 1);
	CHECK(json_integer_value(json_object_get(m, "containerID")) == 1);
	CHECK(json_integer_value(json_object_get(m, "hostID")) == 100000);
	CHECK(json_integer_value(json_object_get(m, "size")) == 65536);
	json_decref(c);
}

UNIT_MAIN("oci", T(set_namespace_replaces_same_type_only),
	  T(set_namespace_creates_linux_when_absent), T(set_namespace_refuses_wrong_types),
	  T(mappings_written_as_oci_fields))
