/* A network's record: one JSON file per network under the state root, written atomically. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "lock.h"
#include "network.h"
#include "state.h"
#include "statedir.h"

/*
 * <root>/~networks/ holds <name>.json, one per network, and ~lock, which create and rm hold
 * while they look at every record and change one: two racing creates cannot take one subnet
 * or one name. Records are replaced whole (write to a temporary file, rename), so a
 * reader sees the old record or the new one, and a kill -9 leaves one of them, and perhaps its
 * temporary file: records are written only under the lock, so whoever holds it next removes
 * what a dead writer left (file_sweep_tmp()).
 */

#define NET_DIR_LOCK  "~lock"
#define NAME_FILE_MAX (NAME_MAX_LEN + sizeof(NET_RECORD_EXT))

/**
 * record_dir_open() - Open <root>/~networks, refusing symlinks and others' directories
 * @cfg:	the state root; cfg->err on failure
 * @create:	make it (and the root) if missing
 * @ret_fd:	the directory
 *
 * Return: 0, -ENOENT when there is none (and not @create), negative errno
 */
int record_dir_open(struct net_cfg *cfg, bool create, int *ret_fd)
{
	int root_fd, err, fd;

	if ((err = state_root_open(cfg->root, create, &root_fd)))
		return err == -ENOENT  ? err
		       : err == -EPERM ? state_root_refused(cfg->root, &cfg->err)
				       : err_errno(&cfg->err, err, "%s", cfg->root);
	if (create && mkdirat(root_fd, NET_DIR, STATE_DIR_MODE) < 0 && errno != EEXIST) {
		err = -errno;
		close(root_fd);
		return err_errno(&cfg->err, err, "%s/%s", cfg->root, NET_DIR);
	}
	fd = openat(root_fd, NET_DIR, DIR_OPEN_FLAGS);
	err = fd < 0 ? -errno : 0;
	close(root_fd);
	if (err)
		return err == -ENOENT ? err
				      : err_errno(&cfg->err, err, "%s/%s", cfg->root, NET_DIR);
	*ret_fd = fd;
	return 0;
}

/**
 * record_open_locked() - Open <root>/~networks and take the lock every verb that changes a
 * record holds; what a writer killed before holding it left is swept away
 * @cfg:	the state root; cfg->err on failure
 * @create:	make the directory if missing
 * @ret_dir_fd:	the directory
 * @ret_lock_fd: the lock; close() releases it
 *
 * Return: 0, -ENOENT when there is no directory (and not @create), negative errno
 */
int record_open_locked(struct net_cfg *cfg, bool create, int *ret_dir_fd, int *ret_lock_fd)
{
	int err;

	if ((err = record_dir_open(cfg, create, ret_dir_fd)))
		return err;
	if ((err = lock_at(*ret_dir_fd, NET_DIR_LOCK, true, ret_lock_fd))) {
		close(*ret_dir_fd);
		return err_errno(&cfg->err, err, "locking the networks");
	}
	/*
	 * The processes we start hold it too (a flock belongs to the open file, which they
	 * inherit: rootlet-netns del, a plumbing child, a holder until it isolates itself):
	 * killed mid-way, we leave no child of ours changing state under the next holder. The
	 * daemons close every fd they do not need.
	 */
	fcntl(*ret_lock_fd, F_SETFD, 0);
	/* the caller holds the lock: no writer is alive */
	file_sweep_tmp(*ret_dir_fd, "*" NET_RECORD_EXT);
	return 0;
}

/**
 * record_print() - Print a record, or an array of them, as indented JSON, and free it
 * @o:		the JSON
 */
void record_print(json_t *o)
{
	json_dumpf(o, stdout, JSON_INDENT(2));
	putchar('\n');
	json_decref(o);
}

static int file_name(const char *name, char buf[NAME_FILE_MAX])
{
	int n;

	if (name_check(name, NULL))
		return -EINVAL;
	n = snprintf(buf, NAME_FILE_MAX, "%s%s", name, NET_RECORD_EXT);
	return n < 0 || n >= (int)NAME_FILE_MAX ? -ENAMETOOLONG : 0;
}

static int addr_from(json_t *v, int family, void *ret)
{
	const char *s = json_string_value(v);

	return s && inet_pton(family, s, ret) == 1 ? 0 : -EBADMSG;
}

