/* A network's attachments: one JSON object per container, the addresses handed out in them. */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "fnv.h"
#include "network.h"
#include "slirpnet.h"

#define MAC_LOCAL 0x02 /* locally administered, unicast */

/**
 * attach_find() - The attachment of container @id
 * @r:		the record
 * @id:		the container
 *
 * Return: the attachment (one of r->att), or NULL
 */
struct net_attach *attach_find(const struct net_record *r, const char *id)
{
	for (size_t i = 0; i < r->attached; i++)
		if (r->att[i].id[0] && !strcmp(r->att[i].id, id))
			return &r->att[i];
	return NULL;
}

static bool ip_taken(const struct net_record *r, struct in_addr ip)
{
	if (ip.s_addr == r->gateway.s_addr)
		return true;
	for (size_t i = 0; i < r->attached; i++)
		if (r->att[i].has_ip && r->att[i].ip.s_addr == ip.s_addr)
			return true;
	return false;
}

static bool ip6_taken(const struct net_record *r, const struct in6_addr *ip)
{
	if (!memcmp(ip, &r->gateway6, sizeof(*ip)))
		return true;
	for (size_t i = 0; i < r->attached; i++)
		if (r->att[i].has_ip6 && !memcmp(&r->att[i].ip6, ip, sizeof(*ip)))
			return true;
	return false;
}

/**
 * attach_pick_ip6() - An IPv6 address of the subnet6 no attachment (and not the gateway) has
 * @r:		the record, with its attachments
 * @want:	--ip6, or NULL for the lowest free one (from ::2 up, in the last 32 bits)
 * @ret:	the address
 * @e:		why not
 *
 * Return: 0, -EINVAL (not in the subnet6, or its network address), -EADDRINUSE, -ENOSPC
 */
int attach_pick_ip6(const struct net_record *r, const char *want, struct in6_addr *ret,
		    struct err *e)
{
	/* Host numbers fit 32 bits from a /96 down; a larger subnet6 is capped by NET_PICK6_MAX. */
	uint32_t hosts = r->prefix6 > NET_PREFIX6_32BITS ? (1U << (128 - r->prefix6)) : UINT32_MAX;

	if (want) {
		if (inet_pton(AF_INET6, want, ret) != 1)
			return err_make(e, -EINVAL, "--ip6 %s: not an IPv6 address", want);
		if (!subnet_overlap6(ret, 128, &r->subnet6, r->prefix6))
			return err_make(e, -EINVAL, "--ip6 %s: not in %s's IPv6 subnet", want,
					r->name);
		if (!memcmp(ret, &r->subnet6, sizeof(*ret)))
			return err_make(e, -EINVAL, "--ip6 %s: the subnet's network address", want);
		if (ip6_taken(r, ret))
			return err_make(e, -EADDRINUSE, "--ip6 %s: taken", want);
		return 0;
	}
	for (uint32_t h = 1; h < hosts && h < NET_PICK6_MAX; h++) {
		uint32_t low;

		*ret = r->subnet6;
		memcpy(&low, &ret->s6_addr[12], sizeof(low));
		low = htonl(ntohl(low) + h);
		memcpy(&ret->s6_addr[12], &low, sizeof(low));
		if (!ip6_taken(r, ret))
			return 0;
	}
	return err_make(e, -ENOSPC, "no free IPv6 address left in %s", r->name);
}

/**
 * attach_pick_ip() - An address of the subnet no attachment (and not the gateway) has
 * @r:		the record, with its attachments
 * @want:	--ip, or NULL for the lowest free one
 * @ret:	the address
 * @e:		why not
 *
 * Return: 0, -EINVAL (not a host address of the subnet), -EADDRINUSE, -ENOSPC
 */
