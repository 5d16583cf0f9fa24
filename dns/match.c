/* rootlet-dns's upstream answers matched to the query they answer: ID, question, response. */
#include <arpa/nameser.h>
#include <errno.h>
#include <resolv.h>
#include <string.h>

#include "dns.h"

/*
 * What a stub resolver checks before it believes an answer (glibc's res_queriesmatch()), the
 * source being the socket's business (forward.c): the ID we chose, the QR bit and the query
 * opcode, one question, and that question the one we asked: the name the same letters in any
 * case (RFC 1035 compares names so; glibc's stub does too), type and class the same.
 */
#define FLAGS_OFF   2
#define QDCOUNT_OFF 4
#define FLAG_QR	    0x8000
#define OPCODE_MASK 0x7800
#define TYPE_CLASS  (2 * NS_INT16SZ)

/* ASCII's case folded; a length byte (at most 63) and a pointer (0xc0 and up) are no letter. */
static uint8_t fold(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c - 'A' + 'a') : c;
}

/**
 * match_question() - The question of a query rootlet-dns forwards, as sent
 * @q:		the query (dns_answer() has parsed it: one question)
 * @len:	its length
 * @ret:	the question's bytes: its name (uncompressed, as the query is), type and class
 *
 * Return: 0, or -EINVAL when the query holds no whole question
 */
int match_question(const uint8_t *q, size_t len, struct dns_question *ret)
{
	int name_len = len > DNS_HDR_LEN ? dn_skipname(q + DNS_HDR_LEN, q + len) : -1;
	size_t n = (size_t)name_len + TYPE_CLASS;

	if (name_len <= 0 || n > sizeof(ret->bytes) || DNS_HDR_LEN + n > len)
		return -EINVAL;
	memcpy(ret->bytes, q + DNS_HDR_LEN, n);
	ret->len = n;
	return 0;
}

/**
 * match_answer() - Whether @a answers the question we sent under @id
 * @question:	the question
 * @id:		the ID we sent it under
 * @a:		a datagram from the upstream resolver
 * @len:	its length
 *
 * Return: true if it is a response to a query of ours, with that one question
 */
bool match_answer(const struct dns_question *question, uint16_t id, const uint8_t *a, size_t len)
{
	size_t name_len = question->len - TYPE_CLASS;

	if (len < DNS_HDR_LEN + question->len || ns_get16(a) != id ||
	    (ns_get16(a + FLAGS_OFF) & (FLAG_QR | OPCODE_MASK)) != FLAG_QR ||
	    ns_get16(a + QDCOUNT_OFF) != 1)
		return false;
	a += DNS_HDR_LEN;
	for (size_t i = 0; i < name_len; i++)
		if (fold(a[i]) != fold(question->bytes[i]))
			return false;
	return !memcmp(a + name_len, question->bytes + name_len, TYPE_CLASS);
}
