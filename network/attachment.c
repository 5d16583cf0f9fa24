/* A container's attachment as a typed record: its JSON in the network's record is read and
 * written here only, its states an enum. */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "network.h"

/*
 * An attachment in <root>/~networks/NAME.json, as alloc writes it:
 *   {"id", "state": "pending"|"ready"|"removing", "ip", "ip6"?, "mac", "netns", "made",
 *    "veth", "hostname"?, "aliases": [...], "publish": [...], "alloc_pid"? (pending only)}
 * Reading never fails on what a record edited by hand may hold: a field missing or of the
 * wrong kind is read as absent, an unknown state as pending (rolled back by the next verb),
 * and the attachment is written back from its parsed form.
 */

static const char *const state_names[] = {
	[ATT_PENDING] = "pending",
	[ATT_READY] = "ready",
	[ATT_REMOVING] = "removing",
};

static enum att_state state_from(const char *text)
{
	for (size_t i = 0; text && i < sizeof(state_names) / sizeof(state_names[0]); i++)
		if (!strcmp(text, state_names[i]))
			return (enum att_state)i;
	return ATT_PENDING;
}

/* A string field copied into @buf; "" when missing, not a string, or too long. */
static void str_field(json_t *o, const char *key, char *buf, size_t len)
{
	const char *v = json_string_value(json_object_get(o, key));

	if (!v || snprintf(buf, len, "%s", v) >= (int)len)
		buf[0] = '\0';
}

/* The strings of an array field, copied; what is not a string is left out. */
static int strv_field(json_t *o, const char *key, char ***ret, size_t *ret_n)
{
	json_t *arr = json_object_get(o, key), *v;
	size_t i;

	*ret = NULL;
	*ret_n = 0;
	if (!json_array_size(arr))
		return 0;
	if (!(*ret = calloc(json_array_size(arr), sizeof(**ret))))
		return -ENOMEM;
	json_array_foreach(arr, i, v)
	{
		if (!json_is_string(v))
			continue;
		if (!((*ret)[*ret_n] = strdup(json_string_value(v))))
			return -ENOMEM;
		(*ret_n)++;
	}
	return 0;
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static json_t *strv_json(char *const *v, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < n; i++)
		if (json_array_append_new(arr, json_string(v[i]))) {
			json_decref(arr);
			return NULL;
		}
	return arr;
}

/**
 * att_parse_mac() - "02:42:ac:11:00:02" into bytes; a multicast MAC (broadcast too) and
 * 00:00:00:00:00:00 (the kernel's EIO at eth0's making) are refused
 * @text:	the MAC
 * @mac:	its bytes
 *
 * Return: 0, or -EINVAL
 */
int att_parse_mac(const char *text, uint8_t mac[NET_MAC_LEN])
{
	unsigned b[6];
	char end;

	if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &end) != 6 ||
	    strlen(text) != strlen("00:00:00:00:00:00") || (b[0] & 1) ||
	    !(b[0] | b[1] | b[2] | b[3] | b[4] | b[5]))
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

/**
 * att_format_mac() - A MAC as "02:42:ac:11:00:02"
 * @mac:	its bytes
 * @buf:	the text
 * @len:	its size, NET_MAC_TEXT
 */
void att_format_mac(const uint8_t mac[NET_MAC_LEN], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}

/**
 * att_from_json() - An attachment from its JSON object
 * @o:		the object (anything: what is not an attachment's is read as absent)
 * @a:		the attachment; att_clear() frees it, also on failure
 *
 * Return: 0, or -ENOMEM
 */
int att_from_json(json_t *o, struct net_attach *a)
{
	const char *v;
	char id[sizeof(a->id)];
	json_int_t pid;
	int err;

	memset(a, 0, sizeof(*a));
	/* An ID that is no name has nothing we made: the verbs drop it without detaching. */
	str_field(o, "id", id, sizeof(id));
	if (id[0] && !name_check(id, NULL) && strlen(id) <= NAME_MAX_LEN)
		memcpy(a->id, id, sizeof(id));
	a->state = state_from(json_string_value(json_object_get(o, "state")));
	v = json_string_value(json_object_get(o, "ip"));
	a->has_ip = v && inet_pton(AF_INET, v, &a->ip) == 1;
	v = json_string_value(json_object_get(o, "ip6"));
	a->has_ip6 = v && inet_pton(AF_INET6, v, &a->ip6) == 1;
	v = json_string_value(json_object_get(o, "mac"));
	a->has_mac = v && !att_parse_mac(v, a->mac);
	str_field(o, "netns", a->netns, sizeof(a->netns));
	a->made = json_is_true(json_object_get(o, "made"));
	str_field(o, "veth", a->veth, sizeof(a->veth));
	v = json_string_value(json_object_get(o, "hostname"));
	if (v && !(a->hostname = strdup(v)))
		return -ENOMEM;
	if ((err = strv_field(o, "aliases", &a->aliases, &a->n_aliases)) ||
	    (err = strv_field(o, "publish", &a->publish, &a->n_publish)))
		return err;
	pid = json_integer_value(json_object_get(o, "alloc_pid"));
	a->alloc_pid = pid > 0 && pid == (pid_t)pid ? (pid_t)pid : 0;
	return 0;
}

