/* rootlet-network: shared networks' records, the configuration every verb reads, the verbs. */
#ifndef ROOTLET_NETWORK_H
#define ROOTLET_NETWORK_H

#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "dnsname.h"
#include "entry_build.h"
#include "err.h"
#include "launch.h"
#include "name.h"
#include "state.h"
#include "usermap.h"

/* Under the state root, beside the netns entries: '~' is no name character. */
#define NET_DIR "~networks"
/*
 * The infras' own state root, <root>/~infra: network NAME's infra is its rootlet netns NAME.
 * No netns name and no container ID can reach into it, and a network's name is its infra's
 * whole (an old build's infra was <root>/net.NAME, cut to 64 bytes: see infra_legacy_stop()).
 */
#define NET_INFRA_DIR		STATE_INFRA_DIR
#define NET_LEGACY_INFRA_PREFIX "net."
#define NET_STATE_ROOT_ENV	"ROOTLET_STATE_DIR" /* how our children find their state root */
#define NET_RECORD_EXT		".json"
#define NET_LOCK_EXT		".lock"
#define NET_MTU_DEFAULT		65520 /* rootlet-slirp's, as rootlet's own callers pass it */
#define NET_MTU_MIN		68
#define NET_MTU_MAX		65520
#define NET_MTU6_MIN		1280 /* IPv6's minimum link MTU (RFC 8200): below, no IPv6 address */
#define NET_RECORD_MAX		(64 * 1024)
#define NET_PREFIX_TEXT		sizeof("/4294967295") /* "/PREFIX" of any unsigned */
#define NET_PREFIX_MIN		8		      /* a subnet no larger than a /8 ... */
#define NET_PREFIX_MAX		30 /* ... and with room for a gateway and a container */
#define NET_PREFIX6_MIN		48
#define NET_PREFIX6_MAX		120

/*
 * A network's infra: the rootlet netns entry <root>/~infra/NAME, its paths computed once
 * (infra_init()) when the record is read, and passed down from there.
 */
struct net_infra {
	char name[NAME_MAX_LEN + 1]; /* its entry's name: the network's */
	char dir[PATH_MAX];	     /* <root>/~infra/NAME */
	char net[PATH_MAX];	     /* .../net, its holder's netns */
	char user[PATH_MAX];	     /* .../user, its holder's user namespace */
};

/* attachment.c: one container's attachment, a typed record; its JSON is spelled there only. */
enum att_state {
	ATT_PENDING,  /* alloc is making it (or died doing so: rolled back) */
	ATT_READY,    /* plumbed, published, in the hosts file */
	ATT_REMOVING, /* dealloc is taking it down (or died doing so: finished) */
};
#define NET_MAC_LEN 6
struct net_attach {
	/* A name (NAME_MAX_LEN), "" when the record's is none (edited by hand); sized for
	 * dnsname_valid(), which reads up to a DNS name's length. */
	char id[DNSNAME_MAX + 1];
	enum att_state state;
	bool has_ip, has_ip6, has_mac; /* false: missing or corrupt in the record */
	struct in_addr ip;
	struct in6_addr ip6;
	uint8_t mac[NET_MAC_LEN];
	char netns[PATH_MAX]; /* its netns file; "" when none */
	bool made;	      /* alloc made the netns (<root>/ID): dealloc deletes it */
	char veth[IFNAMSIZ];  /* the infra's end; "" when none */
	char *hostname;	      /* or NULL */
	char **aliases;	      /* its --alias names */
	size_t n_aliases;
	char **publish; /* its --publish SPECs */
	size_t n_publish;
	pid_t alloc_pid; /* a pending one's alloc, for what it left being built; else 0 */
};

/* A network's record: what create said; what alloc attaches is added later. */
struct net_record {
	char name[NAME_MAX_LEN + 1];
	struct in_addr subnet, gateway;
	unsigned prefix;
	bool ipv6;
	struct in6_addr subnet6, gateway6;
	unsigned prefix6;
	unsigned mtu;
	bool internal;		/* no outbound path */
	bool dns;		/* a DNS responder for the containers' names */
	bool host_loopback;	/* containers reach the host's loopback through slirp */
	int64_t created;	/* seconds since the epoch */
	size_t attached;	/* containers attached: @att's length */
	struct net_attach *att; /* the attachments; record_clear() frees them */
	struct net_infra infra; /* where its infra is (record_read() fills it) */
};

#define NET_INFRA_DAEMONS 2 /* rootlet-slirp and rootlet-dns */

