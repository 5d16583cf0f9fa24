/* rootlet-dns's answers, with libresolv: a container's name answered, any other name forwarded. */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <resolv.h>
#include <string.h>

#include "dns.h"

/*
 * libresolv (glibc's BIND parser) reads the query: ns_initparse() checks every section against
 * the datagram's length, ns_parserr() expands the question's name. The answer is the query's
 * header and question as they came (the name's letters in the case they were sent, which some
 * resolvers check), then at most one address record whose owner points back at that name.
 */
#define DNS_QUESTION_PTR (NS_CMPRSFLGS << 8 | DNS_HDR_LEN) /* the name at the question's start */
#define DNS_FLAG_QR	 0x8000
#define DNS_FLAG_AA	 0x0400
#define DNS_FLAG_RD	 0x0100
#define DNS_FLAG_RA	 0x0080
#define DNS_OPCODE_SHIFT 11
#define DNS_FLAGS_OFF	 2
#define DNS_COUNTS_OFF	 4 /* qd, an, ns, ar: four 16-bit counts */
#define DNS_COUNTS	 4
#define DNS_RR_FIXED_LEN (NS_INT16SZ * 3 + NS_INT32SZ) /* owner pointer, type, class, TTL */
#define DNS_RDLENGTH_LEN NS_INT16SZ

/* The question's name, lower case without a final dot; false when it is no name we can use. */
static bool question_name(const ns_rr *q, char *buf, size_t len)
{
	const char *text = q->name; /* "" for the root: no name of ours */
	size_t n = strlen(text);

	if (n && text[n - 1] == '.')
		n--;
	if (n == 0 || n >= len)
		return false;
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)tolower((unsigned char)text[i]);
	buf[n] = '\0';
	return true;
}

/* The header and question of the reply to @query in @out; its length, or 0 when too long. */
static size_t reply_head(const ns_msg *query, const uint8_t *q, size_t qlen, int rcode, bool answer,
			 uint8_t *out, size_t out_len)
{
	int name_len = dn_skipname(q + DNS_HDR_LEN, q + qlen);
	size_t head = DNS_HDR_LEN + (size_t)name_len + 2 * NS_INT16SZ; /* name, type, class */
	unsigned flags = DNS_FLAG_QR | DNS_FLAG_RA | (unsigned)rcode |
			 (unsigned)ns_o_query << DNS_OPCODE_SHIFT;
	const unsigned counts[DNS_COUNTS] = { 1, answer ? 1 : 0, 0, 0 };

	if (name_len < 0 || head > qlen || head > out_len)
		return 0;
	if (rcode == ns_r_noerror)
		flags |= DNS_FLAG_AA;
	if (ns_msg_getflag(*query, ns_f_rd))
		flags |= DNS_FLAG_RD;
	memcpy(out, q, head); /* the ID and the question, then the flags and counts ours */
	ns_put16(flags, out + DNS_FLAGS_OFF);
	for (int i = 0; i < DNS_COUNTS; i++)
		ns_put16(counts[i], out + DNS_COUNTS_OFF + i * NS_INT16SZ);
	return head;
}

/* The address record after @head bytes of @out; false when it does not fit. */
static bool add_address(const struct dns_name *n, uint8_t *out, size_t head, size_t *out_len)
{
	bool v4 = n->family == AF_INET;
	size_t rdlen = v4 ? sizeof(n->addr) : sizeof(n->addr6);
	uint8_t *p = out + head;

	if (head + DNS_RR_FIXED_LEN + DNS_RDLENGTH_LEN + rdlen > *out_len)
		return false;
	ns_put16(DNS_QUESTION_PTR, p);
	ns_put16(v4 ? ns_t_a : ns_t_aaaa, p + NS_INT16SZ);
	ns_put16(ns_c_in, p + 2 * NS_INT16SZ);
	ns_put32(DNS_TTL, p + 3 * NS_INT16SZ);
	ns_put16((unsigned)rdlen, p + DNS_RR_FIXED_LEN);
	memcpy(p + DNS_RR_FIXED_LEN + DNS_RDLENGTH_LEN, v4 ? (const void *)&n->addr : &n->addr6,
	       rdlen);
	*out_len = head + DNS_RR_FIXED_LEN + DNS_RDLENGTH_LEN + rdlen;
	return true;
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
 * name exists). Any other name goes upstream, or, with no upstream, gets NXDOMAIN. What
 * libresolv cannot parse as a query is dropped.
 *
 * Return: DNS_ANSWERED, DNS_FORWARD or DNS_DROP
 */
enum dns_verdict dns_answer(const struct dns_table *t, const uint8_t *q, size_t qlen,
			    bool can_forward, uint8_t *out, size_t *out_len)
{
	char name[DNS_NAME_MAX];
	const struct dns_name *found;
	ns_msg query;
	ns_rr question;
	size_t head;
	int rcode;

	if (qlen > DNS_MSG_MAX || ns_initparse(q, (int)qlen, &query) < 0 ||
	    ns_msg_getflag(query, ns_f_qr) || ns_msg_getflag(query, ns_f_opcode) != ns_o_query ||
	    ns_msg_count(query, ns_s_qd) != 1 || ns_parserr(&query, ns_s_qd, 0, &question) < 0 ||
	    !question_name(&question, name, sizeof(name)))
		return DNS_DROP;
	found = ns_rr_class(question) == ns_c_in ? table_find(t, name, 0) : NULL;
	if (!found && can_forward)
		return DNS_FORWARD;
	rcode = found || table_find(t, name, 0) ? ns_r_noerror : ns_r_nxdomain;
	/* The address of the family asked for, if the name has one; else no data. */
	if (found)
		found = ns_rr_type(question) == ns_t_a	    ? table_find(t, name, AF_INET)
			: ns_rr_type(question) == ns_t_aaaa ? table_find(t, name, AF_INET6)
							    : NULL;
	head = reply_head(&query, q, qlen, rcode, found != NULL, out, *out_len);
	if (!head)
		return DNS_DROP;
	if (!found) {
		*out_len = head;
		return DNS_ANSWERED;
	}
	return add_address(found, out, head, out_len) ? DNS_ANSWERED : DNS_DROP;
}
