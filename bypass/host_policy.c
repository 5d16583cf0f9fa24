/* rootlet-bypass --host: a container's policy, from its annotations and its own routes. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <net/route.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bypass.h"
#include "log.h"

/*
 * Theory of operation
 *
 * --host serves any container a runtime hands it (host.c), each by a policy made from two
 * things only, both fixed at the handover:
 *
 *  - the container's annotations, in the state the runtime sends: io.rootlet.bypass.host-loopback
 *    (10.0.2.2 and fd00::2 are the host's loopback) and io.rootlet.bypass.publish (the binds
 *    made host sockets); the bypass's own filter and policy (policy.c) do the rest;
 *  - the container's own routes, read from its init's /proc/PID/net/route and ipv6_route: only
 *    a peer its routes send by the default route may get a host socket; every network it
 *    has a route to of its own (a podman bridge, docker0's subnet) stays inside, whatever
 *    routes the host has to the same addresses. No default route of a family: nothing of it is
 *    bypassed. More routes than a policy holds: the family is kept inside (failing closed).
 *
 * The routes are read once, at the handover, through a directory fd of its init's
 * /proc/PID/net (never another process's): a container with no route then has nothing
 * bypassed, whatever routes it makes itself later (it is root in its netns: were they read at
 * its first hooked call, a container of no network could give itself a default route by ioctl
 * and every address slirp reaches). podman's networks are up by then.
 */

#define ROUTE_LINE    256
#define ROUTE_FILE    "route"
#define ROUTE6_FILE   "ipv6_route"
#define ROUTE6_HEX    32
#define PROC_NET_PATH 32
#define HEX_BASE      16

/* A file of /proc/PID/net, whole (small: a routing table), NUL-terminated. */
static char *read_net(int netdir, const char *name)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap), *grown;
	int fd = openat(netdir, name, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0 || !buf) {
		if (fd >= 0)
			close(fd);
		free(buf);
		return NULL;
	}
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (cap - len > 1)
			continue;
		if (!(grown = realloc(buf, cap * 2))) {
			n = -1;
			break;
		}
		buf = grown;
		cap *= 2;
	}
	close(fd);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

static bool net_add(struct bp_policy *p, int family, const void *addr, size_t alen, unsigned prefix)
{
	struct bp_net *n;

	if (p->n_nets >= (int)(sizeof(p->nets) / sizeof(p->nets[0])))
		return false;
	n = &p->nets[p->n_nets++];
	memset(n, 0, sizeof(*n));
	n->family = family;
	memcpy(n->addr, addr, alen);
	n->prefix = prefix;
	return true;
}

/* IPv4: /proc/net/route, the addresses as the kernel's raw __be32 in hex. */
static int routes4(struct bp_policy *p, int netdir)
{
	char *text = read_net(netdir, ROUTE_FILE), *line, *save = NULL, iface[ROUTE_LINE];
	unsigned dest, gw, flags, mask;
	int found = 0;

	if (!text)
		return -1;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%255s %x %x %x %*d %*d %*d %x", iface, &dest, &gw, &flags,
			   &mask) != 5 ||
		    !(flags & RTF_UP))
			continue;
		found++;
		if (!dest && !mask) {
			p->no_ipv4 = false;
			continue;
		}
		if (!net_add(p, AF_INET, &dest, sizeof(dest), (unsigned)__builtin_popcount(mask))) {
			p->no_ipv4 = true; /* more than we hold: inside, every one */
			break;
		}
	}
	free(text);
	return found;
}

static bool hex_addr6(const char *hex, uint8_t *addr)
{
	char byte[3] = { 0 };

	if (strlen(hex) != ROUTE6_HEX)
		return false;
	for (int i = 0; i < ROUTE6_HEX / 2; i++) {
		memcpy(byte, hex + 2 * i, 2);
		addr[i] = (uint8_t)strtoul(byte, NULL, HEX_BASE);
	}
	return true;
}

