/* Unit tests of rootlet-slirp's order guard on the guest's TCP segments (slirp/seqguard.c). */
#include <netinet/in.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>

#include "frame.h"
#include "seqguard.h"
#include "unit.h"

#define ETH 14
#define BUF 2048
#define MTU 1500

/* A test's flow: the guest's address and the remote one (IPv4 or IPv6 text). */
struct tflow {
	int family;
	const char *src, *dst;
};

static const struct tflow V4 = { AF_INET, "10.0.2.100", "192.0.2.9" };
static const struct tflow V6 = { AF_INET6, "fd00::100", "fd77::9" };
/* An IPv4 flow, and the IPv6 one of its IPv4-compatible addresses. */
static const struct tflow V4_77 = { AF_INET, "10.0.2.77", "192.0.2.9" };
static const struct tflow V6_COMPAT_77 = { AF_INET6, "::10.0.2.77", "::192.0.2.9" };

/*
 * A frame of flow @fl with a TCP segment: the guest's (@to_guest false: from its port 40000 to
 * 7001) or libslirp's to it; @seq, acknowledging @ack, @flags, @len bytes of payload and @pad
 * bytes after the segment (an Ethernet frame may be longer than its IP packet); checksums right.
 */
static size_t flow_frame(uint8_t *f, const struct tflow *fl, bool to_guest, uint32_t seq,
			 uint32_t ack, uint8_t flags, size_t len, size_t pad)
{
	return frame_tcp(f, &(struct frame_tcp){ .family = fl->family,
						 .src = to_guest ? fl->dst : fl->src,
						 .dst = to_guest ? fl->src : fl->dst,
						 .sport = to_guest ? 7001 : 40000,
						 .dport = to_guest ? 40000 : 7001,
						 .window = 65535,
						 .seq = seq,
						 .ack = ack,
						 .flags = flags,
						 .len = len,
						 .fill = 'x',
						 .pad = pad });
}

/* The guest's segment of flow @fl, acknowledging libslirp's SYN at 0. */
static size_t segment(uint8_t *f, const struct tflow *fl, uint32_t seq, uint8_t flags, size_t len,
		      size_t pad)
{
	return flow_frame(f, fl, false, seq, 1, flags, len, pad);
}

#define SYN	0x02
#define ACK	0x10
#define FD_REAL 10 /* the socket libslirp opened for a test's flow */

/*
 * libslirp's SYN-ACK to the guest's SYN at @seq on flow @fl: its own SYN at 0, so the guest's
 * segments (acknowledging 1) acknowledge what it sent.
 */
static void synack_to_guest(struct seqguard *g, const struct tflow *fl, uint32_t seq)
{
	uint8_t f[BUF];
	size_t n = flow_frame(f, fl, true, 0, seq + 1, SYN | ACK, 0, 0);

	seqguard_to_guest(g, f, n);
}

/*
 * The guest's SYN at @seq of flow @fl in @f going into libslirp, which opens @fd for it and
 * answers (or, @fd < 0, refuses): what loop.c and stack.c tell the guard.
 */
static bool syn_in(struct seqguard *g, const struct tflow *fl, uint32_t seq, const uint8_t *f,
		   size_t n, int fd)
{
	bool pass = seqguard_from_guest(g, f, n, false);

	seqguard_input(g, true);
	if (pass && fd >= 0)
		seqguard_fd_new(g, fd);
	seqguard_input(g, false);
	if (pass && fd >= 0)
		synack_to_guest(g, fl, seq);
	return pass;
}

/* That segment, in a frame of its own: does the guard let it through? */
static bool passes(struct seqguard *g, const struct tflow *fl, uint32_t seq, uint8_t flags,
		   size_t len, size_t pad)
{
	uint8_t f[BUF];
	size_t n = segment(f, fl, seq, flags, len, pad);

	return seqguard_from_guest(g, f, n, false);
}

/* That SYN going into libslirp, which opens @fd for it: does it pass? */
static bool syn_opens(struct seqguard *g, int fd, const struct tflow *fl, uint32_t seq)
{
	uint8_t f[BUF];
	size_t n = segment(f, fl, seq, SYN, 0, 0);

	return syn_in(g, fl, seq, f, n, fd);
}

