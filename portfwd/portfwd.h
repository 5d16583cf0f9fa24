/* rootlet-portfwd: configuration, state and the parts main() puts together. */
#ifndef ROOTLET_PORTFWD_H
#define ROOTLET_PORTFWD_H

#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "evloop.h"
#include "fwdspec.h"

#define PF_BUSY_POLL_US	   50 /* default --busy-poll: a little over a vCPU's wake-up here */
#define PF_BUSY_POLL_MAX   10000
#define PF_BUSY_POLL_BYTES (16 * 1024) /* a wake-up that relayed less is a conversation's */
#define PF_PIPE_POOL	   16	       /* empty pipes kept for new connections: two each */

struct pf_cfg {
	const char *verb; /* NULL: run the daemon */
	const char *netns_arg;
	const char *userns_arg;
	const char *target_arg;
	char net_path[PATH_MAX];
	char user_path[PATH_MAX];
	int state_fd;	   /* the entry, opened without following symlinks; or -1 */
	bool api_in_state; /* the API socket is the entry's own (no --api-socket) */
	char api_path[PATH_MAX];
	const char **publish; /* as many as given: podman passes one per -p */
	int n_publish;
	const char **reverse;
	int n_reverse;
	const char **publish_fd; /* --publish-fd FD[:PORT][/PROTO] */
	int n_publish_fd;
	int ready_fd, exit_fd, wait_fd;
	bool json, debug;
	bool source_ip;	   /* relays keep the client's address */
	int busy_poll_us;  /* --busy-poll */
	bool rootlessport; /* run as podman's rootlessport */
	char *reload_dir;  /* rootlessport with RootlessCNI: <TmpDir>/rp, where ... */
	char *reload_name; /* ... the socket named for the container takes a new ChildIP */
	char **args;	   /* client verbs: after NAME */
	int nargs;
	struct err err; /* what went wrong, for main() to print */
};

#define NSOCK_POOL 8 /* TCP sockets kept made inside, per family */

/* The thread that lives in the target netns and makes sockets there for us. */
struct nsock {
	int fd;			 /* our end of the request socketpair */
	int pool[2][NSOCK_POOL]; /* [0] IPv4, [1] IPv6 */
	int npool[2];
	bool pooled[2]; /* a relay used the family: keep its pool filled */
	int refilling;	/* 1 + the family index of the refill in flight, or 0 */
	pthread_t thread;
	bool has4, has6;
	bool transparent4, transparent6; /* --source-ip works for the family */
	struct in_addr target4;		 /* where connections go inside */
	struct in6_addr target6;
};

int nsock_start(struct nsock *ns, int net_fd, const char *target, bool source_ip, struct err *e);
enum nsock_use {
	NSOCK_LISTEN,
	NSOCK_CONNECT,
	NSOCK_TRANSPARENT
};
int nsock_socket(struct nsock *ns, int family, int type, enum nsock_use use);
void nsock_refill(struct nsock *ns);
int nsock_refilled(struct nsock *ns);
int srcip_setup(bool *has4, bool *has6);
void nsock_stop(struct nsock *ns);

struct pf_forward;
struct udp_table;

struct pf_listener {
	int fd;
	uint16_t host_port;
	uint16_t port;
	struct pf_forward *fwd;
};

struct pf_forward {
	int id;
	bool reverse;	/* listening inside the netns, connecting to the host's loopback */
	bool inherited; /* --publish-fd: a socket we were handed, not one we bound */
	struct fwd_spec spec;
	int n;
	struct pf_listener *ls;
	struct pf_forward *next;
};

struct pf_state {
	struct evloop ev;
	struct nsock ns;
	struct pf_forward *forwards;
	int next_id;
	bool debug;
	bool source_ip;
	size_t relayed_bytes; /* by the events of this wake-up */
	bool accepted;	      /* a connection came in this wake-up */
	struct apiserver *api;
	int pipes[PF_PIPE_POOL][2];
	int n_pipes;
	bool relayed;	       /* a TCP connection came: keep the pools filled */
	struct udp_table *udp; /* UDP flows, made on first use */
	int diag_fd;	       /* NETLINK_SOCK_DIAG: who a UDP reply reaches (udp.c) */
	int reload_fd;	       /* podman's reload socket, or -1 */
	int reload_dir_fd;     /* the directory it is in, to remove it at exit */
	const char *reload_name;
	char unpriv_port_start[16]; /* the sysctl, read before the sandbox, for messages */
};

/* The daemon a handler's loop belongs to. */
static inline struct pf_state *pf_of(struct evloop *ev)
{
	return container_of(ev, struct pf_state, ev);
}

void forward_init(struct pf_state *st);
int forward_add(struct pf_state *st, const char *text, bool reverse, struct pf_forward **ret,
		struct err *e);
int forward_remove(struct pf_state *st, const char *id_or_spec, struct err *e);
void forward_link(struct pf_state *st, struct pf_forward *f);
int forward_add_fd(struct pf_state *st, const char *text, struct pf_forward **ret, struct err *e);
int forward_add_activated(struct pf_state *st, struct err *e);
void forward_free_all(struct pf_state *st);
struct json_t;
struct json_t *forward_json(const struct pf_forward *f);

int pf_target(struct pf_state *st, const struct pf_listener *l, struct sockaddr_storage *ret,
	      socklen_t *ret_len);
void relay_accept(struct evloop *ev, void *listener, int fd, uint32_t events);
void relay_refill(struct pf_state *st);
void udp_listener_event(struct evloop *ev, void *listener, int fd, uint32_t events);
void udp_flow_event(struct evloop *ev, void *flow, int fd, uint32_t events);
int64_t udp_expire(struct pf_state *st, struct pf_listener *l);
void udp_free(struct pf_state *st);
void relay_event(struct evloop *ev, void *conn, int fd, uint32_t events);

char *pf_api_handle(void *st, const char *buf, size_t len);

void pf_isolate_initial(void);
const char *pf_ns_file(const struct pf_cfg *cfg, const char *file, const char *path);
int pf_isolate_user(struct pf_cfg *cfg);
int pf_isolate_fs(struct pf_cfg *cfg);
int pf_isolate_caps(struct pf_cfg *cfg);
int pf_isolate_thread_caps(bool source_ip);
int pf_isolate_syscalls(struct pf_cfg *cfg);

#define ROOTLESSPORT_NAME "rootlessport"
int rootlessport_config(struct pf_cfg *cfg);
int rootlessport_parse(const char *buf, size_t len, struct pf_cfg *cfg);
void pf_cfg_free_rootlessport(struct pf_cfg *cfg);
int pf_resolve_netns(struct pf_cfg *cfg);

int reload_open(struct pf_state *st, const char *dir, const char *name, struct err *e);
void reload_close(struct pf_state *st);

int pf_loop_init(struct pf_state *st, int exit_fd);
int pf_loop_watch_nsock(struct pf_state *st);
int pf_run_daemon(struct pf_cfg *cfg);
int pf_run_client(struct pf_cfg *cfg);

#endif
