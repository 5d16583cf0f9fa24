/* rootlet-netns show: one netns in detail: holder, helpers, interfaces, addresses, routes. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "apiclient.h"
#include "netns.h"
#include "pidfile.h"
#include "proc.h"

int links_read(json_t **ret_interfaces, json_t **ret_routes);

#define SHOW_API_TIMEOUT_MS 1000 /* a helper that has not answered by then is not answering */

static int show_helper(const char *helper, const struct pidfile *pf, void *data)
{
	int live = pidfile_live(pf);

	json_array_append_new((json_t *)data,
			      json_pack("{s:s, s:i, s:s}", "name", helper, "pid", (int)pf->pid,
					"state", live > 0 ? "live" : "stale"));
	return 0;
}

/*
 * Asks a helper's API socket @file for its list: an empty list without a socket, null (and a
 * warning saying why) when the helper does not answer in time: a stopped or hung helper costs
 * show a second, and its forwards are said to be unknown, not silently dropped.
 */
static json_t *show_ask(struct netns_cfg *cfg, const char *file, const char *execute,
			const char *key, json_t *warnings)
{
	json_t *req, *reply = NULL, *entries;
	char sock[PATH_MAX], text[PATH_MAX + 128];
	int err;

	if (entry_ns_path(cfg, file, sock, sizeof(sock)) || access(sock, F_OK))
		return json_array();
	req = json_pack("{s:s}", "execute", execute);
	err = api_call(sock, req, &reply, SHOW_API_TIMEOUT_MS);
	json_decref(req);
	if (err) {
		snprintf(text, sizeof(text), "%s did not answer (%s): its forwards are unknown",
			 sock, strerror(-err));
		json_array_append_new(warnings, json_string(text));
		return json_null();
	}
	/* rootlet-slirp answers list_hostfwd unwrapped, as slirp4netns; portfwd in "return". */
	entries = json_object_get(reply, key);
	if (!entries)
		entries = json_object_get(json_object_get(reply, "return"), key);
	entries = json_is_array(entries) ? json_incref(entries) : json_array();
	json_decref(reply);
	return entries;
}

/*
 * rootlet-bypass's counters, or null (and a warning) when it does not answer: a supervisor
 * killed leaves its socket behind, and its netns's hooked calls failing.
 */
static json_t *show_bypass(struct netns_cfg *cfg, json_t *warnings)
{
	json_t *req, *reply = NULL, *counters;
	char sock[PATH_MAX], text[PATH_MAX + 128];
	int err;

	if (entry_ns_path(cfg, STATE_BYPASS_API, sock, sizeof(sock)) || access(sock, F_OK))
		return NULL;
	req = json_pack("{s:s}", "execute", "counters");
	err = api_call(sock, req, &reply, SHOW_API_TIMEOUT_MS);
	json_decref(req);
	counters = err ? NULL : json_object_get(reply, "return");
	if (!json_is_object(counters)) {
		snprintf(text, sizeof(text),
			 "rootlet-bypass is dead (%s): calls it hooked fail until the command or "
			 "container is restarted",
			 err ? strerror(-err) : "no counters");
		json_array_append_new(warnings, json_string(text));
		json_decref(reply);
		return json_null();
	}
	json_incref(counters);
	json_decref(reply);
	return counters;
}

/* Its owners (add --owner, rootlet run's command and teardown): pid, and whether it runs. */
static json_t *show_owners(const struct netns_state *st)
{
	json_t *owners = json_array();

	for (int i = 0; owners && i < st->n_owners; i++) {
		struct pidfile pf = { .pid = st->owners[i].pid, .start = st->owners[i].start };

		json_array_append_new(owners,
				      json_pack("{s:i, s:s}", "pid", (int)pf.pid, "state",
						pidfile_live(&pf) == 1 ? "running" : "ended"));
	}
	return owners;
}

/* Everything show reports that is read from the host side, before joining the netns. */
static json_t *show_entry(struct netns_cfg *cfg, const struct entry *e, int live)
{
	char net[PATH_MAX], user[PATH_MAX], when[TIME_ISO_MAX];
	json_t *obj, *holder = json_null(), *helpers = json_array(), *warnings = json_array();
	json_t *forwards, *publish, *bypass;
	long rss;

	entry_ns_path(cfg, STATE_NET, net, sizeof(net));
	entry_ns_path(cfg, STATE_USER, user, sizeof(user));
	format_time_iso(e->st.created, when, sizeof(when));
	if (!state_is_host(&e->st)) {
		holder = json_pack("{s:i}", "pid", (int)e->st.holder_pid);
		if (live > 0 && !proc_status_kib(e->st.holder_pid, "RssAnon", &rss))
			json_object_set_new(holder, "rss_anon_kib", json_integer(rss));
	}
	helpers_each(e->dir_fd, show_helper, helpers);
	forwards = show_ask(cfg, STATE_SLIRP_SOCKET, "list_hostfwd", "entries", warnings);
	publish = show_ask(cfg, STATE_PORTFWD_SOCKET, "list", "forwards", warnings);
	bypass = show_bypass(cfg, warnings);
	obj = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s, s:o, s:o, s:o, s:o, s:o}", "name",
			cfg->name, "state", live > 0 ? "live" : "stale", "userns_mode",
			e->st.userns, "netns", net, "userns", state_is_host(&e->st) ? NULL : user,
			"created", when, "holder", holder, "helpers", helpers, "forwards", forwards,
			"publish", publish, "warnings", warnings);
	if (obj && bypass)
		json_object_set_new(obj, "bypass", bypass);
	if (obj)
		json_object_set_new(obj, "owners", show_owners(&e->st));
	return obj;
}

