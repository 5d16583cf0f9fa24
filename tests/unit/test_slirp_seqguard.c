/* Unit tests of rootlet-slirp's order guard on the guest's TCP segments (slirp/seqguard.c). */
#include "frame.h"
#include "seqguard.h"
#include "unit.h"

#define ETH 14
#define BUF 2048
#define MTU 1500

/*
 * A guest's frame with a TCP segment from @src to @dst (IPv4 or IPv6 text), @flags, @seq, @len
 * bytes of payload and @pad bytes after the segment (an Ethernet frame may be longer than its
 * IP packet); checksums right.
 */
static size_t segment(uint8_t *f, int family, const char *src, const char *dst, uint32_t seq,
		      uint8_t flags, size_t len, size_t pad)
{
	return frame_tcp(f, &(struct frame_tcp){ .family = family,
						 .src = src,
						 .dst = dst,
						 .sport = 40000,
						 .dport = 7001,
						 .window = 65535,
						 .seq = seq,
						 .ack = 1,
						 .flags = flags,
						 .len = len,
						 .fill = 'x',
						 .pad = pad });
}

#define SYN 0x02
#define ACK 0x10

/* That segment, in a frame of its own: does the guard let it through? */
static bool passes(struct seqguard *g, int family, const char *src, const char *dst, uint32_t seq,
		   uint8_t flags, size_t len, size_t pad)
{
	uint8_t f[BUF];
	size_t n = segment(f, family, src, dst, seq, flags, len, pad);

	return seqguard_from_guest(g, f, n, false);
}

/* A flow opened by the guest (SYN at 1000), then a segment past a gap: dropped? */
static bool gap_passes(int *failed, struct seqguard *g, int family, const char *src,
		       const char *dst)
{
	CHECK(passes(g, family, src, dst, 1000, SYN, 0, 0));
	CHECK(passes(g, family, src, dst, 1001, ACK, 1, 0));
	return passes(g, family, src, dst, 1100, ACK, 1, 0); /* a gap of 98 bytes before it */
}

TEST(a_segment_past_a_gap_is_dropped_on_ipv4_and_ipv6)
{
	struct seqguard g = { 0 };

	CHECK(seqguard_init(&g, MTU) == 0);
	CHECK(!gap_passes(failed, &g, AF_INET, "10.0.2.100", "192.0.2.9"));
	CHECK(!gap_passes(failed, &g, AF_INET6, "fd00::100", "fd77::9"));
	seqguard_free(&g);
}

/*
 * Outside attack of issue 26: bytes after an IPv6 segment made it unparsed, and let through
 * (libslirp queues it all the same). A TCP frame longer than its packet never reaches libslirp
 * (no real stack sends one over a tap: a frame is padded only below Ethernet's 60 bytes).
 */
TEST(a_tcp_frame_with_bytes_after_its_packet_is_dropped)
{
	struct seqguard g = { 0 };

	CHECK(seqguard_init(&g, MTU) == 0);
	CHECK(!passes(&g, AF_INET6, "fd00::100", "fd77::9", 1000, SYN, 0, 2));
	CHECK(!passes(&g, AF_INET6, "fd00::100", "fd77::9", 1100, ACK, 1, 2));
	CHECK(!passes(&g, AF_INET, "10.0.2.100", "192.0.2.9", 1100, ACK, 1, 2));
	seqguard_free(&g);
}

/*
 * Outside attack of issue 26: an IPv4 flow and the IPv6 flow of its IPv4-compatible addresses
 * (::10.0.2.77) had one key, so an IPv6 SYN moved the IPv4 flow's mark where it wanted.
 */
TEST(an_ipv6_syn_never_moves_the_mark_of_the_ipv4_flow_of_the_same_addresses)
{
	struct seqguard g = { 0 };

	CHECK(seqguard_init(&g, MTU) == 0);
	CHECK(passes(&g, AF_INET, "10.0.2.77", "192.0.2.9", 1000, SYN, 0, 0));
	CHECK(passes(&g, AF_INET, "10.0.2.77", "192.0.2.9", 1001, ACK, 1, 0));
	CHECK(passes(&g, AF_INET6, "::10.0.2.77", "::192.0.2.9", 5000, SYN, 0, 0));
	CHECK(!passes(&g, AF_INET, "10.0.2.77", "192.0.2.9", 5001, ACK, 1, 0));
	seqguard_free(&g);
}

/* An IPv6 flow opened by the guest: SYN at 1000, one byte at 1001; its next byte is 1002. */
static void open_ipv6_flow(int *failed, struct seqguard *g)
{
	CHECK(passes(g, AF_INET6, "fd00::100", "fd77::9", 1000, SYN, 0, 0));
	CHECK(passes(g, AF_INET6, "fd00::100", "fd77::9", 1001, ACK, 1, 0));
}

/*
 * Third outside attack of issue 26: an IPv6 frame whose version nibble was 0 passed as a TCP
 * segment and moved the flow's mark, but libslirp drops it unread: the next segment past a
 * gap then passed. Such a frame never reaches libslirp, and the mark stays.
 */
TEST(an_ipv6_frame_of_another_ip_version_neither_passes_nor_moves_the_mark)
{
	struct seqguard g = { 0 };
	uint8_t f[BUF];
	size_t n;

	CHECK(seqguard_init(&g, MTU) == 0);
	open_ipv6_flow(failed, &g);
	n = segment(f, AF_INET6, "fd00::100", "fd77::9", 1002, ACK, 100, 0);
	f[ETH] &= 0x0f; /* version 0 */
	CHECK(!seqguard_from_guest(&g, f, n, false));
	CHECK(!passes(&g, AF_INET6, "fd00::100", "fd77::9", 1102, ACK, 1, 0));
	seqguard_free(&g);
}

/*
 * Same class: libslirp drops an IPv6 packet longer than its MTU (with an ICMPv6 Packet Too
 * Big), so such a segment must not move the mark either.
 */
TEST(an_ipv6_segment_longer_than_the_mtu_neither_passes_nor_moves_the_mark)
{
	struct seqguard g = { 0 };

	CHECK(seqguard_init(&g, MTU) == 0);
	open_ipv6_flow(failed, &g);
	CHECK(!passes(&g, AF_INET6, "fd00::100", "fd77::9", 1002, ACK, MTU, 0));
	CHECK(!passes(&g, AF_INET6, "fd00::100", "fd77::9", 1002 + MTU, ACK, 1, 0));
	CHECK(passes(&g, AF_INET6, "fd00::100", "fd77::9", 1002, ACK, MTU - 60, 0));
	seqguard_free(&g);
}

UNIT_MAIN("slirp-seqguard", T(a_segment_past_a_gap_is_dropped_on_ipv4_and_ipv6),
	  T(a_tcp_frame_with_bytes_after_its_packet_is_dropped),
	  T(an_ipv6_syn_never_moves_the_mark_of_the_ipv4_flow_of_the_same_addresses),
	  T(an_ipv6_frame_of_another_ip_version_neither_passes_nor_moves_the_mark),
	  T(an_ipv6_segment_longer_than_the_mtu_neither_passes_nor_moves_the_mark))