/* IPv6: /proc/net/ipv6_route, every table; the loopback device's (local, reject) left out. */
static int routes6(struct bp_policy *p, int netdir)
{
	char *text = read_net(netdir, ROUTE6_FILE), *line, *save = NULL;
	char dest[ROUTE_LINE], iface[ROUTE_LINE];
	uint8_t addr[16];
	unsigned plen, flags;
	int found = 0;

	if (!text)
		return -1;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%255s %x %*s %*x %*s %*x %*x %*x %x %255s", dest, &plen, &flags,
			   iface) != 4 ||
		    !strcmp(iface, "lo") || !(flags & RTF_UP) || (flags & RTF_REJECT) ||
		    !hex_addr6(dest, addr))
			continue;
		found++;
		if (!plen) {
			p->ipv6 = true;
			continue;
		}
		/* Link-local and multicast stay inside whatever the routes (policy.c). */
		if (IN6_IS_ADDR_LINKLOCAL((struct in6_addr *)addr) ||
		    IN6_IS_ADDR_MULTICAST((struct in6_addr *)addr))
			continue;
		if (!net_add(p, AF_INET6, addr, sizeof(addr), plen)) {
			p->ipv6 = false;
			break;
		}
	}
	free(text);
	return found;
}

/**
 * host_routes() - A container's policy: its networks and default routes, from its own tables
 * @p:		its policy: nets, no_ipv4 and ipv6 replaced
 * @netdir:	its init's /proc/PID/net
 *
 * Fails closed: a table that cannot be read keeps its family inside.
 */
static void host_routes(struct bp_policy *p, int netdir)
{
	p->n_nets = 0;
	p->no_ipv4 = true;
	p->ipv6 = false;
	routes4(p, netdir);
	routes6(p, netdir);
}

/* io.rootlet.bypass.* of the state's annotations, as rootlet-runtime's are (runtime/bypass.c). */
static int from_annotations(struct bp_policy *p, json_t *ann)
{
	const char *loop =
		json_string_value(json_object_get(ann, "io.rootlet.bypass.host-loopback"));
	const char *pub = json_string_value(json_object_get(ann, "io.rootlet.bypass.publish"));
	char spec[SPEC_TEXT_MAX + 1];

	p->loopback = loop && (!strcmp(loop, "1") || !strcmp(loop, "true"));
	for (const char *at = pub, *end; at && *at; at = *end ? end + 1 : end) {
		end = strchrnul(at, ',');
		if (end - at > SPEC_TEXT_MAX || p->n_publish >= BP_PUBLISH_MAX)
			return -EINVAL;
		memcpy(spec, at, (size_t)(end - at));
		spec[end - at] = '\0';
		if (spec_parse(spec, &p->publish[p->n_publish++], NULL))
			return -EINVAL;
	}
	return 0;
}

/**
 * host_policy() - A container's policy, from the state its runtime sent
 * @st:		the daemon (whether TCP twins can be guarded; /proc)
 * @text:	the state, JSON
 * @len:	its length
 * @pid:	its "pid": the container's init
 * @ret:	the policy, allocated
 *
 * Return: 0 on success, -EINVAL for a bad annotation or pid, negative errno
 */
int host_policy(struct bp_state *st, const char *text, size_t len, int pid, struct bp_policy **ret)
{
	json_t *state = json_loadb(text, len, 0, NULL);
	json_t *ann = json_object_get(json_object_get(state, "state"), "annotations");
	struct bp_policy *p = calloc(1, sizeof(*p));
	char path[PROC_NET_PATH];
	int netdir = -1, err = 0;

	if (!p || !state)
		err = p ? -EBADMSG : -ENOMEM;
	else if (pid <= 0)
		err = -EINVAL;
	else
		err = from_annotations(p, ann);
	if (!err) {
		snprintf(path, sizeof(path), "%d/net", pid);
		netdir = openat(st->proc_fd, path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (netdir < 0)
			err = -errno;
	}
	json_decref(state);
	if (err) {
		free(p);
		return err;
	}
	p->tcp = p->loopback || st->guard;
	host_routes(p, netdir);
	close(netdir);
	log_debug(st->debug, "pid %d: host loopback %s, %d published, %d networks inside%s%s", pid,
		  p->loopback ? "allowed" : "not allowed", p->n_publish, p->n_nets,
		  p->no_ipv4 ? ", no IPv4 default route" : "", p->ipv6 ? ", IPv6" : "");
	*ret = p;
	return 0;
}
