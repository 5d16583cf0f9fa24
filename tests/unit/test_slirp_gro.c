/* Unit tests of rootlet-slirp's coalescing of TCP segments and ACKs to the guest (slirp/gro.c). */
#include <unistd.h>
#include <linux/virtio_net.h>

#include "frame.h"
#include "loop.h"
#include "slirp.h"
#include "unit.h"

#define ETH 14
#define MSS 1000
#define BUF 70000

/* A segment of @family's flow from port @sport to the guest's port 40000, acknowledging 7. */
static struct frame_tcp flow(int family, uint16_t sport)
{
	bool v4 = family == AF_INET;

	return (struct frame_tcp){ .family = family,
				   .src = v4 ? "10.0.2.2" : "fd00::2",
				   .dst = v4 ? "10.0.2.100" : "fd00::100",
				   .sport = sport,
				   .dport = 40000,
				   .window = 1000,
				   .ack = 7 };
}

/* An Ethernet frame with a TCP segment: @flags, @seq, @len bytes of payload @fill. */
static size_t segment(uint8_t *f, int family, uint16_t sport, uint32_t seq, uint8_t flags,
		      size_t len, uint8_t fill)
{
	struct frame_tcp s = flow(family, sport);

	s.seq = seq;
	s.flags = flags;
	s.len = len;
	s.fill = fill;
	return frame_tcp(f, &s);
}

/* A pure ACK of @family's flow from port @sport: sequence @seq, acknowledging @ack. */
static size_t pure_ack(uint8_t *f, int family, uint16_t sport, uint32_t seq, uint32_t ack)
{
	struct frame_tcp s = flow(family, sport);

	s.seq = seq;
	s.ack = ack;
	s.flags = TH_ACK;
	return frame_tcp(f, &s);
}

/* The acknowledgement number of the IPv4 segment in @f. */
static uint32_t ack_of(const uint8_t *f)
{
	uint32_t v;

	memcpy(&v, f + ETH + 20 + 8, 4);
	return ntohl(v);
}

/* A 16-bit big-endian field of @f at @off. */
static uint16_t be16_at(const uint8_t *f, size_t off)
{
	uint16_t v;

	memcpy(&v, f + off, 2);
	return ntohs(v);
}

/* Finishes a NEEDS_CSUM frame as the kernel would, then checks it against the pseudo-header. */
static int tcp_csum_ok(uint8_t *f, size_t n, const struct virtio_net_hdr *h, int family)
{
	uint16_t tcp_len = (uint16_t)(n - h->csum_start), c;

	c = (uint16_t)~frame_sum(f + h->csum_start, n - h->csum_start, 0);
	memcpy(f + h->csum_start + h->csum_offset, &c, 2);
	return frame_sum(f + h->csum_start, tcp_len, frame_pseudo_sum(f, family, tcp_len)) ==
	       0xffff;
}

/* One frame written to a plain "tap": its length. */
static ssize_t next_plain(int fd, uint8_t *f)
{
	return recv(fd, f, BUF, MSG_DONTWAIT);
}

/* One frame written to the "tap": its virtio-net header and its length. */
static ssize_t next(int fd, struct virtio_net_hdr *h, uint8_t *f)
{
	struct iovec iov[2] = { { h, sizeof(*h) }, { f, BUF } };
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };
	ssize_t n = recvmsg(fd, &m, MSG_DONTWAIT);

	return n < (ssize_t)sizeof(*h) ? -1 : n - (ssize_t)sizeof(*h);
}

struct rig {
	int sv[2];
	struct gro *g;
	uint8_t *f, *out;
	struct virtio_net_hdr h; /* the last frame's, read by rig_next() */
};