/*
 * A test of a guard made for it (@g, a struct seqguard *), and released after: the body
 * follows as a function's.
 */
#define GUARD_TEST(name)                                                                           \
	static void name##_guarded(int *failed, struct seqguard *g);                               \
	TEST(name)                                                                                 \
	{                                                                                          \
		struct seqguard g = { 0 };                                                         \
                                                                                                   \
		CHECK(seqguard_init(&g, MTU) == 0);                                                \
		name##_guarded(failed, &g);                                                        \
		seqguard_free(&g);                                                                 \
	}                                                                                          \
	static void name##_guarded(int *failed, struct seqguard *g)

/* A flow opened by the guest (SYN at 1000), then a segment past a gap: dropped? */
static bool gap_passes(int *failed, struct seqguard *g, const struct tflow *fl)
{
	uint8_t f[BUF];
	size_t n = segment(f, fl, 1000, SYN, 0, 0);

	CHECK(syn_in(g, fl, 1000, f, n, fl->family == AF_INET ? FD_REAL : FD_REAL + 1));
	CHECK(passes(g, fl, 1001, ACK, 1, 0));
	n = segment(f, fl, 1100, ACK, 1, 0); /* a gap of 98 bytes before it */
	return seqguard_from_guest(g, f, n, false);
}

GUARD_TEST(a_segment_past_a_gap_is_dropped_on_ipv4_and_ipv6)
{
	CHECK(!gap_passes(failed, g, &V4));
	CHECK(!gap_passes(failed, g, &V6));
}

/*
 * Outside attack of issue 26: bytes after an IPv6 segment made it unparsed, and let through
 * (libslirp queues it all the same). A TCP frame longer than its packet never reaches libslirp
 * (no real stack sends one over a tap: a frame is padded only below Ethernet's 60 bytes).
 */
GUARD_TEST(a_tcp_frame_with_bytes_after_its_packet_is_dropped)
{
	CHECK(!passes(g, &V6, 1000, SYN, 0, 2));
	CHECK(!passes(g, &V6, 1100, ACK, 1, 2));
	CHECK(!passes(g, &V4, 1100, ACK, 1, 2));
}

/*
 * Outside attack of issue 26: an IPv4 flow and the IPv6 flow of its IPv4-compatible addresses
 * (::10.0.2.77) had one key, so an IPv6 SYN moved the IPv4 flow's mark where it wanted.
 */
GUARD_TEST(an_ipv6_syn_never_moves_the_mark_of_the_ipv4_flow_of_the_same_addresses)
{
	CHECK(syn_opens(g, FD_REAL, &V4_77, 1000));
	CHECK(passes(g, &V4_77, 1001, ACK, 1, 0));
	CHECK(syn_opens(g, FD_REAL + 1, &V6_COMPAT_77, 5000));
	CHECK(!passes(g, &V4_77, 5001, ACK, 1, 0));
}

/* An IPv6 flow opened by the guest: SYN at 1000, one byte at 1001; its next byte is 1002. */
static void open_ipv6_flow(int *failed, struct seqguard *g)
{
	uint8_t f[BUF];
	size_t n = segment(f, &V6, 1000, SYN, 0, 0);

	CHECK(syn_in(g, &V6, 1000, f, n, FD_REAL));
	CHECK(passes(g, &V6, 1001, ACK, 1, 0));
}

/*
 * Third outside attack of issue 26: an IPv6 frame whose version nibble was 0 passed as a TCP
 * segment and moved the flow's mark, but libslirp drops it unread: the next segment past a
 * gap then passed. Such a frame never reaches libslirp, and the mark stays.
 */
GUARD_TEST(an_ipv6_frame_of_another_ip_version_neither_passes_nor_moves_the_mark)
{
	uint8_t f[BUF];
	size_t n;

	open_ipv6_flow(failed, g);
	n = segment(f, &V6, 1002, ACK, 100, 0);
	f[ETH] &= 0x0f; /* version 0 */
	CHECK(!seqguard_from_guest(g, f, n, false));
	CHECK(!passes(g, &V6, 1102, ACK, 1, 0));
}

