/* A twin's locked receive filter: whatever connects it, no answer from where it may not go. */
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bypass.h"
#include "bypass_guard.h"

/*
 * Theory of operation
 *
 * The seccomp filter hands the supervisor every call that gives a socket a peer, but one it
 * continues is run by the kernel on whatever the caller's fd number names by then: a thread
 * that dup2()s a twin over the number meanwhile has the kernel connect the twin, from the
 * host's netns, where it likes (seccomp_unotify(2) warns of exactly this). So a TCP twin made
 * where host loopback is not allowed also carries a receive filter, locked (SO_LOCK_FILTER:
 * neither detached nor replaced by its holder, and inherited by the connections a listening
 * one accepts), that drops every packet the policy's peers never send it:
 *
 *  - a connect()'s twin: anything from the host's loopback (127.0.0.0/8, ::1,
 *    ::ffff:127.0.0.0/104);
 *  - a published bind()'s twin, whose clients may be on the host's loopback: a SYN-ACK, which
 *    only a connection it opens itself would get.
 *
 * A handshake the kernel starts from such a twin never completes: the peer sees a SYN and
 * nothing more. Whatever the route (a continued call raced, or one the filter missed), the
 * twin reaches nobody on the host's loopback.
 *
 * A kernel may refuse socket filters on TCP sockets to a process without CAP_NET_ADMIN (EPERM;
 * seen on a hardened VM kernel). The supervisor then fails closed: lib/bypass_guard.c's probe,
 * made at its start as rootlet-netns makes it, says so, and without host loopback no TCP twin
 * is made at all (policy.c): a connect() and a published bind() continue inside, through
 * slirp, and rootlet-netns gives the published TCP ports to rootlet-portfwd. An unguarded TCP
 * twin is never installed: twin_guard() fails without the guard, and the call continues.
 */

#define NET_OFF(off) (SKF_NET_OFF + (off))
#define IP4_SRC	     12
#define IP6_SRC	     8
#define TCP_FLAGS    13
#define LOOPNET	     0x7f000000u
#define LOOPMASK     0xff000000u
#define V4MAPPED     0x0000ffffu
#define SYNACK	     (TH_SYN | TH_ACK)
#define ACCEPT	     0xffffffffu

/* Drop what comes from 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104; take everything else. */
static struct sock_filter no_loopback[] = {
	BPF_STMT(BPF_LD | BPF_H | BPF_ABS, SKF_AD_OFF + SKF_AD_PROTOCOL),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 3),
	/* IPv4: the source's first byte */
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NET_OFF(IP4_SRC)),
	BPF_STMT(BPF_ALU | BPF_AND | BPF_K, LOOPMASK),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, LOOPNET, 11, 10),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 0, 9),
	/* IPv6: ::1, or ::ffff:127.x.y.z */
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NET_OFF(IP6_SRC)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 7),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NET_OFF(IP6_SRC + 4)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 5),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NET_OFF(IP6_SRC + 8)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, V4MAPPED, 5, 0),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 2),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NET_OFF(IP6_SRC + 12)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 1, 0),
	BPF_STMT(BPF_RET | BPF_K, ACCEPT),
	BPF_STMT(BPF_RET | BPF_K, 0),
	/* v4-mapped: the last word's first byte */
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NET_OFF(IP6_SRC + 12)),
	BPF_STMT(BPF_ALU | BPF_AND | BPF_K, LOOPMASK),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, LOOPNET, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, 0),
	BPF_STMT(BPF_RET | BPF_K, ACCEPT),
};

/* Drop a SYN-ACK (a filter runs with the TCP header at offset 0); take everything else. */
static struct sock_filter no_synack[] = {
	BPF_STMT(BPF_LD | BPF_B | BPF_ABS, TCP_FLAGS),
	BPF_STMT(BPF_ALU | BPF_AND | BPF_K, SYNACK),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYNACK, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, 0),
	BPF_STMT(BPF_RET | BPF_K, ACCEPT),
};

static int lock_filter(int fd, bool published)
{
	return published
		       ? bypass_guard_lock(fd, no_synack, sizeof(no_synack) / sizeof(no_synack[0]))
		       : bypass_guard_lock(fd, no_loopback,
					   sizeof(no_loopback) / sizeof(no_loopback[0]));
}

/**
 * twin_guard() - Lock a receive filter on a TCP twin, where host loopback is not allowed
 * @st:		the daemon (its policy; whether the kernel allows it)
 * @s:		the caller's socket (its type)
 * @twin:	the twin, not yet installed
 * @published:	a published bind()'s twin (its clients may be on the host's loopback)
 *
 * Return: 0 on success (or nothing to guard), negative errno: the twin must not be installed
 *	   (-EPERM without the guard: the kernel refused it at the start)
 */
int twin_guard(const struct bp_state *st, const struct bp_sock *s, int twin, bool published)
{
	const struct bp_policy *p = st->pol_now ? st->pol_now : &st->pol;

	if (p->loopback || s->type != SOCK_STREAM)
		return 0;
	return st->guard ? lock_filter(twin, published) : -EPERM;
}

/**
 * twin_peer_lock() - Lock a UDP connect()'s twin to its peer: only its datagrams are taken
 * @twin:	the twin, not yet connected nor installed
 * @to:		the peer it is connected to
 * @to_len:	its length
 *
 * A call the supervisor continues is run by the kernel on whatever the fd number names by then,
 * with its sockaddr read again from the caller's memory: a thread can dup2() a twin over it and
 * rewrite the sockaddr, and have the kernel disconnect the twin and bind it to a port of its
 * choosing in the host's netns, where every user could send to it (twelfth outside attack).
 * Whatever is done to this twin, it receives from its peer alone. A new peer is a new twin
 * (connect.c). The kernel allows UDP socket filters where it refuses TCP ones (lib/bypass_guard.c).
 *
 * Return: 0, negative errno: the twin must not be installed
 */
int twin_peer_lock(int twin, const struct sockaddr_storage *to, socklen_t to_len)
{
	struct sock_filter prog[BYPASS_GUARD_PEER_MAX];
	unsigned short len;
	int err = bypass_guard_peer((const struct sockaddr *)to, to_len, prog,
				    BYPASS_GUARD_PEER_MAX, &len);

	return err ? err : bypass_guard_lock(twin, prog, len);
}