int attach_pick_ip(const struct net_record *r, const char *want, struct in_addr *ret, struct err *e)
{
	uint32_t net = ntohl(r->subnet.s_addr), size = 1U << (32 - r->prefix);

	if (want) {
		uint32_t h;

		if (inet_pton(AF_INET, want, ret) != 1)
			return err_make(e, -EINVAL, "--ip %s: not an IPv4 address", want);
		if (ntohl(ret->s_addr) - net >= size)
			return err_make(e, -EINVAL, "--ip %s: not in %s's subnet", want, r->name);
		h = ntohl(ret->s_addr) - net;
		if (h == 0 || h == size - 1)
			return err_make(e, -EINVAL, "--ip %s: the subnet's %s address", want,
					h ? "broadcast" : "network");
		if (ip_taken(r, *ret))
			return err_make(e, -EADDRINUSE, "--ip %s: taken (%s)", want,
					ret->s_addr == r->gateway.s_addr ? "the gateway"
									 : "attached");
		return 0;
	}
	for (uint32_t h = 1; h < size - 1; h++) {
		ret->s_addr = htonl(net + h);
		if (!ip_taken(r, *ret))
			return 0;
	}
	return err_make(e, -ENOSPC, "no free address left in %s", r->name);
}

/* A short name for an ID of any length, the same on every run: unseeded FNV-1a. */
static uint32_t id_hash(const char *id)
{
	return fnv1a(FNV1A_OFFSET, id, strlen(id));
}

/**
 * attach_mac() - The MAC a container gets unless it asks: local, unicast, from its address
 * @ip:		its address (the last four bytes, as podman's netavark does)
 * @id:		its ID (the second byte)
 * @mac:	the MAC
 */
void attach_mac(struct in_addr ip, const char *id, uint8_t mac[6])
{
	mac[0] = MAC_LOCAL;
	mac[1] = (uint8_t)id_hash(id);
	memcpy(mac + 2, &ip.s_addr, 4);
}

/**
 * attach_bridge_mac() - The MAC of the network's bridge, the gateway's: local, unicast, from
 * the gateway's address; no container's (theirs carry their own address)
 * @r:		the network
 * @mac:	the MAC
 */
void attach_bridge_mac(const struct net_record *r, uint8_t mac[6])
{
	mac[0] = MAC_LOCAL;
	mac[1] = 0;
	memcpy(mac + 2, &r->gateway.s_addr, sizeof(r->gateway.s_addr));
}

/**
 * attach_mac_owner() - The container of @r whose MAC is @mac: two ports of one bridge must not
 * share one
 * @r:		the network
 * @mac:	the MAC
 *
 * Return: its ID, or NULL when none has it
 */
const char *attach_mac_owner(const struct net_record *r, const uint8_t mac[6])
{
	uint8_t bridge[NET_MAC_LEN];

	attach_bridge_mac(r, bridge);
	if (!memcmp(bridge, mac, NET_MAC_LEN))
		return "the network's gateway";
	for (size_t i = 0; i < r->attached; i++)
		if (r->att[i].has_mac && !memcmp(r->att[i].mac, mac, NET_MAC_LEN))
			return r->att[i].id[0] ? r->att[i].id : "?";
	return NULL;
}

static bool veth_taken(const struct net_record *r, const char *veth)
{
	for (size_t i = 0; i < r->attached; i++)
		if (!strcmp(r->att[i].veth, veth))
			return true;
	return false;
}

/**
 * attach_veth_name() - The infra's end of a new container's veth: short (IFNAMSIZ), from a
 * hash of its ID, and no other attachment's (two IDs whose hashes meet get different names:
 * the hash is 32 bits, and an ID anyone can choose)
 * @r:		the network, with its attachments
 * @id:		the container
 * @buf:	the name
 * @len:	its size, IFNAMSIZ
 *
 * Return: 0, or -ENOSPC
 */