static void rig_up_tap(struct rig *r, bool vnet)
{
	int size = 4 << 20;

	socketpair(AF_UNIX, SOCK_SEQPACKET, 0, r->sv);
	setsockopt(r->sv[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	r->g = gro_new(vnet);
	r->f = malloc(BUF);
	r->out = malloc(BUF);
	r->h = (struct virtio_net_hdr){ 0 };
}

static void rig_up(struct rig *r)
{
	rig_up_tap(r, true);
}

static void rig_down(struct rig *r)
{
	gro_free(r->g);
	free(r->f);
	free(r->out);
	close(r->sv[0]);
	close(r->sv[1]);
}

/* The next frame the "tap" got, in r->out and r->h: its length (-1: none). */
static ssize_t rig_next(struct rig *r)
{
	return next(r->sv[1], &r->h, r->out);
}

/* Whether the next frame is IPv4's, @len bytes long, its TCP payload starting with @fill. */
static bool rig_next_is(struct rig *r, ssize_t len, uint8_t fill)
{
	return rig_next(r) == len && r->out[ETH + 40] == fill;
}

/* Whether the next frame is a pure IPv4 ACK acknowledging @ack. */
static bool rig_next_acks(struct rig *r, uint32_t ack)
{
	return rig_next(r) == ETH + 40 && ack_of(r->out) == ack;
}

static void send_seg(struct rig *r, int family, uint16_t sport, uint32_t seq, uint8_t flags,
		     size_t len, uint8_t fill)
{
	gro_send(r->g, r->sv[0], r->f, segment(r->f, family, sport, seq, flags, len, fill));
}

static void send_ack(struct rig *r, int family, uint16_t sport, uint32_t seq, uint32_t ack)
{
	gro_send(r->g, r->sv[0], r->f, pure_ack(r->f, family, sport, seq, ack));
}

TEST(contiguous_segments_become_one_tso_frame_with_valid_checksums)
{
	struct rig r;
	ssize_t n;

	rig_up(&r);
	for (int i = 0; i < 3; i++)
		send_seg(&r, AF_INET, 80, 100 + i * MSS, TH_ACK, MSS, (uint8_t)('a' + i));
	CHECK(rig_next(&r) < 0); /* held until the flush */
	gro_flush(r.g, r.sv[0]);
	n = rig_next(&r);
	CHECK(n == ETH + 40 + 3 * MSS);
	CHECK(r.h.gso_type == VIRTIO_NET_HDR_GSO_TCPV4 && r.h.gso_size == MSS);
	CHECK(r.h.flags == VIRTIO_NET_HDR_F_NEEDS_CSUM && r.h.hdr_len == ETH + 40);
	CHECK(r.h.csum_start == ETH + 20 && r.h.csum_offset == 16);
	CHECK(be16_at(r.out, ETH + 2) == 40 + 3 * MSS);
	CHECK(frame_sum(r.out + ETH, 20, 0) == 0xffff); /* IP header checksum */
	CHECK(r.out[ETH + 40] == 'a' && r.out[ETH + 40 + MSS] == 'b' &&
	      r.out[ETH + 40 + 3 * MSS - 1] == 'c');
	CHECK(n > 0 && tcp_csum_ok(r.out, (size_t)n, &r.h, AF_INET));
	CHECK(rig_next(&r) < 0);
	rig_down(&r);
}

TEST(a_single_segment_goes_as_it_is)
{
	struct rig r;
	size_t len;

	rig_up(&r);
	len = segment(r.f, AF_INET, 80, 5, TH_ACK, 300, 'x');
	gro_send(r.g, r.sv[0], r.f, len);
	gro_flush(r.g, r.sv[0]);
	CHECK(rig_next(&r) == (ssize_t)len);
	CHECK(r.h.gso_type == VIRTIO_NET_HDR_GSO_NONE && r.h.flags == 0);
	CHECK(!memcmp(r.out, r.f, len));
	rig_down(&r);
}

TEST(gaps_other_flows_and_pure_acks_keep_frames_apart_in_order)
{
	struct rig r;

	rig_up(&r);
	send_seg(&r, AF_INET, 80, 100, TH_ACK, MSS, 'a');
	send_seg(&r, AF_INET, 80, 100 + 2 * MSS, TH_ACK, MSS, 'b'); /* a gap */
	send_seg(&r, AF_INET, 81, 100 + 3 * MSS, TH_ACK, MSS, 'c'); /* another flow */
	send_seg(&r, AF_INET, 81, 100 + 4 * MSS, TH_ACK, 0, 0);	    /* a pure ACK */
	send_seg(&r, AF_INET, 81, 100 + 4 * MSS, TH_ACK | TH_FIN, MSS, 'd');
	gro_flush(r.g, r.sv[0]);
	CHECK(rig_next_is(&r, ETH + 40 + MSS, 'a'));
	CHECK(rig_next_is(&r, ETH + 40 + MSS, 'b'));
	CHECK(rig_next_is(&r, ETH + 40 + MSS, 'c'));
	CHECK(rig_next(&r) == ETH + 40);
	CHECK(rig_next_is(&r, ETH + 40 + MSS, 'd'));
	CHECK(rig_next(&r) < 0);
	rig_down(&r);
}

TEST(a_short_or_pushed_segment_ends_the_frame)
{
	struct rig r;

	rig_up(&r);
	send_seg(&r, AF_INET, 80, 0, TH_ACK, MSS, 'a');
	send_seg(&r, AF_INET, 80, MSS, TH_ACK | TH_PUSH, MSS, 'b');
	send_seg(&r, AF_INET, 80, 2 * MSS, TH_ACK, MSS, 'c');
	send_seg(&r, AF_INET, 80, 3 * MSS, TH_ACK, MSS / 2, 'd');
	send_seg(&r, AF_INET, 80, 3 * MSS + MSS / 2, TH_ACK, MSS, 'e');
	gro_flush(r.g, r.sv[0]);
	CHECK(rig_next(&r) == ETH + 40 + 2 * MSS);
	CHECK(r.out[ETH + 20 + 13] & TH_PUSH);
	CHECK(rig_next(&r) == ETH + 40 + MSS + MSS / 2 && r.h.gso_size == MSS);
	CHECK(rig_next_is(&r, ETH + 40 + MSS, 'e'));
	rig_down(&r);
}

TEST(ipv6_segments_merge_too)
{
	struct rig r;
	ssize_t n;

	rig_up(&r);
	send_seg(&r, AF_INET6, 80, 9, TH_ACK, MSS, 'a');
	send_seg(&r, AF_INET6, 80, 9 + MSS, TH_ACK, MSS, 'b');
	gro_flush(r.g, r.sv[0]);
	n = rig_next(&r);
	CHECK(n == ETH + 60 + 2 * MSS && r.h.gso_type == VIRTIO_NET_HDR_GSO_TCPV6);
	CHECK(be16_at(r.out, ETH + 4) == 20 + 2 * MSS);
	CHECK(n > 0 && tcp_csum_ok(r.out, (size_t)n, &r.h, AF_INET6));
	rig_down(&r);
}

TEST(a_frame_stops_short_of_64_kib)
{
	struct rig r;
	int frames = 0;
	ssize_t n;

	rig_up(&r);
	for (int i = 0; i < 100; i++)
		send_seg(&r, AF_INET, 80, (uint32_t)(i * MSS), TH_ACK, MSS, 'z');
	gro_flush(r.g, r.sv[0]);
	while ((n = rig_next(&r)) >= 0) {
		CHECK(n - ETH <= IP_MAXPACKET);
		frames++;
	}
	CHECK(frames == 2);
	rig_down(&r);
}

TEST(advancing_pure_acks_leave_only_the_latest_with_either_tap)
{
	struct rig r;

	rig_up(&r);
	for (uint32_t ack = 1000; ack <= 3000; ack += 1000)
		send_ack(&r, AF_INET, 80, 5, ack);
	CHECK(rig_next(&r) < 0); /* held until the flush */
	gro_flush(r.g, r.sv[0]);
	CHECK(rig_next_acks(&r, 3000));
	CHECK(r.h.gso_type == VIRTIO_NET_HDR_GSO_NONE && r.h.flags == 0);
	CHECK(rig_next(&r) < 0);
	rig_down(&r);

	rig_up_tap(&r, false);
	for (uint32_t ack = 1000; ack <= 3000; ack += 1000)
		send_ack(&r, AF_INET, 80, 5, ack);
	gro_flush(r.g, r.sv[0]);
	CHECK(next_plain(r.sv[1], r.out) == ETH + 40 && ack_of(r.out) == 3000);
	CHECK(!memcmp(r.out, r.f, ETH + 40));
	CHECK(next_plain(r.sv[1], r.out) < 0);
	rig_down(&r);
}

TEST(duplicate_older_and_other_acks_are_never_merged)
{
	struct rig r;

	rig_up(&r);
	send_ack(&r, AF_INET, 80, 5, 1000);
	send_ack(&r, AF_INET, 80, 5, 1000); /* a duplicate ACK */
	send_ack(&r, AF_INET, 80, 5, 900);  /* older */
	send_ack(&r, AF_INET, 81, 5, 2000); /* another flow */
	send_ack(&r, AF_INET, 81, 6, 3000); /* another sequence */
	gro_flush(r.g, r.sv[0]);
	CHECK(rig_next_acks(&r, 1000));
	CHECK(rig_next_acks(&r, 1000));
	CHECK(rig_next_acks(&r, 900));
	CHECK(rig_next_acks(&r, 2000));
	CHECK(rig_next_acks(&r, 3000));
	CHECK(rig_next(&r) < 0);
	rig_down(&r);
}

TEST(a_held_ack_goes_out_before_what_follows_and_a_plain_tap_merges_no_data)
{
	struct rig r;

	rig_up_tap(&r, false);
	send_ack(&r, AF_INET, 80, 5, 1000);
	send_seg(&r, AF_INET, 80, 5, TH_ACK, MSS, 'a');
	send_seg(&r, AF_INET, 80, 5 + MSS, TH_ACK, MSS, 'b');
	CHECK(next_plain(r.sv[1], r.out) == ETH + 40 && ack_of(r.out) == 1000);
	CHECK(next_plain(r.sv[1], r.out) == ETH + 40 + MSS && r.out[ETH + 40] == 'a');
	CHECK(next_plain(r.sv[1], r.out) == ETH + 40 + MSS && r.out[ETH + 40] == 'b');
	CHECK(next_plain(r.sv[1], r.out) < 0);
	rig_down(&r);
}

TEST(only_what_is_not_a_bare_ack_counts_as_data_for_the_guest)
{
	static const uint8_t arp[42] = { [12] = 0x08, [13] = 0x06 };
	struct rig r;

	rig_up_tap(&r, false);
	CHECK(!gro_data_out(r.g));
	send_ack(&r, AF_INET, 80, 5, 1000);
	send_ack(&r, AF_INET, 80, 5, 2000);
	CHECK(!gro_data_out(r.g)); /* acknowledgements alone: the loop does not poll */
	send_seg(&r, AF_INET, 80, 5, TH_ACK, MSS, 'a');
	CHECK(gro_data_out(r.g));
	CHECK(!gro_data_out(r.g)); /* asking clears it */
	gro_send(r.g, r.sv[0], arp, sizeof(arp));
	CHECK(gro_data_out(r.g));
	send_seg(&r, AF_INET, 80, 5, TH_ACK | TH_FIN, 0, 0);
	CHECK(gro_data_out(r.g));
	rig_down(&r);
}

UNIT_MAIN("slirp-gro", T(contiguous_segments_become_one_tso_frame_with_valid_checksums),
	  T(a_single_segment_goes_as_it_is),
	  T(gaps_other_flows_and_pure_acks_keep_frames_apart_in_order),
	  T(a_short_or_pushed_segment_ends_the_frame), T(ipv6_segments_merge_too),
	  T(a_frame_stops_short_of_64_kib),
	  T(advancing_pure_acks_leave_only_the_latest_with_either_tap),
	  T(duplicate_older_and_other_acks_are_never_merged),
	  T(a_held_ack_goes_out_before_what_follows_and_a_plain_tap_merges_no_data),
	  T(only_what_is_not_a_bare_ack_counts_as_data_for_the_guest))
