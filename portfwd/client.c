/* rootlet-portfwd's client verbs (add, list, remove): one API request each to the daemon. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiclient.h"
#include "log.h"
#include "portfwd.h"

/**
 * pf_run_client() - Send the verb's request(s) to the netns's daemon and print the answer
 * @cfg:	the command line
 *
 * Return: the exit status
 */
int pf_run_client(struct pf_cfg *cfg)
{
	json_t *req, *rep = NULL, *ret;
	int err;

	if ((err = pf_resolve_netns(cfg))) {
		log_error("%s %s: %s", cfg->verb, cfg->netns_arg, err_why(&cfg->err, err));
		return EXIT_FAILURE;
	}
	for (int i = 0; i < (cfg->nargs ? cfg->nargs : 1); i++) {
		if (!strcmp(cfg->verb, "list"))
			req = json_pack("{s:s}", "execute", "list");
		else
			req = json_pack("{s:s, s:{s:s}}", "execute", cfg->verb, "arguments", "spec",
					cfg->args[i]);
		err = api_call(cfg->api_path, req, &rep, APICLIENT_TIMEOUT_MS);
		json_decref(req);
		if (err) {
			log_error("%s %s: no rootlet-portfwd answers on %s: %s", cfg->verb,
				  cfg->netns_arg, cfg->api_path, strerror(-err));
			return EXIT_FAILURE;
		}
		if (!(ret = json_object_get(rep, "return"))) {
			log_error("%s %s: %s", cfg->verb, cfg->netns_arg,
				  json_string_value(
					  json_object_get(json_object_get(rep, "error"), "desc")));
			json_decref(rep);
			return EXIT_FAILURE;
		}
		if (!strcmp(cfg->verb, "add")) {
			printf("%d %s\n", (int)json_integer_value(json_object_get(ret, "id")),
			       json_string_value(json_object_get(ret, "spec")));
			for (size_t k = 0; k < json_array_size(json_object_get(ret, "host_ports"));
			     k++)
				printf("  host port %d\n",
				       (int)json_integer_value(json_array_get(
					       json_object_get(ret, "host_ports"), k)));
		} else if (!strcmp(cfg->verb, "list") && cfg->json) {
			json_dumpf(json_object_get(ret, "forwards"), stdout, JSON_INDENT(2));
			fputc('\n', stdout);
		} else if (!strcmp(cfg->verb, "list")) {
			json_t *fwds = json_object_get(ret, "forwards");

			printf("%-4s %-5s %-40s %s\n", "ID", "PROTO", "SPEC", "HOST PORTS");
			for (size_t k = 0; k < json_array_size(fwds); k++) {
				json_t *f = json_array_get(fwds, k), *hp;

				printf("%-4d %-5s %-40s",
				       (int)json_integer_value(json_object_get(f, "id")),
				       json_string_value(json_object_get(f, "proto")),
				       json_string_value(json_object_get(f, "spec")));
				hp = json_object_get(f, "host_ports");
				for (size_t j = 0; j < json_array_size(hp); j++)
					printf(" %d",
					       (int)json_integer_value(json_array_get(hp, j)));
				printf("\n");
			}
		}
		json_decref(rep);
	}
	return 0;
}