struct net_cfg {
	const char *verb;
	const char *name;
	const char *subnet_arg, *gateway_arg, *subnet6_arg;
	bool ipv6, internal, no_dns, json, force, host_loopback;
	const char *id;	       /* alloc, dealloc, print-*: the container */
	const char *netns_arg; /* alloc --netns NAME|PATH */
	const char *ip_arg, *ip6_arg, *mac_arg, *hostname_arg;
	uint8_t mac[6]; /* --mac, parsed and checked */
	const char *mtu_arg;
	const char **aliases;
	int n_aliases;
	const char **publish; /* alloc --publish SPEC */
	int n_publish;
	pid_t owner;		     /* alloc --owner PID: the netns it makes is PID's */
	struct state_owner owner_st; /* ... and PID's start time, read at the start */
	unsigned mtu;
	char root[PATH_MAX];
	char infra_root[PATH_MAX]; /* <root>/~infra */
	struct err err;
	bool usage;	     /* cfg->err is a usage error: exit 2 */
	const char *warning; /* one line main() prints whatever the outcome, or NULL */
	char warning_buf[USERMAP_MSG_MAX]; /* what @warning points to when it was composed */
	/* the infra's daemons infra_ensure() started; infra_wait() waits for them */
	struct launch_proc starting[NET_INFRA_DAEMONS];
	int n_starting;
};

/* subnet.c: CIDRs, overlaps, and picking a free /24. */
int subnet_parse4(const char *text, struct in_addr *ret_net, unsigned *ret_prefix, struct err *e);
int subnet_parse6(const char *text, struct in6_addr *ret_net, unsigned *ret_prefix, struct err *e);
bool subnet_overlap4(struct in_addr a, unsigned pa, struct in_addr b, unsigned pb);
bool subnet_overlap6(const struct in6_addr *a, unsigned pa, const struct in6_addr *b, unsigned pb);
bool subnet_contains4(struct in_addr net, unsigned prefix, struct in_addr addr);
bool subnet_slirp_overlap4(struct in_addr net, unsigned prefix);
bool subnet_slirp_overlap6(const struct in6_addr *net, unsigned prefix);
const char *subnet_reserved4(struct in_addr net, unsigned prefix);
const char *subnet_reserved6(const struct in6_addr *net, unsigned prefix);
struct subnet4 {
	struct in_addr net;
	unsigned prefix;
};
int subnet_pick4(const struct subnet4 *taken, size_t n, struct in_addr *ret);
struct subnet6 {
	struct in6_addr net;
	unsigned prefix;
};
int subnet_pick6(const struct subnet6 *taken, size_t n, struct in6_addr *ret);
int subnet_host_routes(struct subnet4 **ret, size_t *ret_n);

/* record.c: one file per network, under its lock. */
int record_dir_open(struct net_cfg *cfg, bool create, int *ret_fd);
int record_open_locked(struct net_cfg *cfg, bool create, int *ret_dir_fd, int *ret_lock_fd);
struct json_t;
void record_print(struct json_t *o);
int record_read(int dir_fd, const char *infra_root, const char *name, struct net_record *ret,
		struct err *e);
int record_create(int dir_fd, const struct net_record *r, struct err *e);
int record_remove(int dir_fd, const char *name);
int record_list(int dir_fd, const char *infra_root, struct net_record **ret, size_t *ret_n,
		struct err *e);
struct json_t *record_json(const struct net_record *r);
void record_clear(struct net_record *r);
void record_list_free(struct net_record *list, size_t n);

int att_from_json(struct json_t *o, struct net_attach *a);
struct json_t *att_to_json(const struct net_attach *a);
int att_list_from_json(struct json_t *arr, struct net_record *r);
struct json_t *att_list_to_json(const struct net_record *r);
void att_clear(struct net_attach *a);
void att_list_clear(struct net_record *r);
int att_append(struct net_record *r, struct net_attach *a);
void att_remove(struct net_record *r, struct net_attach *a);
int att_parse_mac(const char *text, uint8_t mac[NET_MAC_LEN]);
void att_format_mac(const uint8_t mac[NET_MAC_LEN], char *buf, size_t len);
#define NET_MAC_TEXT sizeof("00:00:00:00:00:00")

/* attach.c: the attachment list, addresses handed out in it. */
#define NET_IFNAME	"eth0"	   /* the container's end */
#define NET_VETH_PREFIX "rl"	   /* the infra's end: rl + 8 hex digits of a hash of the ID */
#define NET_BRIDGE	"rootlet0" /* the network's bridge in the infra */
struct net_attach *attach_find(const struct net_record *r, const char *id);
int attach_pick_ip(const struct net_record *r, const char *want, struct in_addr *ret,
		   struct err *e);
#define NET_PICK6_MAX	   65536 /* IPv6 candidates looked at: a network has fewer containers */
#define NET_PREFIX6_32BITS 96	 /* from here down, a subnet6 has 2^32 host numbers or more */
int attach_pick_ip6(const struct net_record *r, const char *want, struct in6_addr *ret,
		    struct err *e);
void attach_mac(struct in_addr ip, const char *id, uint8_t mac[6]);
void attach_bridge_mac(const struct net_record *r, uint8_t mac[6]);
const char *attach_mac_owner(const struct net_record *r, const uint8_t mac[6]);
int attach_veth_name(const struct net_record *r, const char *id, char *buf, size_t len);
struct json_t *attach_cni_result(const struct net_record *r, const struct net_attach *a);
bool attach_nameserver(const struct net_record *r, char *buf, size_t len);

