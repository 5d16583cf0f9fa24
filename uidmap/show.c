/* rootlet-uidmap show: the maps a user gets, and the subordinate ranges they come from. */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>

#include "uidmap.h"

static json_t *show_ranges(const struct idmap_range *r, const unsigned *lines, size_t n,
			   const char *file)
{
	json_t *arr = json_array();
	char source[PATH_MAX + 16];

	for (size_t i = 0; i < n; i++) {
		if (lines[i])
			snprintf(source, sizeof(source), "%s:%u", file, lines[i]);
		else
			snprintf(source, sizeof(source), "own id");
		json_array_append_new(arr, json_pack("{s:I, s:I, s:I, s:s}", "inside",
						     (json_int_t)r[i].inside, "outside",
						     (json_int_t)r[i].outside, "count",
						     (json_int_t)r[i].count, "source", source));
	}
	return arr;
}

static void show_human(const char *title, const struct idmap_range *r, const unsigned *lines,
		       size_t n, const char *file)
{
	printf("%s:\n", title);
	for (size_t i = 0; i < n; i++) {
		printf("%10u %10u %10u", r[i].inside, r[i].outside, r[i].count);
		if (lines[i])
			printf("   from %s:%u\n", file, lines[i]);
		else
			printf("   own id\n");
	}
}

/**
 * uidmap_show() - Print the uid and gid maps for the user, in /proc/PID/uid_map form
 * @cfg:	configuration, with the map built
 *
 * Return: 0 on success, -ENOMEM
 */
int uidmap_show(struct uidmap_cfg *cfg)
{
	const struct usermap *m = &cfg->map;
	json_t *obj;

	if (!cfg->json) {
		printf("user %s (uid %u, gid %u): %s\n", cfg->user, (unsigned)cfg->opts.uid,
		       (unsigned)cfg->opts.gid, m->full ? "subordinate ranges" : "own ids only");
		show_human("uid_map", m->uid, m->uid_line, m->n_uid, cfg->opts.subuid_path);
		show_human("gid_map", m->gid, m->gid_line, m->n_gid, cfg->opts.subgid_path);
		return 0;
	}
	obj = json_pack(
		"{s:s, s:I, s:I, s:b, s:s?, s:o, s:o}", "user", cfg->user, "uid",
		(json_int_t)cfg->opts.uid, "gid", (json_int_t)cfg->opts.gid, "full", m->full,
		"fallback", cfg->diag.fallback[0] ? cfg->diag.fallback : NULL, "uid_map",
		show_ranges(m->uid, m->uid_line, m->n_uid, cfg->opts.subuid_path), "gid_map",
		show_ranges(m->gid, m->gid_line, m->n_gid, cfg->opts.subgid_path));
	if (!obj)
		return -ENOMEM;
	json_dumpf(obj, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	json_decref(obj);
	return 0;
}
