/* Unit tests of which upstream datagrams rootlet-dns takes as the answer to a query it sent. */
#include <ldns/ldns.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "dnsquery.h"
#include "unit.h"

#define OUR_ID	  0xbeef
#define FLAGS_OFF 2
#define QD_OFF	  4
#define AN_OFF	  6

/* The wire form of our query for @name of @type and @class. */
static size_t query(const char *name, ldns_rr_type type, ldns_rr_class class, uint8_t *buf)
{
	return dnsquery(name, type, class, OUR_ID, buf, DNS_MSG_MAX);
}

/* What the upstream answers to @name/@type/@class under @id: the query, made a response with
 * one address record after the question. */
static size_t answer(const char *name, ldns_rr_type type, ldns_rr_class class, uint16_t id,
		     uint8_t *buf)
{
	static const uint8_t rr[] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 7 };
	size_t n = query(name, type, class, buf);

	buf[0] = (uint8_t)(id >> 8);
	buf[1] = (uint8_t)id;
	buf[FLAGS_OFF] |= 0x80; /* QR */
	buf[AN_OFF + 1] = 1;
	memcpy(buf + n, rr, sizeof(rr));
	return n + sizeof(rr);
}

/* The question of our query for example.org A IN. */
static void asked(struct dns_question *qd)
{
	uint8_t q[DNS_MSG_MAX];
	size_t n = query("example.org", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, q);

	if (!n || match_question(q, n, qd))
		abort();
}

TEST(the_question_is_the_querys_name_type_and_class)
{
	uint8_t q[DNS_MSG_MAX];
	struct dns_question qd;
	size_t n = query("Example.org", LDNS_RR_TYPE_AAAA, LDNS_RR_CLASS_IN, q);

	CHECK(match_question(q, n, &qd) == 0);
	CHECK(qd.len == sizeof("\7Example\3org") + 4);
	CHECK(!memcmp(qd.bytes, "\7Example\3org\0\0\x1c\0\x01", qd.len));
	for (size_t cut = 1; cut + DNS_HDR_LEN < n + 1; cut++)
		CHECK(match_question(q, n - cut, &qd) == -EINVAL);
}

TEST(the_answer_to_the_question_under_our_id_matches_in_any_case)
{
	struct dns_question qd;
	uint8_t a[DNS_MSG_MAX];
	size_t n;

	asked(&qd);
	n = answer("example.org", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, OUR_ID, a);
	CHECK(match_answer(&qd, OUR_ID, a, n));
	n = answer("EXAMPLE.Org", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, OUR_ID, a);
	CHECK(match_answer(&qd, OUR_ID, a, n));
}

TEST(another_id_or_no_response_does_not_match)
{
	struct dns_question qd;
	uint8_t a[DNS_MSG_MAX];
	size_t n;

	asked(&qd);
	n = answer("example.org", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, OUR_ID ^ 1, a);
	CHECK(!match_answer(&qd, OUR_ID, a, n));
	n = answer("example.org", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, OUR_ID, a);
	a[FLAGS_OFF] &= 0x7f; /* no QR: a query */
	CHECK(!match_answer(&qd, OUR_ID, a, n));
	a[FLAGS_OFF] |= 0x80 | 5 << 3; /* opcode UPDATE */
	CHECK(!match_answer(&qd, OUR_ID, a, n));
	a[FLAGS_OFF] = 0x81;
	CHECK(match_answer(&qd, OUR_ID, a, n));
	a[QD_OFF + 1] = 0; /* no question */
	CHECK(!match_answer(&qd, OUR_ID, a, n));
	a[QD_OFF + 1] = 2; /* two */
	CHECK(!match_answer(&qd, OUR_ID, a, n));
}

TEST(another_name_type_or_class_does_not_match)
{
	struct dns_question qd;
	uint8_t a[DNS_MSG_MAX];
	static const char *names[] = { "example.com",  "exbmple.org", "example.org.evil",
				       "xample.org",   "example",     "example.org.",
				       "example\\.org" };
	size_t n;

	asked(&qd);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		n = answer(names[i], LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, OUR_ID, a);
		/* "example.org." is the same name as "example.org": ldns writes both alike */
		CHECK(match_answer(&qd, OUR_ID, a, n) == !strcmp(names[i], "example.org."));
	}
	n = answer("example.org", LDNS_RR_TYPE_AAAA, LDNS_RR_CLASS_IN, OUR_ID, a);
	CHECK(!match_answer(&qd, OUR_ID, a, n));
	n = answer("example.org", LDNS_RR_TYPE_A, LDNS_RR_CLASS_CH, OUR_ID, a);
	CHECK(!match_answer(&qd, OUR_ID, a, n));
	/* the letters' case folds, nothing else: '.'-'@' are not 'a'-'z' less 0x20 */
	n = answer("example.org", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, OUR_ID, a);
	a[DNS_HDR_LEN + 1] = 'E';
	CHECK(match_answer(&qd, OUR_ID, a, n));
	a[DNS_HDR_LEN + 1] = 'E' - 0x20;
	CHECK(!match_answer(&qd, OUR_ID, a, n));
	a[DNS_HDR_LEN + 1] = 'e';
	a[DNS_HDR_LEN] = 7 | 0x20; /* a length byte is no letter */
	CHECK(!match_answer(&qd, OUR_ID, a, n));
}

TEST(a_datagram_cut_short_does_not_match)
{
	struct dns_question qd;
	uint8_t a[DNS_MSG_MAX];
	size_t n;

	asked(&qd);
	n = DNS_HDR_LEN + qd.len;
	answer("example.org", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, OUR_ID, a);
	CHECK(match_answer(&qd, OUR_ID, a, n)); /* header and question are enough */
	for (size_t len = 0; len < n; len++)
		CHECK(!match_answer(&qd, OUR_ID, a, len));
}

UNIT_MAIN("dns_match", T(the_question_is_the_querys_name_type_and_class),
	  T(the_answer_to_the_question_under_our_id_matches_in_any_case),
	  T(another_id_or_no_response_does_not_match), T(another_name_type_or_class_does_not_match),
	  T(a_datagram_cut_short_does_not_match))