/*
 * Same class: libslirp drops an IPv6 packet longer than its MTU (with an ICMPv6 Packet Too
 * Big), so such a segment must not move the mark either.
 */
GUARD_TEST(an_ipv6_segment_longer_than_the_mtu_neither_passes_nor_moves_the_mark)
{
	open_ipv6_flow(failed, g);
	CHECK(!passes(g, &V6, 1002, ACK, MTU, 0));
	CHECK(!passes(g, &V6, 1002 + MTU, ACK, 1, 0));
	CHECK(passes(g, &V6, 1002, ACK, MTU - 60, 0));
}

/* One byte @fill from the guest's port @sport to the gateway's @dport: @seq, acknowledging @ack. */
static struct frame_tcp to_gateway(uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
				   uint8_t fill)
{
	return (struct frame_tcp){ .family = AF_INET,
				   .src = "10.0.2.100",
				   .dst = "10.0.2.2",
				   .sport = sport,
				   .dport = dport,
				   .window = 65535,
				   .seq = seq,
				   .ack = ack,
				   .flags = ACK,
				   .len = 1,
				   .fill = fill };
}

/* A data segment of a flow the guest made up: from port @sport to port @dport. */
static size_t made_up(uint8_t *f, uint16_t sport, uint16_t dport)
{
	struct frame_tcp t = to_gateway(sport, dport, 5000, 7000, 'F');

	return frame_tcp(f, &t);
}

#define MADE_UP_FLOWS 40000

/*
 * Outside attack B3: 16,000 segments of made-up flows (libslirp has no socket for them)
 * pushed every held flow out of a fixed table, and its next segment, past a gap, passed and
 * became its mark. Made-up flows pass (libslirp answers each with a RST) but take nothing:
 * the held flows, IPv4 and IPv6, still drop a segment past a gap.
 */
GUARD_TEST(made_up_flows_never_push_a_held_flow_out_of_the_guard)
{
	uint8_t f[BUF];
	size_t n;

	CHECK(syn_opens(g, FD_REAL, &V4, 1000));
	CHECK(syn_opens(g, FD_REAL + 1, &V6, 1000));
	for (int i = 0; i < MADE_UP_FLOWS; i++) {
		n = made_up(f, (uint16_t)(1024 + i % 16384), (uint16_t)(7000 + i / 16384));
		CHECK(seqguard_from_guest(g, f, n, false));
	}
	CHECK(g->flows.live == 2);
	CHECK(!passes(g, &V4, 1100, ACK, 1, 0));
	CHECK(!passes(g, &V6, 1100, ACK, 1, 0));
}

/*
 * A SYN libslirp opens no socket for (refused past --max-sockets, or by the host) starts no
 * mark: libslirp holds no connection for its flow, so its later segments pass to be answered
 * with a RST, and take nothing.
 */
GUARD_TEST(a_syn_that_opens_no_socket_starts_no_mark)
{
	CHECK(syn_opens(g, -1, &V4, 1000));
	CHECK(g->flows.live == 0);
	CHECK(passes(g, &V4, 1100, ACK, 1, 0));
	CHECK(g->flows.live == 0);
}

/*
 * A socket libslirp opens while a frame that is no SYN goes in (a UDP flow's, a ping's) is
 * no TCP flow's, even right after a SYN that opened none.
 */
GUARD_TEST(a_socket_opened_on_a_frame_that_is_no_syn_is_no_flows)
{
	uint8_t f[BUF];
	size_t n;

	CHECK(syn_opens(g, -1, &V4, 1000));
	n = made_up(f, 1024, 7000);
	CHECK(seqguard_from_guest(g, f, n, false));
	seqguard_input(g, true);
	seqguard_fd_new(g, FD_REAL);
	seqguard_input(g, false);
	CHECK(g->flows.live == 0);
}

/*
 * The mark goes with libslirp's socket (closed with its connection: tcp_close()), and a new
 * flow on the same fd number has its own.
 */
