/* slirp4netns' JSON API: requests parsed, and answered against the forward table. */
#include <jansson.h>
#include <stdio.h>

#include "api.h"
#include "apiserver.h"
#include "hostfwd.h"
#include "loop.h"

/**
 * api_handle() - Answer one request against the forward table
 * @loop:	the loop, whose forward table requests act on
 * @buf:	the request
 * @len:	its length
 *
 * Return: the reply text (malloc()ed), or NULL
 */
char *api_handle(void *loop, const char *buf, size_t len)
{
	struct hostfwd_table *fwd = ((struct loop *)loop)->fwd;
	struct err why = { 0 };
	struct api_request r;
	json_t *reply = NULL;
	char *text;
	int id, port;

	if (api_parse(buf, len, &r, &why))
		return apiserver_error(err_text(&why));
	switch (r.cmd) {
	case API_ADD_HOSTFWD:
		if (hostfwd_add(fwd, &r, &id, &port, &why))
			return apiserver_error(err_text(&why));
		reply = json_pack("{s:{s:i, s:i}}", "return", "id", id, "host_port", port);
		break;
	case API_LIST_HOSTFWD:
		/* What slirp4netns 1.2 answers, whatever its man page shows: no "return". */
		reply = json_pack("{s:o}", "entries", hostfwd_list(fwd));
		break;
	case API_REMOVE_HOSTFWD:
		if (hostfwd_remove(fwd, (int)r.id, &why))
			return apiserver_error(err_text(&why));
		reply = json_pack("{s:{}}", "return");
		break;
	}
	text = json_dumps(reply, JSON_COMPACT);
	json_decref(reply);
	return text;
}
