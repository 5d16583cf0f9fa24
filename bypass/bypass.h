/* rootlet-bypass: configuration, policy, state and the parts main() puts together. */
#ifndef ROOTLET_BYPASS_H
#define ROOTLET_BYPASS_H

#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/seccomp.h>
#include <sys/socket.h>

#include "err.h"
#include "evloop.h"
#include "fwdspec.h"

#define BP_EXCLUDE_MAX 16 /* --exclude CIDRs: a netns's shared networks */
#define BP_PUBLISH_MAX 64 /* --publish rules */

struct bp_cfg {
	const char *netns_arg;	/* --netns NAME: a rootlet-netns entry */
	bool host;		/* --host: where the host's sockets are, each container by its own
				   policy (host.c) */
	const char *socket_arg; /* --socket PATH (--host) */
	int idle_exit_s;	/* --idle-exit SECONDS (--host): 0 never */
	pid_t engine_pid;	/* --engine-pid PID (--host): its userns joined, its end awaited */
	char host_name[NAME_MAX + 1];	     /* --host: the socket's name in state_fd */
	char host_pid[NAME_MAX + 1];	     /* ... its pid file's */
	char host_standby_pid[NAME_MAX + 1]; /* ... its standby's */
	char host_lock[NAME_MAX + 1];	     /* ... the lock a runtime wrapper holds meanwhile */
	char host_api[NAME_MAX + 1];	     /* ... its API's */
	char host_run[NAME_MAX + 1];	     /* ... the lock it holds for its life */
	int host_run_fd;
	const char **publish; /* --publish SPEC, as many as given */
	int n_publish;
	const char **exclude; /* --exclude CIDR */
	int n_exclude;
	bool allow_host_loopback;
	bool guard; /* TCP twins can be guarded: lib's bypass_guard_probe(), at the start */
	bool ipv6;
	bool debug;
	int ready_fd, exit_fd;
	int state_fd; /* the entry, opened without following symlinks */
	char state_dir[PATH_MAX];
	struct err err;
};

/* A network the netns reaches by itself (its slirp subnet, a shared network): not bypassed. */
struct bp_net {
	int family;
	uint8_t addr[16];
	unsigned prefix;
};

/* Where a call may go, decided from the netns's own configuration only. */
struct bp_policy {
	bool loopback; /* 10.0.2.2 (fd00::2) is the host's loopback, as slirp makes it */
	bool ipv6;     /* the netns has IPv6 through slirp: nothing more by bypass */
	bool no_ipv4;  /* a container with no IPv4 default route (host.c): every IPv4 peer inside */
	bool tcp;      /* TCP twins: host loopback allowed, or each one guarded (guard.c) */
	struct bp_net nets[BP_EXCLUDE_MAX + 2];
	int n_nets;
	struct fwd_spec publish[BP_PUBLISH_MAX];
	int n_publish;
};

/* What a connect() or bind() is answered with. */
enum bp_verdict {
	BP_CONTINUE, /* into the netns, untouched */
	BP_BYPASS,   /* a socket of the host's netns, to @to */
	BP_REFUSE,   /* an error, never the host's netns */
};

int policy_init(struct bp_policy *p, const struct bp_cfg *cfg, struct err *e);
enum bp_verdict policy_connect(const struct bp_policy *p, const struct sockaddr *sa, socklen_t len,
			       bool udp, struct sockaddr_storage *to, socklen_t *to_len);
enum bp_verdict policy_bind(const struct bp_policy *p, const struct sockaddr *sa, socklen_t len,
			    bool udp, struct sockaddr_storage *to, socklen_t *to_len);

/* The counters show reports. */
struct bp_counters {
	uint64_t bypassed;  /* connect()s and bind()s made in the host's netns */
	uint64_t passed;    /* continued into the netns */
	uint64_t refused;   /* answered with an error */
	uint64_t processes; /* listener fds taken (containers, commands) */
};

