/* Reading a caller's memory off the loop: a reader process, waited for a bounded time. */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "bypass.h"
#include "fdpass.h"
#include "monoclock.h"

/*
 * Theory of operation
 *
 * A call's sockaddr is in the caller's memory, and the caller chooses what backs it: a page of
 * a file on a FUSE mount it serves itself, whose READ it never answers, keeps the reading task
 * in the kernel, uninterruptible (process_vm_readv -> pin_user_pages_remote -> filemap_fault
 * -> fuse_readahead -> request_wait_answer), for as long as the caller likes. Were that task
 * the supervisor, every other caller it serves would wait with it, and even kill -9 would
 * leave it unfinished, its listener fds held: its standby would never take over.
 *
 * The same goes for a copy of a caller's fd that is no socket: the supervisor's close() of a
 * FUSE file sends a FLUSH and waits for its answer (fuse_flush(), a forced request: killed or
 * not, the task waits), and a caller's connect() on such an fd would have the loop take a copy
 * (pidfd_getfd) and close it. Nor may the reader take it: a reader stuck in a FLUSH cannot be
 * killed, and outlives its supervisor, its holder and `rootlet-netns del`. So no copy of a file
 * that is no socket is asked for: first the link of /proc/TID/fd/FD is read (procs.c; a readlink
 * asks nothing of the file's filesystem), and a link that is not "socket:[...]" has the call
 * answered as for no socket (continued: the kernel says ENOTSOCK), no copy taken. What is left
 * is a race: the caller dup2()s a FUSE file onto FD between that look and the reader's
 * pidfd_getfd(). The reader then finds no socket and closes the copy, and may wait in the FLUSH
 * for ever: one stuck reader per race won, a process of the user's own (counted against its
 * process limit), unkillable until the FUSE connection is aborted (its server, the caller's, ends
 * or is aborted through /sys/fs/fuse/connections). What follows (a reader abandoned, its
 * listener refused meanwhile) holds for that race as for a read.
 *
 * So the loop never reads a caller's memory, nor holds a file of its but a socket. A reader
 * process (forked from the supervisor: its credentials, its CAP_SYS_PTRACE, its sandbox; every
 * fd closed but its end of a socketpair) does the process_vm_readv() for it, and the
 * pidfd_getfd() (passing back a socket, closing anything else itself), one request at a time. The
 * loop sends the request and looks for the answer BP_BUSY_POLL_US. A read (READER_READ) not
 * answered by then is not waited for: the reader becomes the call's (reader_read()'s
 * -EINPROGRESS), notify.c holds the call and watches the reader's socket, the next request of
 * anyone takes or forks another reader (readers in flight: one a listener at most), and
 * reader_collect() takes the answer; the reader is then the current one again, or a spare (at
 * most BP_READERS_SPARE, taken before a fork: reader_keep()), or let go. A fast open's copy
 * alone (READER_GETFD, reader_read() with no bytes to read) is held the same way. Only a copy not
 * had with its call's address (no pidfd then: reader_getfd()) is waited for in the loop, at most
 * BP_READ_TIMEOUT_MS. A read or copy not back in BP_READ_TIMEOUT_MS, held or waited for, has its
 * reader abandoned: its socket is handed to the caller's listener (notify.c), the call is
 * answered with an error (EFAULT; never continued, as a twin whose copy was not had in time would
 * run in the host's netns), and the next request forks a new reader. The listener's further hooked
 * calls are answered unread, without a copy of their fd (connect() and bind() EFAULT, a fast open
 * EOPNOTSUPP), until that reader has returned and gone (its socket hangs up, or its late answer
 * arrives): a container holds at most one stuck reader, and only its own calls fail meanwhile.
 *
 * A reader stuck is a process apart: it holds no listener fd, no pid file, no lock, nothing
 * of the supervisor's but its socket. kill -9 of the supervisor ends the supervisor at once,
 * and its standby takes over; the reader ends whenever its read returns (its socket's other
 * end gone, its answer fails and its next request reads the end). A read or a FLUSH returns
 * once its FUSE server answers or its connection ends; a FLUSH, which kill -9 does not end, is
 * had only by the race above. A fork is a call's cost only for the first read and after an
 * abandoned one; the reader is reaped by the kernel, as SIGCHLD is ignored.
 *
 * What it costs: a connect() or bind() is one round to the reader (its address and its
 * socket's copy together), a fast open one (the copy). On the project's loaded 2-core VM a
 * hooked UDP connect() continued inside took about 70-100 us against 40-45 us before (a rough
 * loop of 2000, not make bench).
 */