GUARD_TEST(a_flows_mark_goes_with_its_socket)
{
	CHECK(syn_opens(g, FD_REAL, &V4, 1000));
	seqguard_fd_gone(g, FD_REAL);
	CHECK(g->flows.live == 0);
	CHECK(syn_opens(g, FD_REAL, &V6, 1000));
	CHECK(g->flows.live == 1);
	CHECK(!passes(g, &V6, 1100, ACK, 1, 0));
}

/*
 * A SYN past the end of a connection in TIME_WAIT makes libslirp close it and open a new one
 * on the same flow, within one slirp_input(): the new socket has the flow's mark.
 */
GUARD_TEST(a_syn_that_ends_a_time_wait_guards_the_new_connection)
{
	CHECK(syn_opens(g, FD_REAL, &V4, 1000));
	CHECK(passes(g, &V4, 90000, SYN, 0, 0));
	seqguard_input(g, true);
	seqguard_fd_gone(g, FD_REAL);
	seqguard_fd_new(g, FD_REAL + 1);
	seqguard_input(g, false);
	synack_to_guest(g, &V4, 90000);
	CHECK(g->flows.live == 1);
	CHECK(!passes(g, &V4, 90100, ACK, 1, 0));
	CHECK(passes(g, &V4, 90001, ACK, 1, 0));
}

/*
 * Seventh outside attack: a SYN (no ACK) on an established flow moved its mark to the SYN's
 * end; libslirp drops such a segment unanswered, so a segment past libslirp's next byte then
 * passed and was queued, 63 kB a byte. A SYN moves no known mark.
 */
GUARD_TEST(a_syn_on_an_established_flow_never_moves_its_mark)
{
	CHECK(syn_opens(g, FD_REAL, &V4, 1000));
	CHECK(passes(g, &V4, 1001, ACK, 1, 0));
	CHECK(passes(g, &V4, 5000, SYN, 0, 0));
	CHECK(!passes(g, &V4, 5001, ACK, 1, 0));
	CHECK(passes(g, &V4, 1002, ACK, 1, 0));
}

/* A segment of the guest's on flow @fl: @seq, acknowledging @ack. Does it pass? */
static bool passes_acking(struct seqguard *g, const struct tflow *fl, uint32_t seq, uint32_t ack,
			  uint8_t flags, size_t len)
{
	uint8_t f[BUF];
	size_t n = flow_frame(f, fl, false, seq, ack, flags, len, 0);

	return seqguard_from_guest(g, f, n, false);
}

#define FIN 0x01

/*
 * Eighth outside attack B1: libslirp drops a segment that acknowledges what it never sent
 * (after an ACK that may never leave: the guest pushed its own address out of libslirp's ARP
 * table), but the mark moved by it, and one-byte segments behind it were queued, 100 MB. Such
 * a segment, data or FIN, never passes, and the mark stays at libslirp's next byte.
 */
GUARD_TEST(a_segment_acknowledging_what_libslirp_never_sent_moves_no_mark)
{
	CHECK(syn_opens(g, FD_REAL, &V4, 1000)); /* libslirp sent its SYN: 1 is its end */
	CHECK(!passes_acking(g, &V4, 1001, 2, ACK, 1400));
	CHECK(!passes_acking(g, &V4, 1001, 5000, ACK | FIN, 0));
	CHECK(!passes(g, &V4, 1401, ACK, 1, 0));
	CHECK(!passes(g, &V4, 1002, ACK, 1, 0));
	CHECK(!passes_acking(g, &V4, 1001, 0, ACK, 100)); /* not libslirp's SYN, at 0 */
	CHECK(!passes(g, &V4, 1101, ACK, 1, 0));
	CHECK(passes(g, &V4, 1001, ACK, 1, 0));
	CHECK(passes(g, &V6, 1001, ACK, 1, 0)); /* no flow of libslirp's: answered with a RST */
	CHECK(syn_opens(g, FD_REAL + 1, &V6, 1000));
	CHECK(!passes_acking(g, &V6, 1001, 2, ACK, 100));
	CHECK(!passes(g, &V6, 1101, ACK, 1, 0));
}

#define GIB 0x40000000u

/*
 * Fresh-eyes review: the check that a segment acknowledges libslirp's SYN compared every ACK
 * with the SYN's end for the connection's whole life, so once libslirp had sent the guest
 * 2 GiB on it the guest's ACKs were "before" the SYN in sequence space, and all its data and
 * its FIN were dropped. Past the handshake the check is done: 3 GiB on, in-order data passes.
 */
