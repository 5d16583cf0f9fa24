/* Port forward specs as podman and docker take them: [HOSTIP:][HOSTPORT[-END]:]PORT[-END][/PROTO].
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fwdspec.h"
#include "name.h"

#define PORT_MAX 65535

/* "N" or "N-M" with 1 <= N <= M <= 65535 (0 alone, for an ephemeral host port, if @zero_ok). */
static int parse_range(const char *s, size_t len, bool zero_ok, uint16_t *ret_first,
		       uint16_t *ret_count)
{
	unsigned long v[2] = { 0, 0 };
	int part = 0;
	size_t digits = 0;

	if (len == 0)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '-' && part == 0 && digits) {
			part = 1;
			digits = 0;
			continue;
		}
		if (s[i] < '0' || s[i] > '9' || digits >= 5)
			return -EINVAL;
		v[part] = v[part] * 10 + (unsigned long)(s[i] - '0');
		digits++;
	}
	if (!digits || v[0] > PORT_MAX || v[1] > PORT_MAX)
		return -EINVAL;
	if (part == 0)
		v[1] = v[0];
	if (v[0] == 0 && !(zero_ok && part == 0))
		return -EINVAL;
	if (v[1] < v[0])
		return -EINVAL;
	*ret_first = (uint16_t)v[0];
	*ret_count = (uint16_t)(v[1] - v[0] + 1);
	return 0;
}

