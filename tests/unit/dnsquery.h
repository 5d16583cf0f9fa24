/* Unit tests' DNS queries in wire form, made by ldns (not our code), as a resolver sends them. */
#ifndef ROOTLET_UNIT_DNSQUERY_H
#define ROOTLET_UNIT_DNSQUERY_H

#include <ldns/ldns.h>
#include <stdint.h>
#include <string.h>

/**
 * dnsquery() - A query for @name of @type and @class, recursion desired, under @id
 * @name:	the name asked
 * @type:	its type
 * @class:	its class
 * @id:		the query's id
 * @buf:	the query
 * @len:	@buf's room
 *
 * Return: the query's length, or 0 if ldns refused it or it did not fit
 */
static inline size_t dnsquery(const char *name, ldns_rr_type type, ldns_rr_class class, uint16_t id,
			      uint8_t *buf, size_t len)
{
	ldns_pkt *p = NULL;
	uint8_t *wire = NULL;
	size_t n = 0;

	if (ldns_pkt_query_new_frm_str(&p, name, type, class, LDNS_RD) != LDNS_STATUS_OK)
		return 0;
	ldns_pkt_set_id(p, id);
	ldns_pkt2wire(&wire, p, &n);
	ldns_pkt_free(p);
	if (n > len)
		n = 0;
	memcpy(buf, wire, n);
	LDNS_FREE(wire);
	return n;
}

#endif
