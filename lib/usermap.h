/* The uid and gid maps of a rootless user namespace: own id to 0, subordinate ranges after. */
#ifndef ROOTLET_USERMAP_H
#define ROOTLET_USERMAP_H

#include <stdbool.h>
#include <sys/types.h>

#include "idmap.h"
#include "subid.h"

#define USERMAP_MSG_MAX 320
#define SUBUID_PATH	"/etc/subuid"
#define SUBGID_PATH	"/etc/subgid"

struct usermap_opts {
	const char *user; /* login name, matched in the files besides the uid */
	uid_t uid;
	gid_t gid;
	const char *subuid_path;
	const char *subgid_path;
	bool root_only; /* map only the own ids, whatever the files say */
};

struct usermap {
	struct idmap_range uid[IDMAP_MAX_RANGES];
	unsigned uid_line[IDMAP_MAX_RANGES]; /* source line in subuid; 0 for the own uid */
	size_t n_uid;
	struct idmap_range gid[IDMAP_MAX_RANGES];
	unsigned gid_line[IDMAP_MAX_RANGES];
	size_t n_gid;
	bool full; /* subordinate ranges mapped through newuidmap/newgidmap */
};

/* What usermap_build() found worth saying; it prints nothing itself. */
struct usermap_diag {
	char fallback[USERMAP_MSG_MAX]; /* why only the own ids are mapped ("" when full) */
	char warn[2 * SUBID_WARN_MAX][USERMAP_MSG_MAX];
	size_t n_warn;
	size_t n_warn_more; /* malformed lines past those listed */
};

struct err;
int usermap_build(const struct usermap_opts *o, struct usermap *ret, struct usermap_diag *diag,
		  struct err *e);
int usermap_build_own(struct usermap *ret, struct usermap_diag *diag, struct err *e);
int usermap_helpers_check(struct err *e);
int usermap_apply(pid_t pid, const struct usermap *m, struct err *e);
void usermap_format(const struct idmap_range *r, size_t n, char *buf, size_t len);

#endif
