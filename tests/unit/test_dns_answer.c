/* Unit tests of rootlet-dns's answers, decoded by ldns: a reader apart from the daemon's libresolv.
 */
#include <arpa/inet.h>
#include <ldns/ldns.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "dnsquery.h"
#include "unit.h"

static const char *hosts = "10.89.0.2 c1 Web www\n10.89.0.3 c2\nfd89::2 c1 Web www\ngarbage\n";

#define QUERY_ID 0x4242

/* A query for @name of @type, as a resolver sends it. */
static size_t query(const char *name, ldns_rr_type type, uint8_t *buf, size_t len)
{
	return dnsquery(name, type, LDNS_RR_CLASS_IN, QUERY_ID, buf, len);
}

/* The verdict, and the answer decoded when there is one. */
static enum dns_verdict ask(const struct dns_table *t, const char *name, ldns_rr_type type,
			    bool can_forward, ldns_pkt **ret)
{
	uint8_t q[DNS_MSG_MAX], out[DNS_MSG_MAX];
	size_t qlen = query(name, type, q, sizeof(q)), olen = sizeof(out);
	enum dns_verdict v = dns_answer(t, q, qlen, can_forward, out, &olen);

	*ret = NULL;
	if (v == DNS_ANSWERED && ldns_wire2pkt(ret, out, olen) != LDNS_STATUS_OK)
		*ret = NULL;
	return v;
}

/* One answer, @family's address @addr, in the response to our query, authoritative. */
static bool answers(ldns_pkt *p, int family, const char *addr)
{
	ldns_rr_list *an = p ? ldns_pkt_answer(p) : NULL;
	size_t len = family == AF_INET ? sizeof(struct in_addr) : sizeof(struct in6_addr);
	struct in6_addr want; /* room for either */
	ldns_rdf *rdf;

	if (!an || ldns_rr_list_rr_count(an) != 1 || inet_pton(family, addr, &want) != 1)
		return false;
	rdf = ldns_rr_rdf(ldns_rr_list_rr(an, 0), 0);
	return ldns_rdf_size(rdf) == len && !memcmp(ldns_rdf_data(rdf), &want, len) &&
	       ldns_pkt_id(p) == QUERY_ID && ldns_pkt_qr(p) && ldns_pkt_aa(p);
}

static bool answers_a(ldns_pkt *p, const char *addr)
{
	return answers(p, AF_INET, addr);
}

static bool answers_aaaa(ldns_pkt *p, const char *addr)
{
	return answers(p, AF_INET6, addr);
}

TEST(names_ids_hostnames_and_aliases_in_any_case)
{
	struct dns_table t;
	ldns_pkt *p;

	CHECK(table_parse(hosts, &t) == 0 && t.n == 7);
	CHECK(ask(&t, "c1", LDNS_RR_TYPE_A, true, &p) == DNS_ANSWERED && answers_a(p, "10.89.0.2"));
	ldns_pkt_free(p);
	CHECK(ask(&t, "WEB.", LDNS_RR_TYPE_A, true, &p) == DNS_ANSWERED &&
	      answers_a(p, "10.89.0.2"));
	ldns_pkt_free(p);
	CHECK(ask(&t, "c2", LDNS_RR_TYPE_A, false, &p) == DNS_ANSWERED &&
	      answers_a(p, "10.89.0.3"));
	ldns_pkt_free(p);
	/* AAAA from the IPv6 line; a name without one, or another type: it exists, no data. */
	CHECK(ask(&t, "www", LDNS_RR_TYPE_AAAA, true, &p) == DNS_ANSWERED &&
	      answers_aaaa(p, "fd89::2"));
	ldns_pkt_free(p);
	CHECK(ask(&t, "c2", LDNS_RR_TYPE_AAAA, true, &p) == DNS_ANSWERED && p &&
	      ldns_pkt_get_rcode(p) == LDNS_RCODE_NOERROR && ldns_pkt_ancount(p) == 0);
	ldns_pkt_free(p);
	CHECK(ask(&t, "c1", LDNS_RR_TYPE_MX, true, &p) == DNS_ANSWERED && p &&
	      ldns_pkt_get_rcode(p) == LDNS_RCODE_NOERROR && ldns_pkt_ancount(p) == 0);
	ldns_pkt_free(p);
	table_free(&t);
}