enum reader_op {
	READER_READ,  /* process_vm_readv() of @addr, @len; and READER_GETFD's, if a pidfd came */
	READER_GETFD, /* pidfd_getfd() of @fd, the pidfd passed along: a socket, or nothing */
};
/* Either answers with struct reader_rep: the read's outcome in err (0 for READER_GETFD), the
 * copy's in fd_err. */

struct reader_req {
	uint32_t seq;
	int op;
	int pid;
	int fd;
	uint64_t addr;
	uint32_t len;
};

struct reader_rep {
	uint32_t seq;
	int err;    /* the read's */
	int fd_err; /* the copy's: 0 (the fd passed along), or why none */
	char data[sizeof(struct sockaddr_storage)];
};

static int reader_do_read(const struct reader_req *q, struct reader_rep *r)
{
	struct iovec local = { .iov_base = r->data, .iov_len = q->len };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)q->addr, .iov_len = q->len };

	if (q->len > sizeof(r->data))
		return -EINVAL;
	return process_vm_readv(q->pid, &local, 1, &remote, 1, 0) == (ssize_t)q->len ? 0 : -EFAULT;
}

/*
 * The caller's fd @q->fd, kept only if it is a socket. Any other file is closed here, and a
 * close may wait (a FUSE file's FLUSH): the reader's wait, never the loop's.
 */
static int reader_do_getfd(const struct reader_req *q, int pidfd, int *ret_fd)
{
	socklen_t len;
	int type, f, err;

	*ret_fd = -1;
	if (pidfd < 0)
		return -EBADF;
	if ((f = (int)pidfd_getfd(pidfd, q->fd, 0)) < 0)
		return -errno;
	len = sizeof(type);
	if (getsockopt(f, SOL_SOCKET, SO_TYPE, &type, &len) < 0) {
		err = -errno;
		close(f);
		return err;
	}
	*ret_fd = f;
	return 0;
}

/* The reader's life: a request, a read, an answer, until the supervisor's end is gone. */
static void __attribute__((noreturn)) reader_main(int sock)
{
	struct reader_req q;
	struct reader_rep r;

	for (;;) {
		int pidfd, f = -1;
		ssize_t n = fdpass_recv_one(sock, &q, sizeof(q), &pidfd, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n != sizeof(q))
			_exit(0);
		memset(&r, 0, sizeof(r));
		r.seq = q.seq;
		if (q.op == READER_READ || q.op == READER_GETFD) {
			r.err = q.op == READER_READ ? reader_do_read(&q, &r) : 0;
			r.fd_err = r.err ? -ECANCELED : reader_do_getfd(&q, pidfd, &f);
		} else {
			r.err = -EINVAL;
		}
		if (pidfd >= 0)
			close(pidfd);
		n = fdpass_send_one(sock, &r, sizeof(r), f, 0);
		/* A socket: its copy is in the message now, or the supervisor is gone. */
		if (f >= 0)
			close(f);
		if (n != sizeof(r))
			_exit(0);
	}
}

static int reader_start(struct bp_state *st)
{
	int sp[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		close(sp[0]);
		close(sp[1]);
		return err;
	}
	if (pid == 0) {
		/* Nothing of the supervisor's held while a read may hang: its socket alone. */
		int keep = sp[1];

		if ((keep > 0 && close_range(0, keep - 1, 0) < 0) ||
		    close_range(keep + 1, ~0U, 0) < 0)
			_exit(EXIT_FAILURE);
		reader_main(keep);
	}
	close(sp[1]);
	st->reader_fd = sp[0];
	return 0;
}

