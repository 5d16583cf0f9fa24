/* A twin's guard: a locked socket filter, and whether this kernel lets the caller lock one. */
#include <errno.h>
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

#define ACCEPT 0xffffffffu

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
