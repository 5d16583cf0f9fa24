/* rootlet-dns's answers, with ldns: a container's name answered, any other name forwarded. */
#include <arpa/inet.h>
#include <ctype.h>
#include <ldns/ldns.h>
#include <string.h>

#include "dns.h"

/* The question's name, lower case without its dot; false when it is no name we can read. */
static bool question_name(ldns_rr *q, char *buf, size_t len)
{
	char *text = ldns_rdf2str(ldns_rr_owner(q));
	size_t n;

	if (!text)
		return false;
	n = strlen(text);
	if (n && text[n - 1] == '.')
		text[--n] = '\0';
	if (n == 0 || n >= len) {
		LDNS_FREE(text);
		return false;
	}
	for (size_t i = 0; i <= n; i++)
		buf[i] = (char)tolower((unsigned char)text[i]);
	LDNS_FREE(text);
	return true;
}

/* The reply to @query: its ID, question and RD; authoritative for names we hold. */
static ldns_pkt *reply_to(const ldns_pkt *query, ldns_pkt_rcode rcode)
{
	ldns_pkt *r = ldns_pkt_new();

	if (!r)
		return NULL;
	ldns_pkt_set_id(r, ldns_pkt_id(query));
	ldns_pkt_set_qr(r, true);
	ldns_pkt_set_aa(r, rcode == LDNS_RCODE_NOERROR);
	ldns_pkt_set_rd(r, ldns_pkt_rd(query));
	ldns_pkt_set_ra(r, true);
	ldns_pkt_set_opcode(r, LDNS_PACKET_QUERY);
	ldns_pkt_set_rcode(r, rcode);
	if (ldns_pkt_qdcount(query)) {
		ldns_rr *q = ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_question(query), 0));

		if (!q || !ldns_pkt_push_rr(r, LDNS_SECTION_QUESTION, q)) {
			ldns_rr_free(q);
			ldns_pkt_free(r);
			return NULL;
		}
	}
	return r;
}

static bool add_address(ldns_pkt *r, ldns_rr *q, const struct dns_name *n)
{
	bool v4 = n->family == AF_INET;
	ldns_rr *a = ldns_rr_new();
	ldns_rdf *rdf = v4 ? ldns_rdf_new_frm_data(LDNS_RDF_TYPE_A, sizeof(n->addr), &n->addr)
			   : ldns_rdf_new_frm_data(LDNS_RDF_TYPE_AAAA, sizeof(n->addr6), &n->addr6);

	if (!a || !rdf) {
		ldns_rr_free(a);
		ldns_rdf_deep_free(rdf);
		return false;
	}
	ldns_rr_set_owner(a, ldns_rdf_clone(ldns_rr_owner(q)));
	ldns_rr_set_type(a, v4 ? LDNS_RR_TYPE_A : LDNS_RR_TYPE_AAAA);
	ldns_rr_set_class(a, LDNS_RR_CLASS_IN);
	ldns_rr_set_ttl(a, DNS_TTL);
	ldns_rr_push_rdf(a, rdf);
	if (!ldns_pkt_push_rr(r, LDNS_SECTION_ANSWER, a)) {
		ldns_rr_free(a);
		return false;
	}
	return true;
}

/* @r on the wire into @out; false when it does not fit (or no memory). */
static bool to_wire(ldns_pkt *r, uint8_t *out, size_t *out_len)
{
	uint8_t *wire = NULL;
	size_t n = 0;
	bool ok = ldns_pkt2wire(&wire, r, &n) == LDNS_STATUS_OK && n <= *out_len;

	if (ok) {
		memcpy(out, wire, n);
		*out_len = n;
	}
	LDNS_FREE(wire);
	return ok;
}

/**
 * dns_answer() - What to do with a datagram from a container
 * @t:		the network's names
 * @q:		the datagram
 * @qlen:	its length
 * @can_forward: an upstream resolver exists (not an internal network)
 * @out:	the answer, when there is one
 * @out_len:	in: the size of @out; out: the answer's length
 *
 * A query of one question, class IN, for a name of the table: A and AAAA get its address of
 * that family, any other type (or a family it has no address of) none (NOERROR, no data: the
 * name exists). Any other name goes upstream, or, with no
 * upstream, gets NXDOMAIN. What ldns cannot parse as a query is dropped.
 *
 * Return: DNS_ANSWERED, DNS_FORWARD or DNS_DROP
 */
enum dns_verdict dns_answer(const struct dns_table *t, const uint8_t *q, size_t qlen,
			    bool can_forward, uint8_t *out, size_t *out_len)
{
	enum dns_verdict v = DNS_DROP;
	char name[DNS_NAME_MAX];
	ldns_pkt *query = NULL, *r = NULL;
	const struct dns_name *found;
	ldns_rr *question;

	if (ldns_wire2pkt(&query, q, qlen) != LDNS_STATUS_OK)
		return DNS_DROP;
	if (ldns_pkt_qr(query) || ldns_pkt_get_opcode(query) != LDNS_PACKET_QUERY ||
	    ldns_pkt_qdcount(query) != 1)
		goto out;
	question = ldns_rr_list_rr(ldns_pkt_question(query), 0);
	if (!question || !question_name(question, name, sizeof(name)))
		goto out;
	found = ldns_rr_get_class(question) == LDNS_RR_CLASS_IN ? table_find(t, name, 0) : NULL;
	if (!found && can_forward) {
		v = DNS_FORWARD;
		goto out;
	}
	/* The address of the family asked for, if the name has one; else no data. */
	if (found)
		found = ldns_rr_get_type(question) == LDNS_RR_TYPE_A ? table_find(t, name, AF_INET)
			: ldns_rr_get_type(question) == LDNS_RR_TYPE_AAAA
				? table_find(t, name, AF_INET6)
				: NULL;
	r = reply_to(query,
		     found || table_find(t, name, 0) ? LDNS_RCODE_NOERROR : LDNS_RCODE_NXDOMAIN);
	if (!r || (found && !add_address(r, question, found)))
		goto out;
	if (to_wire(r, out, out_len))
		v = DNS_ANSWERED;
out:
	ldns_pkt_free(r);
	ldns_pkt_free(query);
	return v;
}
