/* state.json of a netns entry: who holds the netns, and whether it is still alive. */
#ifndef ROOTLET_STATE_H
#define ROOTLET_STATE_H

#include <stdbool.h>
#include <sys/types.h>

#include "name.h"

#define STATE_FILE "state.json"
#define STATE_LOCK "lock"
#define STATE_NET  "net"
#define STATE_USER "user"
/* The helpers' files in an entry: DESIGN.md's layout, spelled here only. */
#define STATE_SLIRP_SOCKET	     "slirp.sock"
#define STATE_SLIRP_PIDFILE	     "slirp.pid"
#define STATE_SLIRP_LOG		     "slirp.log"
#define STATE_PORTFWD_SOCKET	     "portfwd.sock"
#define STATE_PORTFWD_PIDFILE	     "portfwd.pid"
#define STATE_PORTFWD_LOG	     "portfwd.log"
#define STATE_BYPASS_SOCKET	     "bypass.sock" /* a runtime's seccomp listenerPath */
#define STATE_BYPASS_API	     "bypass-api.sock"
#define STATE_BYPASS_PIDFILE	     "bypass.pid"
#define STATE_BYPASS_LOG	     "bypass.log"
#define STATE_BYPASS_STANDBY_PIDFILE "bypass-standby.pid"
#define STATE_RESOLV_CONF	     "resolv.conf" /* exec binds it over /etc/resolv.conf */
#define STATE_NOTIFY_SOCKET	     "notify.sock" /* rootlet run's relay of the command's sd_notify */
/* A network infra's entry: its rootlet-dns, the names it answers, each container's portfwd. */
#define STATE_DNS_PIDFILE	 "dns.pid"
#define STATE_DNS_LOG		 "dns.log"
#define STATE_HOSTS		 "hosts"	  /* "ADDRESS NAME..." lines */
#define STATE_PORTFWD_ID_PIDFILE "portfwd-%s.pid" /* a format: %s, the container's ID */
#define STATE_PORTFWD_ID_LOG	 "portfwd-%s.log"
#define STATE_FILE_MODE		 0600

/* How the netns's user namespace came to be. */
#define USERNS_NEW	"new"	/* made by add, mapped for the caller */
#define USERNS_JOIN	"join"	/* joined from --userns PATH */
#define USERNS_CHILD	"child" /* its own, a child of a network's (issue 24), mapped 1:1 */
#define USERNS_HOST	"host"	/* root: no userns, the netns is an nsfs bind mount */
#define USERNS_MODE_MAX 8

/* rootlet-network's infras' own state root inside a user's: <root>/~infra/NETWORK. */
#define STATE_INFRA_DIR "~infra"

/* rootlet run's command and its teardown; room for one more (see state_owner_add()). */
#define STATE_OWNERS_MAX 3

/* A process an entry belongs to: a pid is never trusted without its start time. */
struct state_owner {
	pid_t pid;
	unsigned long long start;
};

struct netns_state {
	char name[NAME_MAX_LEN + 1];
	pid_t holder_pid; /* 0 for a root netns */
	unsigned long long holder_start;
	char userns[USERNS_MODE_MAX];
	long long created; /* seconds since the epoch */
	/* None: kept until del (add, run --keep); else gc removes it once all have ended. */
	struct state_owner owners[STATE_OWNERS_MAX];
	int n_owners;
};

int state_parse(const char *text, struct netns_state *ret);
int state_format(const struct netns_state *st, char **ret_text);
int state_read(int dir_fd, struct netns_state *ret);
int state_write(int dir_fd, const struct netns_state *st);
bool state_is_host(const struct netns_state *st);
int state_live(int dir_fd, const struct netns_state *st);
int state_holder_pidfd(int dir_fd, int *ret_fd);
int state_ns_open(int dir_fd, const struct netns_state *st, int *ret_user_fd, int *ret_net_fd);
/* state_nsopen.c */
int state_ns_open_holder_checked(const char *path, int nstype, int *ret_fd);

/* state_owner.c */
int state_owner_of(pid_t pid, struct state_owner *ret);
int state_owner_add(int dir_fd, pid_t pid);
int state_owners_gone(const struct netns_state *st);

#endif
