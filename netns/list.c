/* rootlet-netns list: every entry, live or stale, as a table or as JSON. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "strfmt.h"
#include "fileio.h"
#include "netns.h"
#include "statedir.h"

struct list_row {
	char name[NAME_MAX_LEN + 1];
	const char *state; /* live, stale or corrupt */
	struct netns_state st;
	char netns[PATH_MAX];
};

static int row_cmp(const void *a, const void *b)
{
	return strcmp(((const struct list_row *)a)->name, ((const struct list_row *)b)->name);
}

static void row_fill(const char *root, int root_fd, const char *name, struct list_row *row)
{
	int dir_fd, live;

	memset(row, 0, sizeof(*row));
	row->state = "corrupt";
	/* @name passed name_check(): it fits. A path too long to name is left empty, never cut. */
	if (str_fmt(row->name, sizeof(row->name), "%s", name) ||
	    str_fmt(row->netns, sizeof(row->netns), "%s/%s/%s", root, name, STATE_NET))
		row->netns[0] = '\0';
	dir_fd = openat(root_fd, name, DIR_OPEN_FLAGS);
	if (dir_fd < 0)
		return;
	if (!state_read(dir_fd, &row->st)) {
		live = state_live(dir_fd, &row->st);
		row->state = live > 0 ? "live" : live == 0 ? "stale" : "unknown";
	}
	close(dir_fd);
}

/* Reads every entry; *ret_rows is malloc()ed, sorted by name. */
static int list_collect(const char *root, struct list_row **ret_rows, size_t *ret_n)
{
	struct list_row *rows = NULL, *grown;
	size_t n = 0, cap = 0;
	int root_fd, err;
	struct dirent *de;
	DIR *dir;

	err = state_root_stream(root, &root_fd, &dir);
	if (err == -ENOENT) {
		*ret_rows = NULL;
		*ret_n = 0;
		return 0;
	}
	if (err)
		return err;
	while ((de = readdir(dir))) {
		/* Not only directories: a symlink or file under a name shows up, as corrupt. */
		if (name_check(de->d_name, NULL))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			grown = realloc(rows, cap * sizeof(*rows));
			if (!grown) {
				err = -ENOMEM;
				break;
			}
			rows = grown;
		}
		row_fill(root, root_fd, de->d_name, &rows[n++]);
	}
	closedir(dir);
	close(root_fd);
	if (err) {
		free(rows);
		return err;
	}
	if (n)
		qsort(rows, n, sizeof(*rows), row_cmp);
	*ret_rows = rows;
	*ret_n = n;
	return 0;
}

static int list_print_json(const struct list_row *rows, size_t n)
{
	json_t *arr = json_array();
	char when[TIME_ISO_MAX];

	if (!arr)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct list_row *r = &rows[i];
		json_t *obj;

		format_time_iso(r->st.created, when, sizeof(when));
		obj = json_pack("{s:s, s:s, s:I, s:s, s:s?, s:s?}", "name", r->name, "state",
				r->state, "holder_pid", (json_int_t)r->st.holder_pid, "netns",
				r->netns, "userns", r->st.userns[0] ? r->st.userns : NULL,
				"created", r->st.created ? when : NULL);
		if (!obj || json_array_append_new(arr, obj)) {
			json_decref(arr);
			return -ENOMEM;
		}
	}
	json_dumpf(arr, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	json_decref(arr);
	return 0;
}

static void list_print_table(const struct list_row *rows, size_t n)
{
	int wname = (int)strlen("NAME"), wstate = (int)strlen("STATE");
	char when[TIME_ISO_MAX];

	for (size_t i = 0; i < n; i++) {
		if ((int)strlen(rows[i].name) > wname)
			wname = (int)strlen(rows[i].name);
		if ((int)strlen(rows[i].state) > wstate)
			wstate = (int)strlen(rows[i].state);
	}
	printf("%-*s  %-*s  %-7s  %-20s  %s\n", wname, "NAME", wstate, "STATE", "PID", "CREATED",
	       "NETNS");
	for (size_t i = 0; i < n; i++) {
		const struct list_row *r = &rows[i];
		char pid[16];

		format_time_iso(r->st.created, when, sizeof(when));
		snprintf(pid, sizeof(pid), "%d", (int)r->st.holder_pid);
		printf("%-*s  %-*s  %-7s  %-20s  %s\n", wname, r->name, wstate, r->state,
		       r->st.holder_pid ? pid : "-", r->st.created ? when : "-", r->netns);
	}
}

/**
 * netns_list() - Print every entry: name, live/stale, holder pid, created, netns path
 * @cfg:	configuration (json)
 *
 * Return: 0 on success, negative errno on failure
 */
int netns_list(struct netns_cfg *cfg)
{
	struct list_row *rows = NULL;
	size_t n = 0;
	int err;

	if ((err = list_collect(cfg->root, &rows, &n)))
		return err;
	if (cfg->json)
		err = list_print_json(rows, n);
	else
		list_print_table(rows, n);
	free(rows);
	return err;
}
