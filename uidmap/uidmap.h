/* rootlet-uidmap: the configuration every verb reads, and the verbs' entry points. */
#ifndef ROOTLET_UIDMAP_H
#define ROOTLET_UIDMAP_H

#include <stdbool.h>
#include <sys/types.h>

#include "err.h"
#include "usermap.h"

#define USER_NAME_MAX 256

struct uidmap_cfg {
	const char *verb;
	const char *user_arg;	 /* show USER */
	pid_t pid;		 /* apply PID */
	char **cmd;		 /* exec */
	const char *config_path; /* oci */
	bool json;
	bool in_place;
	bool strict;
	bool cmd_failed; /* exec: the command itself could not be run */
	struct usermap_opts opts;
	char user[USER_NAME_MAX];
	struct usermap map;
	struct usermap_diag diag;
	struct err err; /* what went wrong, for main() to print */
};

int uidmap_show(struct uidmap_cfg *cfg);
int uidmap_apply(struct uidmap_cfg *cfg);
int uidmap_exec(struct uidmap_cfg *cfg);
int uidmap_oci(struct uidmap_cfg *cfg);

#endif