#define BP_PROCS	16  /* callers whose pidfd, fd and fdinfo directories are kept */
#define BP_FDINFO_MAX	256 /* /proc/PID/fdinfo/FD of a socket: its first lines */
#define BP_BUSY_POLL_US 50  /* after a call, look for the next this long before sleeping */
#define BP_OPTS_MAX	16  /* socket options copied to a twin */
#define BP_POOL		4   /* twins made ahead, per family and type */
/* How the link /proc/PID/fd/FD of a socket begins (sockfs's d_dname): no other file's does. */
#define BP_SOCK_LINK "socket:["
/* One listener's blocking connect()s waiting at once; past it, refused. */
#define BP_PENDING_MAX 64
/* ... and every listener's (--host serves many containers): what the fd table is sized for */
#define BP_PENDING_TOTAL_MAX 512
#define BP_INFLIGHT	     (BP_PENDING_TOTAL_MAX + 1) /* received, unanswered, and the one in hand */
#define BP_SWEEP_MS	     500 /* a waiting connect() whose caller gave up is dropped this late */
/* A read of a caller's memory (reader.c) not back this late is abandoned: the call gets EFAULT */
#define BP_READ_TIMEOUT_MS 250
/* Readers back from a held read kept idle besides the current one: a fork spared a read held */
#define BP_READERS_SPARE 4

/* A caller seen lately (procs.c). */
struct bp_proc {
	int tid;
	int pidfd;
	int fds;    /* its /proc/TID/fd (O_PATH): whether an fd is a socket, by its link */
	int fdinfo; /* its /proc/TID/fdinfo */
};

/* A fresh twin's options, per family and type: what a caller's are compared with. */
struct bp_defaults {
	int n;
	struct {
		int level, name;
		socklen_t len;
		char value[BP_OPTS_MAX];
	} opt[BP_OPTS_MAX];
};

/* bypass.sock's clients (listener.c): at most this many at once, each for this long. */
#define BP_CLIENTS_MAX	     16
#define BP_CLIENT_TIMEOUT_MS 5000
#define BP_ACCEPT_RETRY_MS   1000 /* out of fds: accept again this late, or once a client goes */

struct bp_client {
	int fd; /* -1: a free slot */
	int64_t deadline;
};

/* A notification received and not yet answered, shared with the standby (inflight.c). */
struct bp_inflight {
	uint64_t used;
	struct seccomp_notif req;
};

struct bp_notifier; /* one listener fd: a container's (or a command's) filter */
struct bp_pending;  /* a blocking connect() under way in the host's netns */
struct apiserver;

/* The standby (standby.c): a forked copy holding every listener fd, to take over. */
#define BP_STANDBY_RETRY_MS 1000 /* a standby that died sooner is forked again this late */

