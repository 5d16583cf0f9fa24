/* rootlet-portfwd's API requests: JSON in, a checked request out, or the reason it is refused. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "api_req.h"

/*
 * {"execute":"add","arguments":{"spec":SPEC[,"reverse":true]}}, {"execute":"list"}, and
 * {"execute":"remove","arguments":{"id":N}|{"spec":SPEC}}. The SPEC itself is checked when the
 * forward is made (spec_parse()); here only its length.
 */

static int refuse(struct err *e, const char *reason)
{
	return err_make(e, -EINVAL, "%s", reason);
}

/* A SPEC that fits, copied. */
static int take_spec(const char *spec, struct pf_api_request *r)
{
	if (!spec || strlen(spec) > SPEC_TEXT_MAX)
		return -EINVAL;
	memcpy(r->target, spec, strlen(spec) + 1);
	return 0;
}

/**
 * pf_api_parse() - Parse and check one request
 * @buf:	the request bytes (need not be NUL-terminated)
 * @len:	their length
 * @ret:	the request on success
 * @why:	the reason on failure, after "bad request: "
 * @why_len:	size of @why
 *
 * Return: 0 on success, -EINVAL on any malformed request
 */
int pf_api_parse(const char *buf, size_t len, struct pf_api_request *ret, struct err *e)
{
	struct pf_api_request r = { 0 };
	json_t *root, *args, *id;
	const char *execute;
	int err = -EINVAL;

	root = json_loadb(buf, len, JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(root)) {
		err = refuse(e, root ? "not a JSON object" : "cannot parse JSON");
		goto out;
	}
	execute = json_string_value(json_object_get(root, "execute"));
	args = json_object_get(root, "arguments");
	id = json_object_get(args, "id");
	if (!execute) {
		refuse(e, "no execute found");
	} else if (args && !json_is_object(args)) {
		refuse(e, "arguments is not an object");
	} else if (!strcmp(execute, "add")) {
		r.cmd = PF_API_ADD;
		r.reverse = json_is_true(json_object_get(args, "reverse"));
		if (take_spec(json_string_value(json_object_get(args, "spec")), &r))
			refuse(e, "add: bad arguments.spec");
		else
			err = 0;
	} else if (!strcmp(execute, "list")) {
		r.cmd = PF_API_LIST;
		err = 0;
	} else if (!strcmp(execute, "remove")) {
		r.cmd = PF_API_REMOVE;
		if (json_is_integer(id) && json_integer_value(id) > 0) {
			snprintf(r.target, sizeof(r.target), "%lld",
				 (long long)json_integer_value(id));
			err = 0;
		} else if (id || take_spec(json_string_value(json_object_get(args, "spec")), &r)) {
			refuse(e, "remove: bad arguments (id or spec)");
		} else {
			err = 0;
		}
	} else {
		refuse(e, "unknown execute");
	}
out:
	json_decref(root);
	if (!err)
		*ret = r;
	return err;
}
