/* The tap device: made inside the target netns by a child, handed to us as an fd. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdpass.h"
#include "nsfd.h"
#include "slirp.h"

#define TUN_DEVICE "/dev/net/tun"
/* The tap child's stack: it shares our memory, so it cannot run on ours. */
#define TAP_CHILD_STACK (256 * 1024)

/* What the tap child says back: the error, code and text, or none and the tap's fd. */
struct tap_report {
	struct err err;
};

/*
 * With a virtio-net header on each frame (@vnet), the kernel may hand us TCP segments of up to
 * 64 KiB with their checksum left to us (TSO), whatever the MTU: one read and one slirp_input()
 * where there would be forty. libslirp takes such a segment whole; the loop finishes its
 * checksum. At a jumbo MTU segments are large already, and the guest's kernel checksums them
 * while it copies them, cheaper than a pass of ours: there the tap stays plain. IPv4 only:
 * libslirp drops an IPv6 packet longer than its MTU (the guest's IPv6 uploads stalled after
 * their first window), so the guest's kernel cuts its IPv6 segments itself.
 */
static int tap_create(const char *name, bool vnet, int *ret_fd)
{
	int hdr_len = sizeof(struct virtio_net_hdr), fd, err;
	struct ifreq ifr = { 0 };

	fd = open(TUN_DEVICE, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (vnet ? IFF_VNET_HDR : 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 ||
	    (vnet && (ioctl(fd, TUNSETVNETHDRSZ, &hdr_len) < 0 ||
		      ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4) < 0))) {
		err = -errno;
		close(fd);
		return err;
	}
	*ret_fd = fd;
	return 0;
}

struct tap_child_arg {
	struct slirp_cfg *cfg;
	int sock;
};

/* In the child: namespaces, tap, configuration; the report and the fd go back on @sock. */
static int tap_child(void *opaque)
{
	struct slirp_cfg *cfg = ((struct tap_child_arg *)opaque)->cfg;
	int sock = ((struct tap_child_arg *)opaque)->sock;
	struct tap_report rep = { 0 };
	ssize_t sent;
	int user_fd = -1, net_fd = -1, tap_fd = -1, err;

	if (cfg->userns_path[0] &&
	    (err = ns_open_at(AT_FDCWD, cfg->userns_path, CLONE_NEWUSER, &user_fd))) {
		if (err == -ENOTTY)
			err_make(&rep.err, err, "user namespace %s: not a namespace",
				 cfg->userns_path);
		else
			err_errno(&rep.err, err, "user namespace %s", cfg->userns_path);
		goto report;
	}
	if ((err = ns_open_at(AT_FDCWD, cfg->netns_path, CLONE_NEWNET, &net_fd))) {
		if (err == -ENOTTY)
			err_make(&rep.err, err, "network namespace %s: not a namespace",
				 cfg->netns_path);
		else
			err_errno(&rep.err, err, "network namespace %s", cfg->netns_path);
		goto report;
	}
	if (user_fd >= 0 && !ns_is_ours(user_fd, CLONE_NEWUSER) &&
	    (err = ns_join(user_fd, CLONE_NEWUSER))) {
		err_errno(&rep.err, err, "joining %s", cfg->userns_path);
		goto report;
	}
	if ((err = ns_join(net_fd, CLONE_NEWNET))) {
		err_errno(&rep.err, err, "joining %s", cfg->netns_path);
		goto report;
	}
	if ((err = tap_create(cfg->tapname, slirp_tap_vnet(cfg), &tap_fd))) {
		err_errno(&rep.err, err, "creating tap %s", cfg->tapname);
		goto report;
	}
	if (cfg->configure && (err = netconf_configure(cfg))) {
		err_errno(&rep.err, err, "configuring %s", cfg->tapname);
		goto report;
	}
report:
	rep.err.code = err;
	sent = fdpass_send_one(sock, &rep, sizeof(rep), err ? -1 : tap_fd, 0);
	_exit(sent == (ssize_t)sizeof(rep) && !err ? 0 : 1);
}

/**
 * tap_open_in_netns() - Create (and with -c configure) the tap inside the target netns
 * @cfg:	configuration; cfg->err says what failed
 * @ret_tap_fd:	the tap's fd, non-blocking, for this process in the host netns
 *
 * A child joins the namespaces, so that this process stays where libslirp's sockets must be:
 * in the namespaces it was started in.
 *
 * Return: 0 on success, negative errno on failure
 */
int tap_open_in_netns(struct slirp_cfg *cfg, int *ret_tap_fd)
{
	struct tap_report rep = { .err = { .code = -EPROTO } };
	struct tap_child_arg arg;
	int sv[2], status, err, fd;
	void *stack;
	ssize_t n;
	pid_t child;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	stack = mmap(NULL, TAP_CHILD_STACK, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED) {
		close(sv[0]);
		close(sv[1]);
		return -ENOMEM;
	}
	/*
	 * As posix_spawn() does: the child borrows our memory while we wait (CLONE_VFORK), which
	 * spares copying the page tables of libslirp, glib and the rest, and the faults after.
	 * It has its own fs (setns() into a userns wants that) and fd table, and leaves by _exit().
	 */
	arg.cfg = cfg;
	arg.sock = sv[1];
	child = clone(tap_child, (char *)stack + TAP_CHILD_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD,
		      &arg);
	err = child < 0 ? -errno : 0;
	munmap(stack, TAP_CHILD_STACK);
	close(sv[1]);
	if (err) {
		close(sv[0]);
		return err;
	}
	n = fdpass_recv_one(sv[0], &rep, sizeof(rep), &fd, 0);
	close(sv[0]);
	waitpid(child, &status, 0);
	if (n != (ssize_t)sizeof(rep) && fd >= 0)
		close(fd);
	if (n != (ssize_t)sizeof(rep))
		return err_make(&cfg->err, -ECHILD, "the tap child died");
	if (rep.err.code) {
		if (fd >= 0)
			close(fd);
		rep.err.text[sizeof(rep.err.text) - 1] = '\0';
		cfg->err = rep.err;
		return rep.err.code;
	}
	if (fd < 0)
		return err_make(&cfg->err, -EPROTO, "the tap child sent no fd");
	*ret_tap_fd = fd;
	return 0;
}

/**
 * tap_leave_to_netns() - At exit, let a dying netns delete our tap, rather than our close
 * @tap_fd:	the tap, or -1
 * @owner_fd:	pidfd of the netns's holder, or -1
 *
 * Closing the last fd of a tap unregisters the device there and then, and that waits for RCU
 * grace periods: 25 to 35 ms of our exit on this VM, which `rootlet-netns del` (and `rootlet
 * run`'s teardown) would wait for. When the holder is gone, the netns goes as soon as we let
 * go of it, and the kernel's asynchronous cleanup of a netns deletes every device in it; a
 * persistent tap is left to that. While the holder lives (someone stopped only us), the tap
 * goes with our close as always, so that a new rootlet-slirp finds no tap0 in the way.
 */
void tap_leave_to_netns(int tap_fd, int owner_fd)
{
	struct pollfd p = { .fd = owner_fd, .events = POLLIN };

	if (tap_fd < 0 || owner_fd < 0 || poll(&p, 1, 0) != 1)
		return;
	ioctl(tap_fd, TUNSETPERSIST, 1);
}