/**
 * reader_close() - Close a reader's socket of the active supervisor's, and every socket copy
 * a late answer left queued in it through sock_release(): the copy may be the caller's last
 * reference (it closed its own meanwhile), whose close would wait out its SO_LINGER here
 * @sock:	the socket; -1 is nothing
 */
void reader_close(int sock)
{
	struct reader_rep r;
	int fd;

	if (sock < 0)
		return;
	while (fdpass_recv_one(sock, &r, sizeof(r), &fd, MSG_DONTWAIT) > 0)
		if (fd >= 0)
			sock_release(fd);
	close(sock);
}

/* The reader gone wrong (dead, or out of step): every copy it sent released, then let go. */
static int reader_lost(struct bp_state *st, int *ret_fd)
{
	if (*ret_fd >= 0)
		sock_release(*ret_fd);
	*ret_fd = -1;
	reader_close(st->reader_fd);
	reader_close(st->reader_stuck);
	st->reader_fd = st->reader_stuck = -1;
	return -EAGAIN;
}

/* Not back in time: the reader is the call's listener's now (notify.c takes it), and gone. */
static int reader_give_up(struct bp_state *st)
{
	reader_close(st->reader_stuck);
	st->reader_stuck = st->reader_fd;
	st->reader_fd = -1;
	return -ETIMEDOUT;
}

/*
 * Request @q of the reader (@pass passed along, if not -1), and its answer in @r (a fd in
 * *@ret_fd, or -1), waited for at most BP_READ_TIMEOUT_MS. With @ret_sock, an answer not there
 * within BP_BUSY_POLL_US is not waited for: the reader is the caller's, in *@ret_sock (the
 * request's number in *@ret_seq), for reader_collect(), and -EINPROGRESS returned.
 */
static int reader_call(struct bp_state *st, struct reader_req *q, int pass, struct reader_rep *r,
		       int *ret_fd, int *ret_sock, uint32_t *ret_seq)
{
	int64_t deadline;

	*ret_fd = -1;
	if (st->reader_fd < 0 && st->n_reader_spare > 0)
		st->reader_fd = st->reader_spare[--st->n_reader_spare];
	if (st->reader_fd < 0 && reader_start(st))
		return -EAGAIN; /* no process or fd for a reader: the user's limits */
	q->seq = ++st->reader_seq;
	if (fdpass_send_one(st->reader_fd, q, sizeof(*q), pass, MSG_DONTWAIT) != sizeof(*q)) {
		/* A reader that died (or a full socket: never, one request at a time). */
		reader_free(st);
		return -EAGAIN;
	}
	/* The answer is usually there within microseconds: looked for before sleeping. */
	for (int64_t spin_end = mono_us() + BP_BUSY_POLL_US; mono_us() < spin_end;) {
		ssize_t n = fdpass_recv_one(st->reader_fd, r, sizeof(*r), ret_fd, MSG_DONTWAIT);

		if (n == sizeof(*r) && r->seq == q->seq)
			return 0;
		if (n >= 0 || errno != EAGAIN)
			return reader_lost(st, ret_fd);
	}
	if (ret_sock) {
		/* Off the loop: the next request, of whoever, gets another reader. */
		*ret_sock = st->reader_fd;
		*ret_seq = q->seq;
		st->reader_fd = -1;
		return -EINPROGRESS;
	}
	deadline = mono_ms() + BP_READ_TIMEOUT_MS;
	for (;;) {
		struct pollfd p = { .fd = st->reader_fd, .events = POLLIN };
		int64_t left = deadline - mono_ms();
		ssize_t n;

		if (left <= 0)
			return reader_give_up(st);
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			return reader_give_up(st);
		if (!p.revents)
			continue;
		n = fdpass_recv_one(st->reader_fd, r, sizeof(*r), ret_fd, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n != sizeof(*r) || r->seq != q->seq)
			return reader_lost(st, ret_fd); /* never trusted again */
		return 0;
	}
}