static int cidr_from(json_t *v, int family, void *ret_net, unsigned *ret_prefix)
{
	const char *s = json_string_value(v);

	if (!s)
		return -EBADMSG;
	if (family == AF_INET)
		return subnet_parse4(s, ret_net, ret_prefix, NULL) ? -EBADMSG : 0;
	return subnet_parse6(s, ret_net, ret_prefix, NULL) ? -EBADMSG : 0;
}

/* A record from its JSON; -EBADMSG for anything that is not what record_json() writes. */
static int record_parse(const char *text, size_t len, struct net_record *r)
{
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL), *att = NULL;
	json_t *subnet6 = NULL, *gateway6 = NULL, *subnet = NULL, *gateway = NULL;
	json_int_t mtu = 0, created = 0;
	const char *name = NULL;
	int ipv6 = 0, internal = 0, dns = 0, loopback = 0, err = -EBADMSG;

	memset(r, 0, sizeof(*r));
	if (!root ||
	    json_unpack(root, "{s:s, s:o, s:o, s:b, s?o, s?o, s:I, s:b, s:b, s?b, s:I, s:o}",
			"name", &name, "subnet", &subnet, "gateway", &gateway, "ipv6", &ipv6,
			"subnet6", &subnet6, "gateway6", &gateway6, "mtu", &mtu, "internal",
			&internal, "dns", &dns, "allow_host_loopback", &loopback, "created",
			&created, "attachments", &att))
		goto out;
	if (name_check(name, NULL) || !json_is_array(att) || mtu < NET_MTU_MIN ||
	    mtu > NET_MTU_MAX || cidr_from(subnet, AF_INET, &r->subnet, &r->prefix) ||
	    addr_from(gateway, AF_INET, &r->gateway) ||
	    (ipv6 && (cidr_from(subnet6, AF_INET6, &r->subnet6, &r->prefix6) ||
		      addr_from(gateway6, AF_INET6, &r->gateway6))))
		goto out;
	if (snprintf(r->name, sizeof(r->name), "%s", name) >= (int)sizeof(r->name))
		goto out;
	r->ipv6 = ipv6;
	r->mtu = (unsigned)mtu;
	r->internal = internal;
	r->dns = dns;
	r->host_loopback = loopback;
	r->created = created;
	err = att_list_from_json(att, r);
out:
	json_decref(root);
	return err;
}

static json_t *cidr_json(int family, const void *net, unsigned prefix)
{
	char addr[INET6_ADDRSTRLEN], text[INET6_ADDRSTRLEN + NET_PREFIX_TEXT];

	if (!inet_ntop(family, net, addr, sizeof(addr)) ||
	    snprintf(text, sizeof(text), "%s/%u", addr, prefix) >= (int)sizeof(text))
		return NULL; /* json_pack() then fails: the record is not written */
	return json_string(text);
}

static json_t *addr_json(int family, const void *a)
{
	char text[INET6_ADDRSTRLEN];

	inet_ntop(family, a, text, sizeof(text));
	return json_string(text);
}

/**
 * record_json() - A record as its file holds it (and inspect prints it)
 * @r:		the record
 *
 * Return: a new JSON object, or NULL without memory
 */
json_t *record_json(const struct net_record *r)
{
	json_t *att = att_list_to_json(r);
	json_t *o = json_pack("{s:s, s:o, s:o, s:b, s:I, s:b, s:b, s:b, s:I, s:o}", "name", r->name,
			      "subnet", cidr_json(AF_INET, &r->subnet, r->prefix), "gateway",
			      addr_json(AF_INET, &r->gateway), "ipv6", r->ipv6, "mtu",
			      (json_int_t)r->mtu, "internal", r->internal, "dns", r->dns,
			      "allow_host_loopback", r->host_loopback, "created",
			      (json_int_t)r->created, "attachments", att);

	if (o && r->ipv6) {
		json_object_set_new(o, "subnet6", cidr_json(AF_INET6, &r->subnet6, r->prefix6));
		json_object_set_new(o, "gateway6", addr_json(AF_INET6, &r->gateway6));
	}
	return o;
}

/**
 * record_clear() - Drop what a record read holds (its attachments)
 * @r:		the record
 */
void record_clear(struct net_record *r)
{
	att_list_clear(r);
}

/**
 * record_list_free() - Free record_list()'s array
 * @list:	the array
 * @n:		its length
 */
void record_list_free(struct net_record *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		record_clear(&list[i]);
	free(list);
}