static int parse_host_addr(const char *s, size_t len, struct sockaddr_storage *ss)
{
	char text[INET6_ADDRSTRLEN];

	memset(ss, 0, sizeof(*ss));
	if (len >= sizeof(text))
		return -EINVAL;
	memcpy(text, s, len);
	text[len] = '\0';
	if (inet_pton(AF_INET, text, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		ss->ss_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		ss->ss_family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

static int fail(struct err *e, const char *reason)
{
	return err_make(e, -EINVAL, "%s", reason);
}

/**
 * spec_parse() - Parse one port forward spec
 * @text:	e.g. "8080:80", "127.0.0.1::80/udp", "[::1]:8000-8009:80-89", "80"
 * @ret:	the forward on success
 * @why:	the reason on failure
 * @why_len:	size of @why
 *
 * A missing host port, or 0, asks for ephemeral host ports. A host range and a port range must
 * be of equal length. IPv6 host addresses stand in brackets.
 *
 * Return: 0 on success, -EINVAL with @why set
 */
int spec_parse(const char *text, struct fwd_spec *ret, struct err *e)
{
	struct fwd_spec s = { .proto = IPPROTO_TCP };
	const char *end = text + strlen(text), *slash, *p = text, *colon;
	uint16_t host_count = 0;

	if (!*text || strlen(text) > SPEC_TEXT_MAX)
		return fail(e, "empty or longer than 128 bytes");
	slash = strchr(text, '/');
	if (slash) {
		if (!strcmp(slash + 1, "tcp"))
			s.proto = IPPROTO_TCP;
		else if (!strcmp(slash + 1, "udp"))
			s.proto = IPPROTO_UDP;
		else
			return fail(e, "protocol must be tcp or udp");
		end = slash;
	}
	/*
	 * No HOSTIP: every address of both families, as podman's forwarders bind (Go listens on
	 * [::] with IPV6_V6ONLY off for it); an explicit 0.0.0.0 or [::] is that family alone.
	 */
	s.host.ss_family = AF_INET6;
	s.dual = true;

	if (*p == '[') {
		const char *close = memchr(p, ']', (size_t)(end - p));

		if (!close || close[1] != ':')
			return fail(e, "an IPv6 address needs [ADDRESS]:");
		if (parse_host_addr(p + 1, (size_t)(close - p - 1), &s.host) ||
		    s.host.ss_family != AF_INET6)
			return fail(e, "not an IPv6 address in brackets");
		s.dual = false;
		p = close + 2;
		colon = memchr(p, ':', (size_t)(end - p));
		if (!colon)
			return fail(e, "HOSTIP needs HOSTPORT: after it (may be empty)");
	} else {
		const char *c1 = memchr(p, ':', (size_t)(end - p));
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(end - c1 - 1)) : NULL;

		if (c2) {
			if (memchr(c2 + 1, ':', (size_t)(end - c2 - 1)))
				return fail(e, "too many ':' (IPv6 addresses need brackets)");
			if (parse_host_addr(p, (size_t)(c1 - p), &s.host) ||
			    s.host.ss_family != AF_INET)
				return fail(e, "not an IPv4 address before HOSTPORT");
			s.dual = false;
			p = c1 + 1;
		}
		colon = memchr(p, ':', (size_t)(end - p));
	}

	if (colon) {
		if (colon > p &&
		    parse_range(p, (size_t)(colon - p), true, &s.host_port, &host_count))
			return fail(e, "host port must be 0 to 65535 (or a range N-M)");
		p = colon + 1;
	}
	if (parse_range(p, (size_t)(end - p), false, &s.port, &s.count))
		return fail(e, "port must be 1 to 65535 (or a range N-M)");
	if (s.host_port && host_count != s.count)
		return fail(e, "host and port ranges differ in length");
	if (s.host_port && (uint32_t)s.host_port + s.count - 1 > PORT_MAX)
		return fail(e, "host port range passes 65535");
	*ret = s;
	return 0;
}

/**
 * spec_format() - Render a forward the way it is written
 * @s:		the forward
 * @buf:	output
 * @len:	size of @buf
 *
 * A dual-stack forward has no HOSTIP, as it was written: "8080:80/tcp", "80/tcp".
 */
void spec_format(const struct fwd_spec *s, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN] = "", host[INET6_ADDRSTRLEN + 3] = "",
	     ports[sizeof("4294967295-4294967295")], hports[sizeof(ports)];
	const void *a = s->host.ss_family == AF_INET6
				? (const void *)&((const struct sockaddr_in6 *)&s->host)->sin6_addr
				: (const void *)&((const struct sockaddr_in *)&s->host)->sin_addr;

	inet_ntop(s->host.ss_family, a, addr, sizeof(addr));
	if (!s->dual)
		snprintf(host, sizeof(host), s->host.ss_family == AF_INET6 ? "[%s]:" : "%s:", addr);
	if (s->count > 1) {
		snprintf(ports, sizeof(ports), "%u-%u", s->port,
			 (unsigned)(s->port + s->count - 1));
		snprintf(hports, sizeof(hports), "%u-%u", s->host_port,
			 (unsigned)(s->host_port + s->count - 1));
	} else {
		snprintf(ports, sizeof(ports), "%u", s->port);
		snprintf(hports, sizeof(hports), "%u", s->host_port);
	}
	if (s->dual && !s->host_port)
		snprintf(buf, len, "%s/%s", ports, s->proto == IPPROTO_UDP ? "udp" : "tcp");
	else
		snprintf(buf, len, "%s%s:%s/%s", host, s->host_port ? hports : "", ports,
			 s->proto == IPPROTO_UDP ? "udp" : "tcp");
}

/**
 * spec_check_publish() - A --publish SPEC checked where the command line is read, so that a
 * bad one is a usage error before anything is made (rootlet-netns add, rootlet run,
 * rootlet-network alloc), rather than a helper's failure once the netns exists
 * @text:	the option's value
 * @e:		"--publish 'SPEC': why" when it is no SPEC
 *
 * Return: 0, or -EINVAL
 */
int spec_check_publish(const char *text, struct err *e)
{
	char quoted[NAME_QUOTE_MAX];
	struct fwd_spec spec;
	int err;

	if (!(err = spec_parse(text, &spec, e)))
		return 0;
	name_quote(text, quoted, sizeof(quoted));
	return err_wrap(e, err, "--publish '%s'", quoted);
}
