/* rootlet-netns: the configuration every verb reads, and the verbs' entry points. */
#ifndef ROOTLET_NETNS_H
#define ROOTLET_NETNS_H

#include <limits.h>
#include <stdbool.h>

#include "entry_build.h"
#include "err.h"
#include "holder.h"
#include "launch.h"
#include "state.h"

#define NETNS_DETAIL_MAX 512

struct netns_cfg {
	const char *verb;
	const char *name;
	const char *config_path; /* oci */
	const char *userns_path; /* add --userns */
	char **cmd;		 /* exec: argv of the command, NULL-terminated */
	bool json;
	bool in_place;
	bool user;
	bool debug;
	bool slirp;		  /* add --slirp */
	bool ipv6;		  /* add --ipv6 */
	bool allow_host_loopback; /* add --allow-host-loopback */
	unsigned mtu;		  /* add --mtu, for slirp */
	const char **publish;	  /* add --publish, for portfwd: as many as given */
	int n_publish;
	const char **publish_fd; /* add --publish-fd FD[:PORT][/PROTO], for portfwd */
	int *publish_fds;	 /* ... the fd each names, passed on to it */
	int n_publish_fd;
	bool source_ip;			/* add --source-ip, for portfwd */
	pid_t owner;			/* add --owner PID: it ends with PID */
	unsigned long long owner_start; /* ... PID's start time, as recorded */
	bool exist_ok;			/* add --exist-ok: keep a live one of the name */
	bool bypass;			/* add/exec/oci --bypass */
	bool bypass_unguarded;		/* add --bypass: no TCP twin can be guarded here */
	bool cmd_failed;		/* exec: the command itself could not be run */
	char root[PATH_MAX];		/* state root */
	struct err err;			/* what went wrong, for main() to print */
	char warning[NETNS_DETAIL_MAX]; /* one line main() prints whatever the outcome */
};

/* An opened entry: its directory, its lock (or -1) and its parsed state. */
struct entry {
	int root_fd;
	int dir_fd;
	int lock_fd;
	struct netns_state st;
};

int entry_open(struct netns_cfg *cfg, bool create_root, bool lock, struct entry *ret);
void entry_close(struct entry *e);
int entry_remove(int root_fd, const char *dir_name, int dir_fd, const struct netns_state *st);
int entry_ns_path(const struct netns_cfg *cfg, const char *file, char *buf, size_t len);

/* lib/holder.h's holder_spawn() for add: --userns, or a new userns with the caller's maps. */
int holder_spawn_for(struct netns_cfg *cfg, struct netns_state *st, holder_unshared_fn unshared,
		     void *arg, int *ret_commit_fd);
int holder_stop(const struct netns_state *st);
#define HOLDER_STOP_TIMEOUT_MS 2000 /* SIGTERM's grace before SIGKILL */

struct pidfile;
int orphan_holder(int dir_fd, const char *root, const char *name, struct pidfile *ret);
int orphan_stop(int dir_fd, const char *root, const char *name, const struct netns_state *st);

struct pidfile;
int helpers_each(int dir_fd, int (*fn)(const char *helper, const struct pidfile *pf, void *data),
		 void *data);
int helpers_stop(int dir_fd);
int start_slirp(struct netns_cfg *cfg, int dir_fd);

int start_slirp_early(struct netns_cfg *cfg, int dir_fd, const char *dir_path,
		      struct launch_proc *h);
bool wants_portfwd(const struct netns_cfg *cfg);
bool starts_portfwd_early(const struct netns_cfg *cfg);
int start_portfwd_early(struct netns_cfg *cfg, int dir_fd, const char *dir_path,
			struct launch_proc *h);
int helper_spawn_early(struct netns_cfg *cfg, int dir_fd, const char *log, char **argv,
		       const int *pass, int npass, struct launch_proc *h);
int helper_finish(struct netns_cfg *cfg, int dir_fd, struct launch_proc *h, const char *pidfile);
/* An early helper's paths in the entry being built: its namespaces' links, its API socket. */
struct early_paths {
	char net[PATH_MAX], user[PATH_MAX], api[PATH_MAX];
};
int early_paths(struct netns_cfg *cfg, const char *dir_path, const char *api,
		struct early_paths *ret);
#define HELPER_PASS_MAX LAUNCH_PASS_MAX /* add --publish-fd: at most this many */
int helper_launch(struct netns_cfg *cfg, int dir_fd, const char *log, char **argv, const int *pass,
		  int npass);
int start_portfwd(struct netns_cfg *cfg, int dir_fd);
int write_slirp_resolv(const struct netns_cfg *cfg, int dir_fd);
bool publish_goes_to_bypass(const struct netns_cfg *cfg, const char *spec);
int start_bypass(struct netns_cfg *cfg, int dir_fd);
int under_bypass_exec(struct netns_cfg *cfg, const char *listener);
typedef struct json_t json_t;
int under_bypass_oci(struct netns_cfg *cfg, json_t *config, const char *listener);

void format_time_iso(long long secs, char *buf, size_t len);
#define TIME_ISO_MAX 32

int rootns_prepare_root(const char *root);
int rootns_create(int dir_fd);
int rootns_release(int dir_fd);

int netns_join_entry(struct netns_cfg *cfg);

int netns_add(struct netns_cfg *cfg);
int netns_del(struct netns_cfg *cfg);
int netns_list(struct netns_cfg *cfg);
int netns_exec(struct netns_cfg *cfg);
int netns_path(struct netns_cfg *cfg);
int netns_show(struct netns_cfg *cfg);
int netns_oci(struct netns_cfg *cfg);
int netns_gc(struct netns_cfg *cfg);
int gc_entry(const char *root, int root_fd, const char *dir_name, bool is_tmp);

#endif
