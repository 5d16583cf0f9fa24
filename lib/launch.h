/* Starting a helper daemon of ours: its command line, its ready pipe and log, why it failed. */
#ifndef ROOTLET_LAUNCH_H
#define ROOTLET_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "err.h"

/* The fds a helper is given, by number: what its --ready-fd and --wait-fd name. */
#define LAUNCH_READY_FD 3  /* it writes "1" here once up */
#define LAUNCH_WAIT_FD	4  /* an early helper reads its go byte here */
#define LAUNCH_PASS_FD	5  /* fds handed on to it start here */
#define LAUNCH_PASS_MAX 32 /* ... at most this many */
/*
 * How long a helper has to say ready after its exec (an early one: after its go). The longer
 * of the two bounds it replaces (rootlet-netns's 10 s, rootlet-network's 5 s): a helper that
 * fails says so at once (its ready pipe reaches end of file as it exits), so the bound only
 * ever waits on a wedged one, while a short one would fail a slow but healthy start on a
 * loaded machine.
 */
#define LAUNCH_READY_TIMEOUT_MS 10000
#define LAUNCH_LOG_TAIL		4096 /* of its log, read for its last line */
#define LAUNCH_NAME_MAX		64   /* a helper's binary name, with its NUL */

/* What to run, and how. */
struct launch_opts {
	char **argv;		/* argv[0] is the binary's name, found by binary_path() */
	const char *libexec;	/* binary_path()'s @libexec_sub (BINPATH_LIBEXEC), or NULL */
	int log_dir_fd;		/* its stdout and stderr go to @log in this directory */
	const char *log;	/* (made 0600, truncated) */
	const char *state_root; /* its ROOTLET_STATE_DIR, or NULL: ours */
	bool early;		/* it waits for launch_go() on LAUNCH_WAIT_FD (--wait-fd) */
	const int *pass;	/* handed on from LAUNCH_PASS_FD, in order */
	int npass;
};

/* A helper started and not yet waited for. */
struct launch_proc {
	pid_t pid;		    /* -1: none */
	int ready_fd;		    /* -1: waited for */
	int go_fd;		    /* an early helper's go socket, -1 once gone */
	int log_fd;		    /* its log, read for why it failed */
	char name[LAUNCH_NAME_MAX]; /* argv[0]: what its messages begin with */
};

#define LAUNCH_PROC_NONE                                                                           \
	{                                                                                          \
		.pid = -1, .ready_fd = -1, .go_fd = -1, .log_fd = -1                               \
	}

int launch_spawn(const struct launch_opts *o, struct launch_proc *ret, struct err *e);
int launch_go(struct launch_proc *p);
int launch_wait(struct launch_proc *p, int timeout_ms, struct err *e);
void launch_abort(struct launch_proc *p);
int launch_run(const struct launch_opts *o, int timeout_ms, pid_t *ret_pid, struct err *e);

/*
 * A command line being built: every string its own copy, freed by argv_free(). A failed
 * allocation is remembered in @err and argv_add() does nothing more, so a builder checks once.
 */
struct launch_argv {
	char **argv; /* NULL-terminated */
	size_t argc, cap;
	int err;
};

int argv_add(struct launch_argv *a, const char *arg);
int argv_addf(struct launch_argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void argv_free(struct launch_argv *a);

/* rootlet-slirp, with rootlet's defaults: --configure, --enable-sandbox, --enable-seccomp. */
struct slirp_launch {
	const char *netns;	/* the entry's name (--netns NAME), or NULL: by path, early */
	const char *netns_path; /* ... its net, user and API socket, before it has a name */
	const char *userns_path;
	const char *api_socket;
	unsigned mtu;
	bool allow_host_loopback;
	bool ipv6;
	bool early;		  /* --wait-fd */
	const char *masq6_subnet; /* --masq6-subnet (a shared network's infra), or NULL */
};

/* rootlet-portfwd. */
struct portfwd_launch {
	const char *netns;	/* a name, or a path with @userns */
	const char *userns;	/* or NULL */
	const char *api_socket; /* or NULL: its entry's */
	const char *target;	/* or NULL: the netns's own addresses */
	const char *const *publish;
	int n_publish;
	const char *const
		*publish_fd; /* FD[:...] specs: the sockets of launch_opts.pass, in order */
	int n_publish_fd;
	bool exit_with_pass; /* --exit-fd: the fd of launch_opts.pass after the publish_fd ones */
	bool source_ip;
	bool early; /* --wait-fd */
};

/* rootlet-bypass. */
struct bypass_launch {
	const char *netns;
	const char *const *publish;
	int n_publish;
	bool allow_host_loopback;
	bool ipv6;
	bool debug;
};

/* rootlet-dns. */
struct dns_launch {
	const char *netns;
	const char *listen;
	const char *upstream; /* or NULL: it answers the network's names only */
};

int launch_slirp_argv(const struct slirp_launch *o, struct launch_argv *ret);
int launch_portfwd_argv(const struct portfwd_launch *o, struct launch_argv *ret);
int launch_bypass_argv(const struct bypass_launch *o, struct launch_argv *ret);
int launch_dns_argv(const struct dns_launch *o, struct launch_argv *ret);

#endif