int attach_veth_name(const struct net_record *r, const char *id, char *buf, size_t len)
{
	uint32_t h = id_hash(id);

	for (size_t i = 0; i <= r->attached; i++, h = h * FNV1A_PRIME + 1) {
		int n = snprintf(buf, len, NET_VETH_PREFIX "%08x", h);

		if (n < 0 || (size_t)n >= len)
			return -ENOSPC;
		if (!veth_taken(r, buf))
			return 0;
	}
	return -ENOSPC;
}

/**
 * attach_nameserver() - The containers' resolver: rootlet-dns on the gateway, else slirp's
 * @r:		the network
 * @buf:	the address
 * @len:	its size
 *
 * Return: false when they have none (internal, and no DNS responder)
 */
bool attach_nameserver(const struct net_record *r, char *buf, size_t len)
{
	if (r->dns)
		return inet_ntop(AF_INET, &r->gateway, buf, (socklen_t)len) != NULL;
	if (r->internal)
		return false;
	return snprintf(buf, len, "%s", SLIRP_DNS4) < (int)len;
}

/**
 * attach_cni_result() - A container's attachment as a CNI 1.0 result
 * @r:		the network
 * @a:		the attachment
 *
 * Return: {"cniVersion", "interfaces", "ips", "routes", "dns"}, new; NULL for an attachment
 * whose address is corrupt (or without memory)
 */
json_t *attach_cni_result(const struct net_record *r, const struct net_attach *a)
{
	char gw[INET_ADDRSTRLEN], ip[INET_ADDRSTRLEN], cidr[INET_ADDRSTRLEN + NET_PREFIX_TEXT];
	char ns[INET_ADDRSTRLEN], mac[NET_MAC_TEXT];
	bool has_ns = attach_nameserver(r, ns, sizeof(ns));
	json_t *res, *routes;

	/* From its parsed form: a record edited by hand cannot put text here. */
	if (!a->has_ip || !a->has_mac || !a->netns[0] ||
	    !inet_ntop(AF_INET, &a->ip, ip, sizeof(ip)) ||
	    !inet_ntop(AF_INET, &r->gateway, gw, sizeof(gw)) ||
	    snprintf(cidr, sizeof(cidr), "%s/%u", ip, r->prefix) >= (int)sizeof(cidr))
		return NULL;
	/* An internal network has no default route (as podman's): the gateway is on the link. */
	routes = r->internal ? json_array()
			     : json_pack("[{s:s, s:s}]", "dst", "0.0.0.0/0", "gw", gw);
	att_format_mac(a->mac, mac, sizeof(mac));
	res = json_pack("{s:s, s:[{s:s, s:s, s:s}], s:[{s:s, s:s, s:i}], s:o, s:o}", "cniVersion",
			"1.0.0", "interfaces", "name", NET_IFNAME, "mac", mac, "sandbox", a->netns,
			"ips", "address", cidr, "gateway", gw, "interface", 0, "routes", routes,
			"dns", has_ns ? json_pack("{s:[s]}", "nameservers", ns) : json_object());
	if (res && a->has_ip6 && r->ipv6) {
		char gw6[INET6_ADDRSTRLEN], ip6[INET6_ADDRSTRLEN];
		char cidr6[INET6_ADDRSTRLEN + NET_PREFIX_TEXT];

		if (!inet_ntop(AF_INET6, &r->gateway6, gw6, sizeof(gw6)) ||
		    !inet_ntop(AF_INET6, &a->ip6, ip6, sizeof(ip6)) ||
		    snprintf(cidr6, sizeof(cidr6), "%s/%u", ip6, r->prefix6) >=
			    (int)sizeof(cidr6)) {
			json_decref(res);
			return NULL;
		}
		json_array_append_new(json_object_get(res, "ips"),
				      json_pack("{s:s, s:s, s:i}", "address", cidr6, "gateway", gw6,
						"interface", 0));
		if (!r->internal)
			json_array_append_new(json_object_get(res, "routes"),
					      json_pack("{s:s, s:s}", "dst", "::/0", "gw", gw6));
	}
	return res;
}
