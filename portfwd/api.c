/* rootlet-portfwd's API: add, list and remove forwards, in the slirp API's envelope. */
#include <jansson.h>

#include "api_req.h"
#include "apiserver.h"
#include "portfwd.h"

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
 * @buf:	the request (api_req.c says which)
 * @len:	its length
 *
 * Return: the reply text (malloc()ed), or NULL
 */
char *pf_api_handle(void *data, const char *buf, size_t len)
{
	struct pf_state *st = data;
	struct pf_api_request r;
	struct err why = { 0 };
	struct pf_forward *f;
	json_t *arr;

	if (pf_api_parse(buf, len, &r, &why))
		return apiserver_error(err_text(&why));
	switch (r.cmd) {
	case PF_API_ADD:
		if (forward_add(st, r.target, r.reverse, &f, &why))
			return apiserver_error(err_text(&why));
		return reply(forward_json(f));
	case PF_API_LIST:
		arr = json_array();
		for (f = st->forwards; f; f = f->next)
			json_array_insert_new(arr, 0, forward_json(f));
		return reply(json_pack("{s:o}", "forwards", arr));
	case PF_API_REMOVE:
		if (forward_remove(st, r.target, &why))
			return apiserver_error(err_text(&why));
		return reply(json_object());
	}
	return apiserver_error("unknown execute");
}
