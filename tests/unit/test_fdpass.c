/* Unit tests of lib/fdpass: a message and its fds across a socketpair, and no fd left over. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdpass.h"
#include "unit.h"

/* Whether @a and @b are the same open file's fds (the same inode of the same device). */
static int same_file(int a, int b)
{
	struct stat sa, sb;

	return !fstat(a, &sa) && !fstat(b, &sb) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* How many fds this process has open: one left open unseen counts. */
static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* One fd passed: the same file, close-on-exec, with the message whole. */
TEST(one_fd_arrives_with_its_message_close_on_exec)
{
	int sp[2], p[2], fd = -1;
	char msg[8] = { 0 };

	CHECK(!socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) && !pipe(p));
	CHECK(fdpass_send_one(sp[0], "hello", 6, p[0], 0) == 6);
	CHECK(fdpass_recv_one(sp[1], msg, sizeof(msg), &fd, 0) == 6);
	CHECK(!strcmp(msg, "hello"));
	CHECK(fd >= 0 && fd != p[0] && same_file(fd, p[0]));
	CHECK(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC));
	if (fd >= 0)
		close(fd);
	close(p[0]);
	close(p[1]);
	close(sp[0]);
	close(sp[1]);
}

/* A message with no fd: -1, the message still whole. */
TEST(no_fd_reads_as_minus_one)
{
	int sp[2], fd = 7;
	char msg[8] = { 0 };

	CHECK(!socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp));
	CHECK(fdpass_send_one(sp[0], "x", 2, -1, 0) == 2);
	CHECK(fdpass_recv_one(sp[1], msg, sizeof(msg), &fd, 0) == 2);
	CHECK(fd == -1 && !strcmp(msg, "x"));
	close(sp[0]);
	close(sp[1]);
}

/* A peer that sends more fds than asked for: the first kept, every other one closed here. */
TEST(fds_past_the_room_asked_for_are_closed)
{
	int sp[2], p[2], three[3], got[2], n = -1, fd = -1, before;
	char msg[4];

	CHECK(!socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) && !pipe(p));
	three[0] = p[0];
	three[1] = p[1];
	three[2] = p[0];
	before = open_fds();
	CHECK(fdpass_send(sp[0], "abc", 4, three, 3, 0) == 4);
	CHECK(fdpass_recv_one(sp[1], msg, sizeof(msg), &fd, 0) == 4);
	CHECK(fd >= 0 && same_file(fd, p[0]));
	close(fd);
	CHECK(open_fds() == before);
	/* And with room for two: those two, in order, the third closed. */
	CHECK(fdpass_send(sp[0], "abc", 4, three, 3, 0) == 4);
	CHECK(fdpass_recv(sp[1], msg, sizeof(msg), got, 2, &n, 0) == 4);
	CHECK(n == 2 && same_file(got[0], p[0]) && same_file(got[1], p[1]));
	if (n == 2) {
		close(got[0]);
		close(got[1]);
	}
	CHECK(open_fds() == before);
	close(p[0]);
	close(p[1]);
	close(sp[0]);
	close(sp[1]);
}

/* More than FDPASS_MAX asked to be sent: EINVAL, nothing sent. */
TEST(more_than_the_most_is_refused)
{
	int sp[2], fds[FDPASS_MAX + 1];

	CHECK(!socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sp));
	for (int i = 0; i <= FDPASS_MAX; i++)
		fds[i] = sp[0];
	errno = 0;
	CHECK(fdpass_send(sp[0], "a", 1, fds, FDPASS_MAX + 1, 0) < 0 && errno == EINVAL);
	CHECK(recv(sp[1], fds, sizeof(fds), MSG_DONTWAIT) < 0 && errno == EAGAIN);
	close(sp[0]);
	close(sp[1]);
}

/* A peer gone: EPIPE, never SIGPIPE (which would end the test here). */
TEST(a_peer_gone_is_epipe_not_a_signal)
{
	int sp[2];

	CHECK(!socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp));
	close(sp[1]);
	errno = 0;
	CHECK(fdpass_send_one(sp[0], "a", 1, -1, 0) < 0 && errno == EPIPE);
	close(sp[0]);
}

UNIT_MAIN("fdpass", T(one_fd_arrives_with_its_message_close_on_exec), T(no_fd_reads_as_minus_one),
	  T(fds_past_the_room_asked_for_are_closed), T(more_than_the_most_is_refused),
	  T(a_peer_gone_is_epipe_not_a_signal))
