/* A twin's guard: a locked socket filter, and whether this kernel lets the caller lock one. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bypass_guard.h"

#ifndef SO_LOCK_FILTER
#define SO_LOCK_FILTER 44
#endif

/*
 * Theory of operation
 *
 * rootlet-bypass guards each TCP twin made where host loopback is not allowed with a locked
 * receive filter (bypass/guard.c says why). Some kernels refuse a filter on a TCP socket to a
 * process without CAP_NET_ADMIN (EPERM; seen on a hardened VM kernel, which allows UDP ones).
 * There the supervisor fails closed: it makes no TCP twin at all without host loopback, and
 * rootlet-netns gives the netns's published TCP ports to rootlet-portfwd instead. Both must
 * decide alike, or a published port would be nobody's: both ask bypass_guard_probe(), as the
 * user who runs the supervisor, in the host's netns, before the supervisor isolates itself.
 */

#define ACCEPT	     0xffffffffu
#define NET_OFF(off) (SKF_NET_OFF + (off))
#define IP4_SRC	     12
#define IP6_SRC	     8
#define IP6_WORDS    4
#define SPORT	     0 /* a UDP or TCP socket's filter runs with its header at offset 0 */
#define WORD	     4

/**
 * bypass_guard_lock() - Attach @filter to @fd and lock it (neither detached nor replaced)
 * @fd:		a socket
 * @filter:	a classic BPF program
 * @len:	its length in instructions
 *
 * Return: 0 on success, negative errno (-EPERM: this kernel refuses it to the caller)
 */
int bypass_guard_lock(int fd, const struct sock_filter *filter, unsigned short len)
{
	struct sock_fprog prog = { .len = len, .filter = (struct sock_filter *)filter };
	int one = 1;

	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_LOCK_FILTER, &one, sizeof(one)) < 0)
		return -errno;
	return 0;
}

/**
 * bypass_guard_probe() - Whether this process may lock a filter on a TCP socket of its netns
 *
 * Return: 0 if it may (twins can be guarded), else the negative errno the kernel refused with
 */
int bypass_guard_probe(void)
{
	static const struct sock_filter accept_all[] = { BPF_STMT(BPF_RET | BPF_K, ACCEPT) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), err;

	if (fd < 0)
		return -errno;
	err = bypass_guard_lock(fd, accept_all, sizeof(accept_all) / sizeof(accept_all[0]));
	close(fd);
	return err;
}

/* One instruction of @p, or -ENOSPC past its end. */
static int emit(struct sock_filter *p, unsigned short *n, unsigned short max, struct sock_filter i)
{
	if (*n >= max)
		return -ENOSPC;
	p[(*n)++] = i;
	return 0;
}

/**
 * bypass_guard_peer() - A filter taking only what @peer sends: its address, its source port
 * @peer:	an IPv4 or IPv6 address and port (IPv4-mapped: its IPv4 packets)
 * @len:	its length
 * @prog:	filled
 * @max:	@prog's room, in instructions (BYPASS_GUARD_PEER_MAX)
 * @ret_len:	the program's length
 *
 * Every test jumps to the last instruction (drop) when it fails; the one before it accepts.
 *
 * Return: 0, -EAFNOSUPPORT for another family, -EINVAL for a short address, -ENOSPC
 */
int bypass_guard_peer(const struct sockaddr *peer, socklen_t len, struct sock_filter *prog,
		      unsigned short max, unsigned short *ret_len)
{
	uint32_t words[IP6_WORDS];
	unsigned short n = 0, drops[IP6_WORDS + 2], nd = 0, proto, off;
	int nw, port, err = 0;

	if (peer->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)peer;

		words[0] = ntohl(in->sin_addr.s_addr);
		nw = 1, proto = ETH_P_IP, off = IP4_SRC, port = ntohs(in->sin_port);
	} else if (peer->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)peer;
		bool mapped = IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr);

		for (int i = 0; i < IP6_WORDS; i++) {
			uint32_t w;

			memcpy(&w, in6->sin6_addr.s6_addr + i * WORD, WORD);
			words[i] = ntohl(w);
		}
		if (mapped)
			words[0] = words[IP6_WORDS - 1];
		nw = mapped ? 1 : IP6_WORDS, proto = mapped ? ETH_P_IP : ETH_P_IPV6;
		off = mapped ? IP4_SRC : IP6_SRC, port = ntohs(in6->sin6_port);
	} else {
		return peer->sa_family == AF_INET || peer->sa_family == AF_INET6 ? -EINVAL
										 : -EAFNOSUPPORT;
	}
	err = emit(prog, &n, max,
		   (struct sock_filter)BPF_STMT(BPF_LD | BPF_H | BPF_ABS,
						SKF_AD_OFF + SKF_AD_PROTOCOL));
	drops[nd++] = n;
	err = err
		      ?: emit(prog, &n, max,
			      (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, proto, 0, 0));
	for (int i = 0; i < nw && !err; i++) {
		err = emit(prog, &n, max,
			   (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
							NET_OFF(off + i * WORD)));
		drops[nd++] = n;
		err = err
			      ?: emit(prog, &n, max,
				      (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
								   words[i], 0, 0));
	}
	err = err
		      ?: emit(prog, &n, max,
			      (struct sock_filter)BPF_STMT(BPF_LD | BPF_H | BPF_ABS, SPORT));
	drops[nd++] = n;
	err = err
		      ?: emit(prog, &n, max,
			      (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
							   (uint32_t)port, 0, 0));
	err = err ?: emit(prog, &n, max, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, ACCEPT));
	err = err ?: emit(prog, &n, max, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0));
	if (err)
		return err;
	/* Each test's false branch: to the drop, the last instruction. */
	for (unsigned short i = 0; i < nd; i++)
		prog[drops[i]].jf = (unsigned char)(n - 1 - (drops[i] + 1));
	*ret_len = n;
	return 0;
}
