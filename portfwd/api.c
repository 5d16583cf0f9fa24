/* rootlet-portfwd's API: add, list and remove forwards, in the slirp API's envelope. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "apiserver.h"
#include "portfwd.h"

#define WHY_MAX 256

static char *reply(json_t *ret)
{
	json_t *r = json_pack("{s:o}", "return", ret);
	char *text = json_dumps(r, JSON_COMPACT);

	json_decref(r);
	return text;
}

/**
 * pf_api_handle() - Answer one request
 * @data:	the daemon (struct pf_state)
 * @buf:	the request: {"execute":"add","arguments":{"spec":SPEC[,"reverse":true]}},
 *		{"execute":"list"} or {"execute":"remove","arguments":{"id":N}|{"spec":SPEC}}
 * @len:	its length
 *
 * Return: the reply text (malloc()ed), or NULL
 */
char *pf_api_handle(void *data, const char *buf, size_t len)
{
	struct pf_state *st = data;
	char why[WHY_MAX], idtext[32];
	const char *execute, *spec;
	struct pf_forward *f;
	json_t *root, *args, *id;
	char *out = NULL;

	root = json_loadb(buf, len, JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(root)) {
		json_decref(root);
		return apiserver_error(root ? "not a JSON object" : "cannot parse JSON");
	}
	execute = json_string_value(json_object_get(root, "execute"));
	args = json_object_get(root, "arguments");
	spec = json_string_value(json_object_get(args, "spec"));
	id = json_object_get(args, "id");
	if (!execute) {
		out = apiserver_error("no execute found");
	} else if (args && !json_is_object(args)) {
		out = apiserver_error("arguments is not an object");
	} else if (!strcmp(execute, "add")) {
		if (!spec)
			out = apiserver_error("add: bad arguments.spec");
		else if (forward_add(st, spec, json_is_true(json_object_get(args, "reverse")), &f,
				     why, sizeof(why)))
			out = apiserver_error(why);
		else
			out = reply(forward_json(f));
	} else if (!strcmp(execute, "list")) {
		json_t *arr = json_array();

		for (f = st->forwards; f; f = f->next)
			json_array_insert_new(arr, 0, forward_json(f));
		out = reply(json_pack("{s:o}", "forwards", arr));
	} else if (!strcmp(execute, "remove")) {
		if (json_is_integer(id) && json_integer_value(id) > 0) {
			snprintf(idtext, sizeof(idtext), "%lld", (long long)json_integer_value(id));
			spec = idtext;
		}
		if (!spec || (id && !json_is_integer(id)))
			out = apiserver_error("remove: bad arguments (id or spec)");
		else if (forward_remove(st, spec, why, sizeof(why)))
			out = apiserver_error(why);
		else
			out = reply(json_object());
	} else {
		out = apiserver_error("unknown execute");
	}
	json_decref(root);
	return out;
}