struct bp_state {
	struct evloop ev;
	int peer_fd;	   /* the socketpair to the standby (in the active) or the active */
	bool standby;	   /* serving nothing yet: holding the listener fds */
	int64_t forked_ms; /* when the last standby was forked */
	struct evloop_timer refork;
	int state_fd;	  /* the entry: the pid files */
	int exit_fd;	  /* --exit-fd, or -1 */
	int holder_pidfd; /* the netns's holder, or -1 */
	int inherited[2]; /* the ready fd and NOTIFY_SOCKET's: the active's alone, or -1 */
	struct bp_policy pol;
	const struct bp_policy *pol_now; /* the call's: its container's (--host), else &pol */
	bool host;			 /* --host (host.c) */
	const char *pidfile;		 /* in state_fd: the active's and the standby's */
	const char *standby_pidfile;
	int64_t idle_exit_ms; /* --host: no container for this long ends it; 0 never */
	int engine_pidfd;     /* --engine-pid: the engine, until it ends; or -1 */
	struct evloop_timer idle;
	const struct bp_cfg *host_cfg; /* --host: its files' names, removed at its end */
	struct bp_counters n;
	int listen_fd; /* bypass.sock: runtimes and rootlet-netns exec hand us listener fds */
	struct bp_client clients[BP_CLIENTS_MAX];
	struct evloop_timer client_timer; /* the earliest client's deadline, or accepting again */
	int64_t accept_at;		  /* out of fds: the listener unwatched until then; or 0 */
	int proc_fd;			  /* /proc, kept for fdinfo once the filesystem is gone */
	uint64_t host_cookie;		  /* SO_NETNS_COOKIE of the host's netns: a twin's */
	struct apiserver *api;
	struct bp_proc procs[BP_PROCS];
	int next_proc;
	struct bp_defaults defaults[2][2]; /* [IPv6?][datagram?] */
	int pool[2][2][BP_POOL];	   /* twins made ahead: socket() off a call's path */
	int npool[2][2];
	struct bp_notifier *notifiers;
	struct bp_pending *pending;
	int n_pending;
	struct evloop_timer sweep;    /* pending_sweep(), while connect()s wait */
	struct bp_inflight *inflight; /* BP_INFLIGHT slots, MAP_SHARED with the standby */
	int reader_fd;		      /* the reader process's socket (reader.c), or -1 */
	int reader_stuck;	      /* ... one the call in hand gave up on, for its listener */
	int reader_spare[BP_READERS_SPARE]; /* idle readers back from held reads ... */
	int n_reader_spare;		    /* ... how many */
	int fetched_fd;	     /* the call in hand's socket, copied with its address, or -1 */
	int fetched_err;     /* ... or why not: -ECANCELED if never tried */
	uint32_t reader_seq; /* its last request's number */
	bool guard; /* TCP twins get twin_guard()'s filter: the kernel lets us (cfg's guard) */
	const char *serves;   /* what it serves, for the API: daemon.c's serves_decide() */
	char serves_why[128]; /* ... and why */
	bool debug;
};

int listener_open(struct bp_state *st, int dir_fd, const char *name, struct err *e);
int bp_open_loop(struct bp_cfg *cfg, struct bp_state *st, const char *name);
int bp_netns_cookie(uint64_t *ret);
int listener_watch(struct bp_state *st);
void listener_clients_close(struct bp_state *st);
void listener_close(struct bp_state *st);
int notifier_add(struct bp_state *st, int fd, int pid, const char *what, struct bp_policy *pol);
int notifier_watch_all(struct bp_state *st);
void notifier_free_all(struct bp_state *st);
const struct bp_notifier *notifier_next(const struct bp_notifier *n);
const struct bp_pending *pending_next(const struct bp_pending *p);

/* One hooked call, as read once from the caller. */
struct bp_call {
	int notify_fd;
	uint64_t id;
	int pid;      /* the calling thread */
	int fd;	      /* its socket's number, in its table */
	int slot;     /* its record in the shared table (inflight.c), or -1 */
	int *waiting; /* its listener's connect()s waiting in the loop (connect.c counts them) */
	struct sockaddr_storage addr;
	socklen_t addr_len;
};

/* The caller's socket, seen through a copy of its fd. */
struct bp_sock {
	int fd; /* ours (pidfd_getfd), the same open file */
	int family, type, protocol;
	bool nonblock;
	bool cloexec; /* the caller's fd flag, kept on the twin */
	bool host;    /* already of the host's netns: a twin we installed */
	bool bound;   /* to a port or an address of its own */
};