/* An answer @r: the bytes in @buf (none for a copy alone), the copy (if @pidfd was passed) in
 * *@ret_fd. */
static int read_answer(struct reader_rep *r, bool pidfd, void *buf, size_t len, int *ret_fd,
		       int *ret_fd_err)
{
	if (!r->fd_err && *ret_fd < 0)
		r->fd_err = -EIO;
	if (r->fd_err && *ret_fd >= 0) {
		close(*ret_fd);
		*ret_fd = -1;
	}
	*ret_fd_err = pidfd ? r->fd_err : -ECANCELED;
	if (r->err) {
		if (*ret_fd >= 0)
			close(*ret_fd);
		*ret_fd = -1;
		return r->err;
	}
	if (len)
		memcpy(buf, r->data, len);
	return 0;
}

/**
 * reader_read() - Copy @len bytes at @addr in thread @pid's memory, off the loop; and with
 * them, in the same round, a copy of the caller's socket (as reader_getfd())
 * @st:		the daemon
 * @pid:	the calling thread
 * @addr:	the address in its memory
 * @buf:	where the bytes go
 * @len:	how many: at most a sockaddr_storage; 0 for the copy alone (a fast open's), no
 *		memory read
 * @pidfd:	the calling thread's pidfd, or -1: no copy wanted
 * @fd:		its fd to copy
 * @ret_fd:	ours, the same open file (a socket), or -1
 * @ret_fd_err:	0 with a copy, or why none (-ECANCELED: none tried)
 *
 * @ret_sock:	NULL: the answer waited for; else an answer not had at once is left to come
 *		(-EINPROGRESS): the reader's socket, the call's now, for reader_collect()
 * @ret_seq:	... and its request's number
 *
 * Return: 0 on success; -EFAULT if the memory is unreadable (or the caller gone); -ETIMEDOUT
 *	   if the read did not return in BP_READ_TIMEOUT_MS (the reader, still reading, is left
 *	   in st->reader_stuck for the call's listener); -EINPROGRESS (with @ret_sock) if it
 *	   did not return at once; -EAGAIN if no reader could be had
 */
int reader_read(struct bp_state *st, int pid, uint64_t addr, void *buf, size_t len, int pidfd,
		int fd, int *ret_fd, int *ret_fd_err, int *ret_sock, uint32_t *ret_seq)
{
	struct reader_req q = { .op = len ? READER_READ : READER_GETFD,
				.pid = pid,
				.fd = fd,
				.addr = addr,
				.len = (uint32_t)len };
	struct reader_rep r;
	int err;

	*ret_fd = -1;
	*ret_fd_err = -ECANCELED;
	if (len > sizeof(r.data))
		return -EINVAL;
	if ((err = reader_call(st, &q, pidfd, &r, ret_fd, ret_sock, ret_seq)))
		return err;
	return read_answer(&r, pidfd >= 0, buf, len, ret_fd, ret_fd_err);
}

/**
 * reader_collect() - The answer of a read reader_read() left to come, once its socket is
 * readable
 * @sock:	the reader's socket
 * @seq:	the request's number
 * @pidfd:	whether a copy was asked for
 * @buf, @len, @ret_fd, @ret_fd_err: as reader_read()'s
 *
 * Return: -EINPROGRESS if nothing is there yet (@sock still the caller's); -EPIPE if the
 *	   reader is lost (dead, or out of step: @sock to be let go with reader_close());
 *	   else the read's outcome as reader_read()'s, @sock for reader_keep()
 */
int reader_collect(int sock, uint32_t seq, bool pidfd, void *buf, size_t len, int *ret_fd,
		   int *ret_fd_err)
{
	struct reader_rep r;
	ssize_t n = fdpass_recv_one(sock, &r, sizeof(r), ret_fd, MSG_DONTWAIT);

	*ret_fd_err = -ECANCELED;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return -EINPROGRESS;
	if (n != sizeof(r) || r.seq != seq) {
		if (*ret_fd >= 0)
			sock_release(*ret_fd);
		*ret_fd = -1;
		return -EPIPE;
	}
	return read_answer(&r, pidfd, buf, len, ret_fd, ret_fd_err);
}

