/* rootlet-runtime: an OCI runtime with runc's command line that runs the real one (crun, runc). */
#ifndef ROOTLET_RUNTIME_H
#define ROOTLET_RUNTIME_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "err.h"
#include "rtrecord.h"

#define RT_PROG		   "rootlet-runtime"
#define RT_ENV		   "ROOTLET_RUNTIME" /* the real runtime, when no --runtime names it */
#define RT_EXIT_FAILED	   1
#define RT_ENV_ROOTLESSKIT "ROOTLESSKIT_STATE_DIR" /* set for rootlesskit's child, inherited */
#define RT_WARNING_MAX	   256

/* The annotations that ask for the bypass (podman --annotation, Kubernetes pod annotations). */
#define RT_ANN_BYPASS	     "io.rootlet.bypass"
#define RT_ANN_HOST_LOOPBACK "io.rootlet.bypass.host-loopback"
#define RT_ANN_PUBLISH	     "io.rootlet.bypass.publish"

/* The real runtime: its path, and what chose it (for --version and messages). */
struct rt_choice {
	char path[PATH_MAX];
	const char *how;
};

/* What the bypass asks of a container: the options' and the annotations' union. */
struct rt_ask {
	bool bypass;
	bool host_loopback;
	const char **publish; /* SPEC texts, each one spec */
	int n_publish;
	char warning[RT_WARNING_MAX];
};

/* What the wrapper was asked on its own command line, and the runtime's, its options taken out. */
struct rt_cfg {
	const char *runtime; /* --runtime PATH|NAME */
	struct rt_ask ask;   /* --bypass, --bypass-host-loopback, --bypass-publish (Docker's
				runtimeArgs: it has no annotations) */
	bool help, version;
	char **argv; /* the runtime's command line; argv[0] is for its path */
	int argc;
	int verb; /* argv's index of the verb; 0: none */
};

int rt_args_parse(int argc, char **argv, struct rt_cfg *cfg, struct err *e);
bool rt_args_is_create(const struct rt_cfg *cfg);
int rt_args_config_path(const struct rt_cfg *cfg, char *buf, size_t len);
const char *rt_args_global(const struct rt_cfg *cfg, const char *name);
int rt_choose(const char *option, struct rt_choice *ret, struct err *e);
int rt_bypass(const struct rt_cfg *cfg, const char *config_path, struct rt_ask *ask, struct err *e);
int rt_supervisor_check(int entry_fd, const char *name, const struct rt_ask *ask, struct err *e);
int rt_publish_add(struct rt_ask *ask, const char *list, struct err *e);
int rt_host_listener(char *buf, size_t len, bool start, struct err *e);
int rt_kit_child(pid_t *ret);
const char *rt_record_id(const struct rt_cfg *cfg);
int rt_record_write(const struct rt_cfg *cfg, const char *id, const char *path);
int rt_record_read(const char *id, bool remove, struct rtrecord *ret);
int rt_record_confirm(const char *id, struct rtrecord *r);

#endif