void procs_init(struct bp_state *st);
void procs_free(struct bp_state *st);
int procs_getfd(struct bp_state *st, int tid, int fd, int *ret_fd);
int procs_sock(struct bp_state *st, int tid, int fd);
int procs_pidfd(struct bp_state *st, int tid, bool fresh, int *ret_pidfd);
int procs_cloexec(struct bp_state *st, int tid, int fd, bool *ret);
int twin_defaults_init(struct bp_state *st);
void twin_pool_refill(struct bp_state *st);
void twin_pool_free(struct bp_state *st);
int twin_sock_get(struct bp_state *st, const struct bp_call *c, struct bp_sock *ret);
int twin_sock_unknown(struct bp_state *st, const struct bp_call *c, int err);
int twin_sock_flags(struct bp_state *st, const struct bp_call *c, struct bp_sock *s);
int twin_make(struct bp_state *st, const struct bp_sock *s, int *ret_fd);
int twin_install(const struct bp_call *c, const struct bp_sock *s, int twin);
int twin_guard(const struct bp_state *st, const struct bp_sock *s, int twin, bool published);
int twin_peer_lock(int twin, const struct sockaddr_storage *to, socklen_t to_len);
int respond(struct bp_state *st, const struct bp_call *c, int error, bool cont);
bool notif_pending(int fd, uint64_t id);
void sock_release(int fd);

int bypass_connect(struct bp_state *st, const struct bp_call *c);
int bypass_bind(struct bp_state *st, const struct bp_call *c);
int bypass_fastopen(struct bp_state *st, const struct bp_call *c);
void pending_free_all(struct bp_state *st);
void pending_free_of(struct bp_state *st, int notify_fd);
bool pending_holds(const struct bp_state *st, int slot);
void pending_sweep(struct bp_state *st);

int reader_read(struct bp_state *st, int pid, uint64_t addr, void *buf, size_t len, int pidfd,
		int fd, int *ret_fd, int *ret_fd_err, int *ret_sock, uint32_t *ret_seq);
int reader_collect(int sock, uint32_t seq, bool pidfd, void *buf, size_t len, int *ret_fd,
		   int *ret_fd_err);
void reader_keep(struct bp_state *st, int sock);
int reader_getfd(struct bp_state *st, int pidfd, int fd, int *ret_fd);
int reader_abandon(struct bp_state *st);
void reader_end(int sock);
void reader_stop(struct bp_state *st);
void reader_free(struct bp_state *st);
void reader_close(int sock);
void notifier_stuck_forget(struct bp_state *st);

int inflight_init(struct bp_state *st);
int inflight_add(struct bp_state *st, const struct seccomp_notif *req);
void inflight_clear(struct bp_state *st, int slot);
bool inflight_take(struct bp_state *st, int *from, struct seccomp_notif *ret);
void inflight_free(struct bp_state *st);
void notifier_replay(struct bp_state *st);

char *bp_api_handle(void *ctx, const char *req, size_t len);

int bp_isolate_user(struct bp_cfg *cfg);
int bp_isolate_fs(struct bp_cfg *cfg);
int bp_isolate_caps(struct bp_cfg *cfg);
int bp_isolate_syscalls(struct bp_cfg *cfg);

int bp_run_daemon(struct bp_cfg *cfg);
int host_open_paths(struct bp_cfg *cfg, struct bp_state *st);
#define host_cookie_init(st) bp_netns_cookie(&(st)->host_cookie)
int host_policy(struct bp_state *st, const char *text, size_t len, int pid, struct bp_policy **ret);
void host_idle_update(struct bp_state *st);
void host_unlink(struct bp_state *st);
int host_engine_watch(struct bp_state *st);
void bp_daemon_free(struct bp_state *st);

int standby_start(struct bp_state *st);
void standby_bye(struct bp_state *st);

/* The socketpair's messages (standby_link.c). */
#define STANDBY_LISTENER 'L'
#define STANDBY_BYE	 'B'
#define STANDBY_META_MAX 64

/* A listener fd the active took, as the standby receives it. */
struct standby_listener {
	int fd;
	int pid;
	char what[STANDBY_META_MAX];
	struct bp_policy *pol;
};

void standby_send(struct bp_state *st, int fd, int pid, const char *what,
		  const struct bp_policy *pol);
int standby_send_bye(int peer);
int standby_recv(int peer, uint32_t events, struct standby_listener *ret);

#endif