/**
 * record_read() - Read the record of @name
 * @dir_fd:	<root>/~networks
 * @infra_root:	<root>/~infra, where its infra is (ret->infra)
 * @name:	the network
 * @ret:	the record
 * @e:		what went wrong
 *
 * Return: 0, -ENOENT (no such network), -EBADMSG (a corrupt record), negative errno
 */
int record_read(int dir_fd, const char *infra_root, const char *name, struct net_record *ret,
		struct err *e)
{
	char file[NAME_FILE_MAX], *text;
	size_t len;
	int err;

	if ((err = file_name(name, file)))
		return err_make(e, err, "invalid network name");
	if ((err = file_read_max(dir_fd, file, NET_RECORD_MAX, &text, &len)))
		return err == -ENOENT ? err_make(e, err, "no such network")
				      : err_errno(e, err, "reading %s", file);
	err = record_parse(text, len, ret);
	free(text);
	if (err)
		return err_make(e, err, "%s is corrupt; 'rootlet-network rm --force %s' removes it",
				file, name);
	if ((err = infra_init(&ret->infra, infra_root, ret->name))) {
		record_clear(ret);
		return err_make(e, err, "%s's infra: its paths are too long", name);
	}
	return 0;
}

/**
 * record_create() - Write a record whole, atomically (a new one, or one with its attachments
 * changed); the caller holds the lock
 * @dir_fd:	<root>/~networks
 * @r:		the record
 * @e:		what went wrong
 *
 * Return: 0, or a negative errno
 */
int record_create(int dir_fd, const struct net_record *r, struct err *e)
{
	char file[NAME_FILE_MAX], *text;
	json_t *o = record_json(r);
	int err;

	if (!o || !(text = json_dumps(o, JSON_COMPACT))) {
		json_decref(o);
		return err_make(e, -ENOMEM, "out of memory");
	}
	json_decref(o);
	/* One record_read() would refuse (all of the network's containers then lost to it). */
	if (strlen(text) > NET_RECORD_MAX) {
		free(text);
		return err_make(e, -EFBIG,
				"%s's record would be over %d KiB; fewer or shorter "
				"names (--alias), or another network",
				r->name, NET_RECORD_MAX / 1024);
	}
	if ((err = file_name(r->name, file))) {
		free(text);
		return err_make(e, err, "invalid network name");
	}
	err = file_write_state(dir_fd, file, text, strlen(text), STATE_FILE_MODE);
	free(text);
	return err ? err_errno(e, err, "writing %s", file) : 0;
}

/**
 * record_remove() - Remove the record of @name; the caller holds the lock
 * @dir_fd:	<root>/~networks
 * @name:	the network
 *
 * Return: 0, or a negative errno
 */
int record_remove(int dir_fd, const char *name)
{
	char file[NAME_FILE_MAX];

	if (file_name(name, file))
		return -EINVAL;
	return unlinkat(dir_fd, file, 0) < 0 ? -errno : 0;
}

/**
 * record_list() - Every readable record, by name; corrupt ones are left out
 * @dir_fd:	<root>/~networks
 * @infra_root:	<root>/~infra
 * @ret:	a malloc()ed array
 * @ret_n:	its length
 * @e:		what went wrong
 *
 * Return: 0, or a negative errno
 */
int record_list(int dir_fd, const char *infra_root, struct net_record **ret, size_t *ret_n,
		struct err *e)
{
	struct net_record *out = NULL, r;
	struct dirent *de;
	size_t n = 0;
	DIR *d;
	int err;

	if ((err = dir_stream(dir_fd, &d)))
		return err_errno(e, err, "listing networks");
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name), ext = strlen(NET_RECORD_EXT);
		char name[NAME_MAX_LEN + 1];
		struct net_record *grown;

		if (len <= ext || len - ext > NAME_MAX_LEN ||
		    strcmp(de->d_name + len - ext, NET_RECORD_EXT))
			continue;
		memcpy(name, de->d_name, len - ext);
		name[len - ext] = '\0';
		if (record_read(dir_fd, infra_root, name, &r, NULL))
			continue;
		if (!(grown = realloc(out, (n + 1) * sizeof(*out)))) {
			record_clear(&r);
			record_list_free(out, n);
			closedir(d);
			return err_make(e, -ENOMEM, "out of memory");
		}
		out = grown;
		out[n++] = r;
	}
	closedir(d);
	*ret = out;
	*ret_n = n;
	return 0;
}
