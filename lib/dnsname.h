/* DNS names as rootlet-network records them and rootlet-dns answers them. */
#ifndef ROOTLET_DNSNAME_H
#define ROOTLET_DNSNAME_H

#include <stdbool.h>
#include <string.h>

#define DNSNAME_MAX	  253 /* a name as text, without a trailing dot (RFC 1035: 255 on the wire) */
#define DNSNAME_LABEL_MAX 63

/**
 * dnsname_valid() - Whether @name is a host name: dot-separated labels of 1 to 63 letters,
 * digits and hyphens, none starting or ending with a hyphen, 253 bytes at most, no trailing
 * dot, and a last label that is not all digits (so that no name reads as an IPv4 address)
 * @name:	the candidate
 *
 * It is all that crosses into a hosts file line: no space, '#', newline or control byte.
 *
 * Return: true if so
 */
static inline bool dnsname_valid(const char *name)
{
	size_t len = strnlen(name, DNSNAME_MAX + 1), label = 0;
	bool digits = true;

	if (!len || len > DNSNAME_MAX)
		return false;
	for (size_t i = 0; i <= len; i++) {
		char c = name[i];

		if (c == '.' || c == '\0') {
			if (!label || name[i - 1] == '-')
				return false;
			if (c == '\0')
				return !digits;
			label = 0;
			digits = true;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-'))
			return false;
		if ((c == '-' && !label) || ++label > DNSNAME_LABEL_MAX)
			return false;
		digits = digits && c >= '0' && c <= '9';
	}
	return false;
}

#endif
