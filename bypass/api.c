/* rootlet-bypass's API: its counters and what it serves, in the slirp API's envelope, for
 * rootlet-netns show. */
#include <jansson.h>
#include <string.h>

#include "apiserver.h"
#include "bypass.h"

#define BP_API_COUNTERS "counters"

static json_t *counters_json(const struct bp_state *st)
{
	size_t watching = 0, pending = 0;

	for (const struct bp_notifier *n = st->notifiers; n; n = notifier_next(n))
		watching++;
	for (const struct bp_pending *p = st->pending; p; p = pending_next(p))
		pending++;
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:s}", "bypassed",
			 (json_int_t)st->n.bypassed, "passed", (json_int_t)st->n.passed, "refused",
			 (json_int_t)st->n.refused, "filters_taken", (json_int_t)st->n.processes,
			 "filters", (json_int_t)watching, "connecting", (json_int_t)pending,
			 "serves", st->serves ? st->serves : "", "serves_why", st->serves_why);
}

/**
 * bp_api_handle() - Answer one request: {"execute":"counters"}
 * @ctx:	the daemon (struct bp_state)
 * @req:	the request
 * @len:	its length
 *
 * Return: the reply text (malloc()ed), or NULL
 */
char *bp_api_handle(void *ctx, const char *req, size_t len)
{
	json_t *r = json_loadb(req, len, 0, NULL), *reply;
	const char *execute = json_string_value(json_object_get(r, "execute"));
	char *text;

	if (!execute || strcmp(execute, BP_API_COUNTERS)) {
		json_decref(r);
		return apiserver_error(execute ? "unknown execute" : "no execute");
	}
	json_decref(r);
	reply = json_pack("{s:o}", "return", counters_json(ctx));
	text = json_dumps(reply, JSON_COMPACT);
	json_decref(reply);
	return text;
}
