/* rootlet doctor: can this machine and user do rootless networking, and what to fix if not. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doctor.h"
#include "front.h"
#include "log.h"

static const char *const status_names[] = {
	[DOCTOR_OK] = "ok", [DOCTOR_WARN] = "warn", [DOCTOR_FAIL] = "fail"
};

static void print_json(const struct doctor *d)
{
	json_t *all = json_array();
	char *text;

	for (int i = 0; i < d->n; i++) {
		const struct doctor_result *r = &d->results[i];
		json_t *o = json_pack("{s:s, s:s, s:s}", "check", r->check, "status",
				      status_names[r->status], "detail", r->detail);

		if (r->fix[0])
			json_object_set_new(o, "fix", json_string(r->fix));
		json_array_append_new(all, o);
	}
	text = json_dumps(all, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (text)
		printf("%s\n", text);
	free(text);
	json_decref(all);
}

static void print_table(const struct doctor *d)
{
	for (int i = 0; i < d->n; i++) {
		const struct doctor_result *r = &d->results[i];

		printf("%-5s %-20s %s\n", status_names[r->status], r->check, r->detail);
		if (r->fix[0] && r->status != DOCTOR_OK)
			printf("%-5s %-20s fix: %s\n", "", "", r->fix);
	}
}

/**
 * front_doctor() - `rootlet doctor [--json] [--subuid FILE] [--subgid FILE]`
 * @argc:	count, "doctor" included
 * @argv:	arguments
 *
 * Return: 0 if no check failed, 1 if one did, 2 usage
 */
int front_doctor(int argc, char **argv)
{
	static struct doctor d = { .subuid = "/etc/subuid", .subgid = "/etc/subgid" };
	bool json = false;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j")) {
			json = true;
		} else if ((!strcmp(argv[i], "--subuid") || !strcmp(argv[i], "--subgid")) &&
			   i + 1 < argc) {
			if (!strcmp(argv[i], "--subuid"))
				d.subuid = argv[++i];
			else
				d.subgid = argv[++i];
		} else {
			log_error("doctor: unknown option '%s'; see 'rootlet help'", argv[i]);
			return FRONT_EXIT_USAGE;
		}
	}
	check_userns(&d);
	check_helpers(&d);
	check_subids(&d);
	check_tun(&d);
	check_runtime_dir(&d);
	check_ports(&d);
	check_libslirp(&d);
	check_bypass(&d);
	check_stale(&d);
	if (json)
		print_json(&d);
	else
		print_table(&d);
	for (int i = 0; i < d.n; i++)
		if (d.results[i].status == DOCTOR_FAIL)
			return 1;
	return 0;
}