GUARD_TEST(guest_data_passes_after_libslirp_has_sent_it_gigabytes)
{
	uint32_t guest = 1001;

	CHECK(syn_opens(g, FD_REAL, &V4, 1000));
	CHECK(passes(g, &V4, guest++, ACK, 1, 0));
	for (uint32_t sent = 1 + GIB; sent != 1 + 4 * GIB; sent += GIB) {
		uint8_t f[BUF];
		size_t n = flow_frame(f, &V4, true, sent - 1, guest, ACK, 1, 0);

		seqguard_to_guest(g, f, n); /* one byte at the end of another GiB sent */
		CHECK(passes_acking(g, &V4, guest++, sent, ACK, 1));
	}
	CHECK(passes_acking(g, &V4, guest, 1 + 3 * GIB, ACK | FIN, 0));
}

#define RST 0x04

/*
 * Tenth outside attack: libslirp takes a FIN without data, whose ACK repeats its last, for a
 * duplicate ACK and drops it unanswered from the third on; the guard moved the mark past each
 * FIN all the same, and one-byte segments behind the walked mark were queued (190 MB). A FIN
 * moves no mark: the next segment after it is past a gap until libslirp acknowledges the FIN.
 */
GUARD_TEST(a_fin_libslirp_may_drop_as_a_duplicate_ack_never_moves_the_mark)
{
	CHECK(syn_opens(g, FD_REAL, &V4, 1000));
	CHECK(passes(g, &V4, 1001, ACK, 1, 0));
	CHECK(passes(g, &V4, 1002, ACK | FIN, 0, 0));
	CHECK(!passes(g, &V4, 1003, ACK | FIN, 0, 0));
	CHECK(!passes(g, &V4, 1003, ACK, 1, 0));
	CHECK(passes(g, &V4, 1002, ACK | FIN, 1, 0)); /* data and FIN: the data moves it */
	CHECK(passes(g, &V4, 1003, ACK, 1, 0));
	CHECK(!passes(g, &V4, 1005, ACK, 1, 0));
}

/*
 * Eighth outside attack, again: libslirp answers a bare ACK past what it sent, in
 * SYN_RECEIVED, with a RST whose sequence number is that ACK; the guard took it for what
 * libslirp had sent, and segments acknowledging up to it passed (libslirp drops them after an
 * ACK of its own), the mark moved by them. A RST moves neither what libslirp sent nor the
 * mark (its ACK is the end of the guest's own segment, the guest's to choose too).
 */
GUARD_TEST(a_reset_libslirp_sends_moves_neither_what_it_sent_nor_the_mark)
{
	uint8_t f[BUF];
	size_t n;

	CHECK(syn_opens(g, FD_REAL, &V4, 1000)); /* libslirp sent its SYN: 1 is its end */
	n = flow_frame(f, &V4, true, 0x200000, 0, RST, 0, 0);
	seqguard_to_guest(g, f, n);
	CHECK(!passes_acking(g, &V4, 1001, 0x200000, ACK, 1400));
	CHECK(!passes(g, &V4, 1401, ACK, 1, 0));
	n = flow_frame(f, &V4, true, 0, 5000, RST | ACK, 0, 0);
	seqguard_to_guest(g, f, n);
	CHECK(!passes(g, &V4, 5000, ACK, 1, 0));
	CHECK(passes(g, &V4, 1001, ACK, 1, 0));
}

/* The guest's data before libslirp's SYN-ACK reached it: dropped, as libslirp drops it. */
GUARD_TEST(data_before_libslirps_syn_ack_never_passes)
{
	uint8_t f[BUF];
	size_t n = segment(f, &V4, 1000, SYN, 0, 0);

	CHECK(seqguard_from_guest(g, f, n, false));
	seqguard_input(g, true);
	seqguard_fd_new(g, FD_REAL);
	seqguard_input(g, false);
	CHECK(!passes(g, &V4, 1001, ACK, 1, 0));
	synack_to_guest(g, &V4, 1000);
	CHECK(passes(g, &V4, 1001, ACK, 1, 0));
}