/**
 * reader_keep() - A reader whose held read has answered: the current one again, or a spare
 * (up to BP_READERS_SPARE: a caller whose reads are all held, each just past the busy-poll,
 * would otherwise cost a fork a call), or let go (it ends)
 * @st:		the daemon
 * @sock:	its socket, unwatched
 */
void reader_keep(struct bp_state *st, int sock)
{
	if (st->reader_fd < 0)
		st->reader_fd = sock;
	else if (st->n_reader_spare < BP_READERS_SPARE)
		st->reader_spare[st->n_reader_spare++] = sock;
	else
		reader_close(sock);
}

/**
 * reader_getfd() - pidfd_getfd() of a caller's fd, off the loop: a socket, or nothing
 * @st:		the daemon
 * @pidfd:	the calling thread's pidfd
 * @fd:		its fd
 * @ret_fd:	ours, the same open file (a socket)
 *
 * A copy of any other file would be closed by the loop, and a close may wait (a FUSE file's
 * FLUSH, never answered): the reader closes it instead. Waited for in the loop, at most
 * BP_READ_TIMEOUT_MS: only a copy not had with its call's address (no pidfd then, procs.c); a
 * fast open's is held off the loop as a read is (reader_read() with @len 0, notify.c).
 *
 * Return: 0 on success; -ENOTSOCK if the fd is no socket; -ETIMEDOUT and -EAGAIN as
 *	   reader_read(); another negative errno (the caller or its fd gone)
 */
int reader_getfd(struct bp_state *st, int pidfd, int fd, int *ret_fd)
{
	int fd_err, err = reader_read(st, 0, 0, NULL, 0, pidfd, fd, ret_fd, &fd_err, NULL, NULL);

	return err ? err : fd_err;
}

/**
 * reader_abandon() - The reader a read of this call left stuck, for the call's listener
 * @st:		the daemon
 *
 * Return: its socket, for the caller to close once it hangs up or answers (the reader has
 *	   returned then), or -1 if no read of this call was given up
 */
int reader_abandon(struct bp_state *st)
{
	int fd = st->reader_stuck;

	st->reader_stuck = -1;
	return fd;
}

/**
 * reader_end() - At the daemon's end: a reader told so (its socket shut down) and waited for,
 * at most BP_READ_TIMEOUT_MS (a stuck one is left to end when its read returns), then let go
 * @sock:	its socket; -1 is nothing
 */
void reader_end(int sock)
{
	if (sock >= 0 && !shutdown(sock, SHUT_WR)) {
		struct pollfd p = { .fd = sock, .events = POLLIN };
		char c;

		/* Its end, closed at its exit: the hang-up, or EOF. */
		while (poll(&p, 1, BP_READ_TIMEOUT_MS) == 1 &&
		       recv(sock, &c, sizeof(c), MSG_DONTWAIT) > 0)
			;
	}
	if (sock >= 0)
		close(sock);
}

/**
 * reader_stop() - At the daemon's end: its readers, the current one and the spares, ended
 * (reader_end()), so that whoever stops the daemon finds no reader of it left
 * @st:		the daemon
 */
void reader_stop(struct bp_state *st)
{
	reader_end(st->reader_fd);
	st->reader_fd = -1;
	while (st->n_reader_spare > 0)
		reader_end(st->reader_spare[--st->n_reader_spare]);
	reader_free(st);
}

/**
 * reader_free() - Let the reader go (it ends once it reads the end); in a standby, the
 * active's reader, which must see the active's end alone (never shut down: the socket is the
 * active's too)
 * @st:		the daemon
 */
void reader_free(struct bp_state *st)
{
	if (st->reader_fd >= 0)
		close(st->reader_fd);
	if (st->reader_stuck >= 0)
		close(st->reader_stuck);
	st->reader_fd = st->reader_stuck = -1;
	while (st->n_reader_spare > 0)
		close(st->reader_spare[--st->n_reader_spare]);
}