/* A word of the hosts file that is no DNS name is not one of the table's names. */
TEST(words_that_are_no_dns_names_are_skipped)
{
	struct dns_table t;

	CHECK(table_parse("10.89.0.9 ok a_b -x x- 1.2.3.4 a..b #c\n", &t) == 0 && t.n == 1);
	CHECK(table_find(&t, "ok", AF_INET) && !table_find(&t, "a_b", 0) &&
	      !table_find(&t, "1.2.3.4", 0) && !table_find(&t, "#c", 0));
	table_free(&t);
}

TEST(other_names_go_upstream_or_do_not_exist)
{
	struct dns_table t;
	ldns_pkt *p;

	CHECK(table_parse(hosts, &t) == 0);
	CHECK(ask(&t, "example.com", LDNS_RR_TYPE_A, true, &p) == DNS_FORWARD && !p);
	CHECK(ask(&t, "example.com", LDNS_RR_TYPE_A, false, &p) == DNS_ANSWERED && p &&
	      ldns_pkt_get_rcode(p) == LDNS_RCODE_NXDOMAIN && ldns_pkt_ancount(p) == 0);
	ldns_pkt_free(p);
	table_free(&t);
}

TEST(what_is_no_query_is_dropped)
{
	struct dns_table t = { 0 };
	uint8_t junk[] = { 0x12, 0x34, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0 };
	uint8_t out[DNS_MSG_MAX];
	size_t olen = sizeof(out);

	CHECK(dns_answer(&t, junk, sizeof(junk), true, out, &olen) == DNS_DROP);
	CHECK(dns_answer(&t, junk, 3, true, out, &olen) == DNS_DROP);
	CHECK(table_parse("", &t) == 0 && t.n == 0 && !table_find(&t, "c1", 0));
}

/* The question comes back as it was sent (the letters' case: resolvers that mix it check it),
 * with the query's RD, and the answer's owner is that name. */
TEST(the_question_is_echoed)
{
	struct dns_table t;
	ldns_pkt *p;
	ldns_rr *q, *a;
	char *qname = NULL, *aname = NULL;

	CHECK(table_parse(hosts, &t) == 0);
	CHECK(ask(&t, "wEb.", LDNS_RR_TYPE_A, true, &p) == DNS_ANSWERED && p);
	q = ldns_rr_list_rr(ldns_pkt_question(p), 0);
	a = ldns_rr_list_rr(ldns_pkt_answer(p), 0);
	CHECK(q && a && ldns_pkt_qdcount(p) == 1 && ldns_pkt_rd(p) && ldns_pkt_ra(p));
	qname = q ? ldns_rdf2str(ldns_rr_owner(q)) : NULL;
	aname = a ? ldns_rdf2str(ldns_rr_owner(a)) : NULL;
	CHECK(qname && !strcmp(qname, "wEb."));
	CHECK(aname && !strcmp(aname, "wEb."));
	CHECK(a && ldns_rr_get_type(a) == LDNS_RR_TYPE_A &&
	      ldns_rr_get_class(a) == LDNS_RR_CLASS_IN && ldns_rr_ttl(a) == DNS_TTL);
	free(qname);
	free(aname);
	ldns_pkt_free(p);
	table_free(&t);
}

/* A query cut short, one with bytes after its question, and an answer with no room: none. */
TEST(what_does_not_parse_or_fit_gets_nothing)
{
	struct dns_table t;
	uint8_t q[DNS_MSG_MAX], out[DNS_MSG_MAX];
	size_t qlen, olen;

	CHECK(table_parse(hosts, &t) == 0);
	qlen = query("c1", LDNS_RR_TYPE_A, q, sizeof(q));
	CHECK(qlen > 0);
	olen = sizeof(out);
	CHECK(dns_answer(&t, q, qlen, false, out, &olen) == DNS_ANSWERED);
	for (size_t cut = 1; cut < qlen; cut++) {
		olen = sizeof(out);
		CHECK(dns_answer(&t, q, qlen - cut, false, out, &olen) == DNS_DROP);
	}
	q[qlen] = 0;
	olen = sizeof(out);
	CHECK(dns_answer(&t, q, qlen + 1, false, out, &olen) == DNS_DROP);
	olen = qlen + 1; /* the question fits, the address record does not */
	CHECK(dns_answer(&t, q, qlen, false, out, &olen) == DNS_DROP);
	table_free(&t);
}

UNIT_MAIN("dns_answer", T(names_ids_hostnames_and_aliases_in_any_case),
	  T(other_names_go_upstream_or_do_not_exist), T(what_is_no_query_is_dropped),
	  T(the_question_is_echoed), T(what_does_not_parse_or_fit_gets_nothing),
	  T(words_that_are_no_dns_names_are_skipped))