static void show_print_human(json_t *obj)
{
	json_t *holder = json_object_get(obj, "holder"), *v, *a;
	size_t i, j;

	printf("%s: %s, userns %s, created %s\n", json_string_value(json_object_get(obj, "name")),
	       json_string_value(json_object_get(obj, "state")),
	       json_string_value(json_object_get(obj, "userns_mode")),
	       json_string_value(json_object_get(obj, "created")));
	printf("  netns    %s\n", json_string_value(json_object_get(obj, "netns")));
	if (json_is_string(json_object_get(obj, "userns")))
		printf("  userns   %s\n", json_string_value(json_object_get(obj, "userns")));
	if (json_is_object(holder)) {
		printf("  holder   pid %d",
		       (int)json_integer_value(json_object_get(holder, "pid")));
		if ((v = json_object_get(holder, "rss_anon_kib")))
			printf(", RssAnon %d KiB", (int)json_integer_value(v));
		printf("\n");
	}
	for (i = 0; (v = json_array_get(json_object_get(obj, "owners"), i)); i++)
		printf("  owner    pid %d (%s)\n",
		       (int)json_integer_value(json_object_get(v, "pid")),
		       json_string_value(json_object_get(v, "state")));
	for (i = 0; (v = json_array_get(json_object_get(obj, "helpers"), i)); i++)
		printf("  helper   %s pid %d (%s)\n", json_string_value(json_object_get(v, "name")),
		       (int)json_integer_value(json_object_get(v, "pid")),
		       json_string_value(json_object_get(v, "state")));

	for (i = 0; (v = json_array_get(json_object_get(obj, "warnings"), i)); i++)
		printf("  warning  %s\n", json_string_value(v));
	for (i = 0; (v = json_array_get(json_object_get(obj, "forwards"), i)); i++)
		printf("  forward  %s %s:%d -> %s:%d (slirp, id %d)\n",
		       json_string_value(json_object_get(v, "proto")),
		       json_string_value(json_object_get(v, "host_addr")),
		       (int)json_integer_value(json_object_get(v, "host_port")),
		       json_string_value(json_object_get(v, "guest_addr")),
		       (int)json_integer_value(json_object_get(v, "guest_port")),
		       (int)json_integer_value(json_object_get(v, "id")));

	if (json_is_object(v = json_object_get(obj, "bypass"))) {
		printf("  bypass   %lld bypassed, %lld passed through, %lld refused (%lld "
		       "filters)\n",
		       (long long)json_integer_value(json_object_get(v, "bypassed")),
		       (long long)json_integer_value(json_object_get(v, "passed")),
		       (long long)json_integer_value(json_object_get(v, "refused")),
		       (long long)json_integer_value(json_object_get(v, "filters")));
		if (json_is_string(json_object_get(v, "serves")))
			printf("  bypass   serves: %s (%s)\n",
			       json_string_value(json_object_get(v, "serves")),
			       json_string_value(json_object_get(v, "serves_why")));
	}
	for (i = 0; (v = json_array_get(json_object_get(obj, "publish"), i)); i++)
		printf("  publish  %s (portfwd, id %d, host port %d)\n",
		       json_string_value(json_object_get(v, "spec")),
		       (int)json_integer_value(json_object_get(v, "id")),
		       (int)json_integer_value(json_object_get(v, "host_port")));

	for (i = 0; (v = json_array_get(json_object_get(obj, "interfaces"), i)); i++) {
		printf("%d: %s <%s> mtu %d state %s\n",
		       (int)json_integer_value(json_object_get(v, "index")),
		       json_string_value(json_object_get(v, "name")),
		       json_string_value(json_object_get(v, "flags")),
		       (int)json_integer_value(json_object_get(v, "mtu")),
		       json_string_value(json_object_get(v, "state")));
		for (j = 0; (a = json_array_get(json_object_get(v, "addresses"), j)); j++)
			printf("    %s %s\n", json_string_value(json_object_get(a, "family")),
			       json_string_value(json_object_get(a, "address")));
	}
	if (json_array_size(json_object_get(obj, "routes")))
		printf("routes:\n");
	for (i = 0; (v = json_array_get(json_object_get(obj, "routes"), i)); i++) {
		printf("  %s", json_string_value(json_object_get(v, "dst")));
		if (json_is_string(json_object_get(v, "gateway")))
			printf(" via %s", json_string_value(json_object_get(v, "gateway")));
		printf(" dev %s\n", json_string_value(json_object_get(v, "dev")));
	}
}

/**
 * netns_show() - Print one netns: state, paths, holder (with its RssAnon), helpers and, when
 *		  live, its interfaces, addresses and routes
 * @cfg:	configuration (name, json)
 *
 * This process joins the netns to read it with netlink, so it does so last, after everything
 * read from the host side.
 *
 * Return: 0 on success, negative errno on failure
 */
int netns_show(struct netns_cfg *cfg)
{
	json_t *obj, *interfaces, *routes;
	struct entry e;
	int err, live;

	if ((err = entry_open(cfg, false, false, &e)))
		return err;
	live = state_live(e.dir_fd, &e.st);
	obj = show_entry(cfg, &e, live);
	entry_close(&e);
	if (!obj)
		return -ENOMEM;

	if (live > 0) {
		if ((err = netns_join_entry(cfg)) || (err = links_read(&interfaces, &routes)))
			goto out;
		json_object_set_new(obj, "interfaces", interfaces);
		json_object_set_new(obj, "routes", routes);
	}
	if (cfg->json) {
		json_dumpf(obj, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
	} else {
		show_print_human(obj);
	}
out:
	json_decref(obj);
	return err;
}