/**
 * att_to_json() - An attachment as its record holds it
 * @a:		the attachment
 *
 * Return: a new JSON object, or NULL without memory
 */
json_t *att_to_json(const struct net_attach *a)
{
	char ip[INET_ADDRSTRLEN], ip6[INET6_ADDRSTRLEN], mac[NET_MAC_TEXT];
	json_t *o = json_object();
	int err = !o;

	err = err || json_object_set_new(o, "id", json_string(a->id)) ||
	      json_object_set_new(o, "state", json_string(state_names[a->state]));
	if (!err && a->has_ip && inet_ntop(AF_INET, &a->ip, ip, sizeof(ip)))
		err = json_object_set_new(o, "ip", json_string(ip));
	if (!err && a->has_mac) {
		att_format_mac(a->mac, mac, sizeof(mac));
		err = json_object_set_new(o, "mac", json_string(mac));
	}
	err = err || json_object_set_new(o, "netns", json_string(a->netns)) ||
	      json_object_set_new(o, "made", json_boolean(a->made)) ||
	      json_object_set_new(o, "veth", json_string(a->veth)) ||
	      json_object_set_new(o, "aliases", strv_json(a->aliases, a->n_aliases)) ||
	      json_object_set_new(o, "publish", strv_json(a->publish, a->n_publish));
	if (!err && a->hostname)
		err = json_object_set_new(o, "hostname", json_string(a->hostname));
	if (!err && a->has_ip6 && inet_ntop(AF_INET6, &a->ip6, ip6, sizeof(ip6)))
		err = json_object_set_new(o, "ip6", json_string(ip6));
	if (!err && a->alloc_pid > 0)
		err = json_object_set_new(o, "alloc_pid", json_integer(a->alloc_pid));
	if (err) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/**
 * att_clear() - Free what an attachment holds
 * @a:		the attachment
 */
void att_clear(struct net_attach *a)
{
	free(a->hostname);
	strv_free(a->aliases, a->n_aliases);
	strv_free(a->publish, a->n_publish);
	a->hostname = NULL;
	a->aliases = a->publish = NULL;
	a->n_aliases = a->n_publish = 0;
}

/**
 * att_list_clear() - Free a record's attachments
 * @r:		the record
 */
void att_list_clear(struct net_record *r)
{
	for (size_t i = 0; i < r->attached; i++)
		att_clear(&r->att[i]);
	free(r->att);
	r->att = NULL;
	r->attached = 0;
}

/**
 * att_list_from_json() - A record's attachments from its "attachments" array
 * @arr:	the array
 * @r:		the record: r->att, r->attached
 *
 * Return: 0, -EBADMSG when @arr is no array, -ENOMEM
 */
int att_list_from_json(json_t *arr, struct net_record *r)
{
	size_t n = json_array_size(arr);

	r->att = NULL;
	r->attached = 0;
	if (!json_is_array(arr))
		return -EBADMSG;
	if (n && !(r->att = calloc(n, sizeof(*r->att))))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int err = att_from_json(json_array_get(arr, i), &r->att[i]);

		r->attached = i + 1;
		if (err) {
			att_list_clear(r);
			return err;
		}
	}
	return 0;
}

/**
 * att_list_to_json() - A record's attachments as its "attachments" array
 * @r:		the record
 *
 * Return: a new JSON array, or NULL without memory
 */
json_t *att_list_to_json(const struct net_record *r)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < r->attached; i++)
		if (json_array_append_new(arr, att_to_json(&r->att[i]))) {
			json_decref(arr);
			return NULL;
		}
	return arr;
}

/**
 * att_append() - Add an attachment to a record; the record owns what it holds from here on
 * @r:		the record
 * @a:		the attachment, cleared on success
 *
 * Return: 0, or -ENOMEM (@a left as it was)
 */
int att_append(struct net_record *r, struct net_attach *a)
{
	struct net_attach *grown = realloc(r->att, (r->attached + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	r->att = grown;
	r->att[r->attached++] = *a;
	memset(a, 0, sizeof(*a));
	return 0;
}

/**
 * att_remove() - Drop an attachment of @r (pointers to those after it move down)
 * @r:		the record
 * @a:		one of r->att
 */
void att_remove(struct net_record *r, struct net_attach *a)
{
	size_t i = (size_t)(a - r->att);

	att_clear(a);
	memmove(a, a + 1, (r->attached - i - 1) * sizeof(*a));
	r->attached--;
}
