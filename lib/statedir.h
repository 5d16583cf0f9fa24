/* Where rootlet keeps its state, and opening it safely. */
#ifndef ROOTLET_STATEDIR_H
#define ROOTLET_STATEDIR_H

#include <dirent.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define STATE_DIR_MODE	       0700
#define STATE_ROOT_FOR_ROOT    "/run/rootlet"
#define STATE_USER_RUNTIME_DIR "/run/user" /* /run/user/UID: where XDG_RUNTIME_DIR is unset */
#define STATE_ROOT_ENV	       "ROOTLET_STATE_DIR" /* the state root, first; a helper's */

struct err;

int state_root_path(char *buf, size_t len);
int state_root_open(const char *path, bool create, int *ret_fd);
int state_root_stream(const char *path, int *ret_fd, DIR **ret_dir);
int state_root_missing(struct err *e);
int state_root_refused(const char *path, struct err *e);
int state_entry_path(char *buf, size_t len, const char *root, const char *name, const char *file);

/* Every path of one entry, as DESIGN.md's state layout names them. */
struct state_paths {
	char dir[PATH_MAX];
	char net[PATH_MAX];
	char user[PATH_MAX];
	char slirp_socket[PATH_MAX];
	char portfwd_socket[PATH_MAX];
};

int state_paths(const char *root, const char *name, struct state_paths *ret);

#endif