/* A TCP connection on loopback: its accepted end, whose peer's port is *@port. */
static int accepted(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0), s = -1;

	if (l >= 0 && c >= 0 && !bind(l, (struct sockaddr *)&a, len) && !listen(l, 1) &&
	    !getsockname(l, (struct sockaddr *)&a, &len) &&
	    !connect(c, (struct sockaddr *)&a, len) && !getsockname(c, (struct sockaddr *)&a, &len))
		s = accept(l, NULL, NULL);
	*port = ntohs(a.sin_port);
	if (l >= 0)
		close(l);
	if (c >= 0)
		close(c);
	return s;
}

/*
 * A forward's connection: libslirp accepts it outside any guest frame and sends the guest a
 * SYN from the peer's port. Its flow is guarded from then: data before the guest's SYN-ACK is
 * dropped, and after it a segment past a gap.
 */
GUARD_TEST(a_forwarded_connection_is_guarded_from_libslirps_syn)
{
	uint16_t port;
	int s = accepted(&port);
	struct frame_tcp t = { .family = AF_INET,
			       .src = "10.0.2.2",
			       .dst = "10.0.2.100",
			       .dport = 8000,
			       .window = 65535,
			       .seq = 300,
			       .flags = SYN };
	uint8_t f[BUF];
	size_t n;

	CHECK(s >= 0);
	t.sport = port;
	seqguard_fd_new(g, s);
	n = frame_tcp(f, &t);
	seqguard_to_guest(g, f, n);
	CHECK(g->flows.live == 1);
	/* the guest's side: from 8000 to the peer's port */
	t = to_gateway(8000, port, 900, 301, 'x');
	n = frame_tcp(f, &t);
	CHECK(!seqguard_from_guest(g, f, n, false));
	t.flags = SYN | ACK;
	t.len = 0;
	t.ack = 302; /* past libslirp's SYN: no mark from it (eighth outside attack B1) */
	n = frame_tcp(f, &t);
	CHECK(!seqguard_from_guest(g, f, n, false));
	t.ack = 301;
	n = frame_tcp(f, &t);
	CHECK(seqguard_from_guest(g, f, n, false));
	t.flags = ACK;
	t.seq = 1000; /* past 901 */
	t.len = 1;
	n = frame_tcp(f, &t);
	CHECK(!seqguard_from_guest(g, f, n, false));
	t.seq = 901;
	n = frame_tcp(f, &t);
	CHECK(seqguard_from_guest(g, f, n, false));
	seqguard_fd_gone(g, s);
	CHECK(g->flows.live == 0);
	close(s);
}

UNIT_MAIN("slirp-seqguard", T(a_segment_past_a_gap_is_dropped_on_ipv4_and_ipv6),
	  T(a_tcp_frame_with_bytes_after_its_packet_is_dropped),
	  T(an_ipv6_syn_never_moves_the_mark_of_the_ipv4_flow_of_the_same_addresses),
	  T(an_ipv6_frame_of_another_ip_version_neither_passes_nor_moves_the_mark),
	  T(an_ipv6_segment_longer_than_the_mtu_neither_passes_nor_moves_the_mark),
	  T(made_up_flows_never_push_a_held_flow_out_of_the_guard),
	  T(a_syn_that_opens_no_socket_starts_no_mark),
	  T(a_socket_opened_on_a_frame_that_is_no_syn_is_no_flows),
	  T(a_flows_mark_goes_with_its_socket),
	  T(a_syn_that_ends_a_time_wait_guards_the_new_connection),
	  T(a_syn_on_an_established_flow_never_moves_its_mark),
	  T(a_forwarded_connection_is_guarded_from_libslirps_syn),
	  T(a_segment_acknowledging_what_libslirp_never_sent_moves_no_mark),
	  T(data_before_libslirps_syn_ack_never_passes),
	  T(guest_data_passes_after_libslirp_has_sent_it_gigabytes),
	  T(a_reset_libslirp_sends_moves_neither_what_it_sent_nor_the_mark),
	  T(a_fin_libslirp_may_drop_as_a_duplicate_ack_never_moves_the_mark))