/* infra_where.c: where a network's infra is, whether its paths fit, whether it is there. */
int infra_init(struct net_infra *in, const char *infra_root, const char *name);
int infra_check_name(struct net_cfg *cfg, const char *net);
bool infra_exists(struct net_cfg *cfg, const char *net);

/* inside.c: a child in the infra's namespaces (below infra.c, plumb.c, spoofguard.c). */
struct nl_sock;
typedef int (*net_child_fn)(struct net_cfg *cfg, const struct net_record *r, void *arg,
			    struct err *e);
int net_in_child(struct net_cfg *cfg, net_child_fn fn, const struct net_record *r, void *arg);
int join_infra_ns(const struct net_record *r, int type, struct err *e);
int join_infra(const struct net_record *r, struct err *e);
int join_infra_bridge(const struct net_record *r, bool make, struct nl_sock **sk, int *bridge,
		      struct err *e);
int write_sysctl(const char *path, const char *value, struct err *e);

/* infra.c, infra_check.c, plumb.c: the infra netns, its bridge, and a container's veth into it. */
int infra_ensure(struct net_cfg *cfg, int dir_fd, struct net_record *r);
int infra_stop(struct net_cfg *cfg, const char *net);
int infra_repair(struct net_cfg *cfg, int dir_fd, struct net_record *r);
int infra_heal(struct net_cfg *cfg, const struct net_record *r);
void infra_legacy_stop(struct net_cfg *cfg, const struct net_record *r, int user_fd);
int infra_write_hosts(struct net_cfg *cfg, const struct net_record *r);
#define NET_ALIASES_MAX	     64 /* --alias given at most this many times */
#define NET_ALIASES_MAX_TEXT "64"
#define NET_NAMES_MAX	     (NET_ALIASES_MAX + 2) /* a container's DNS names: ID, hostname, aliases */
int names_check_free(struct net_cfg *cfg, const struct net_record *r);
int dns_spawn(struct net_cfg *cfg, const struct net_record *r, struct launch_proc *d);
int net_daemon_start(struct net_cfg *cfg, const struct net_infra *infra, char **argv,
		     const char *log, const int *pass, int npass, pid_t *ret_pid);
int net_daemon_spawn(struct net_cfg *cfg, const struct net_infra *infra, char **argv,
		     const char *log, const int *pass, int npass, struct launch_proc *d);
int net_daemon_wait(struct net_cfg *cfg, struct launch_proc *d);
int infra_wait(struct net_cfg *cfg, const struct net_record *r);

/* masq.c: outbound IPv6 masqueraded to slirp's guest address, a port range a container. */
int masq_write(const struct net_record *rec, struct err *e);

/* spoofguard.c: each bridge port passes its container's own source addresses only. */
int spoofguard_write(struct net_cfg *cfg, const struct net_record *r);
int plumb_container(struct net_cfg *cfg, const struct net_record *r, const struct net_attach *a,
		    int net_fd);
int unplumb_container(struct net_cfg *cfg, const struct net_record *r, const struct net_attach *a);
int publish_start(struct net_cfg *cfg, const struct net_record *r, const struct net_attach *a,
		  const struct netns_state *st);
int publish_stop(const struct net_record *r, const struct net_attach *a);
int netns_cmd(struct net_cfg *cfg, const char *root, char *const argv[]);
int infra_sweep(struct net_cfg *cfg, int dir_fd);

/* nsmake.c: a rootlet netns entry (the infra's, a container's) made without rootlet-netns. */
struct net_nsmake {
	int root_fd;
	struct entry_build b;
	struct netns_state st;
	int commit_fd; /* the holder's channel, until committed */
	int net_fd;    /* its netns, to use before it is published */
	bool published;
};
int nsmake_start(struct net_cfg *cfg, const char *root, const char *name, int userns_fd, bool child,
		 const struct state_owner *owner, struct net_nsmake *c);
int nsmake_publish(struct net_cfg *cfg, const struct net_record *r, struct net_nsmake *c);
void nsmake_abort(struct net_nsmake *c);
int nsmake_sweep(struct net_cfg *cfg, const struct net_attach *a);

int net_alloc(struct net_cfg *cfg);
int net_dealloc(struct net_cfg *cfg);
int net_dealloc_one(struct net_cfg *cfg, int dir_fd, struct net_record *r, const char *id);
/* recover.c: what killed verbs left, put right by the next one under the lock. */
int net_detach(struct net_cfg *cfg, const struct net_record *r, const struct net_attach *a);
int net_recover(struct net_cfg *cfg, int dir_fd, struct net_record *r);
int net_open(struct net_cfg *cfg, struct net_record *r, int *dir_fd, int *lock_fd);
void net_close(struct net_record *r, int dir_fd, int lock_fd);
int net_is_idle(struct net_cfg *cfg);
int net_gc(struct net_cfg *cfg);
int net_print_netns_path(struct net_cfg *cfg);
int net_print_cni_result(struct net_cfg *cfg);

int net_create(struct net_cfg *cfg);
int net_ls(struct net_cfg *cfg);
int net_inspect(struct net_cfg *cfg);
int net_rm(struct net_cfg *cfg);

#endif
