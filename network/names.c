/* A network's DNS responder: the names it answers (the infra's hosts file), and starting it. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "dnsname.h"
#include "fileio.h"
#include "network.h"
#include "slirpnet.h"
#include "state.h"
#include "statedir.h"

#define HOSTS_TEXT_START 4096

/**
 * dns_spawn() - rootlet-dns in the infra, detached, its stderr in the entry's dns.log
 * @cfg:	the state root; cfg->err on failure
 * @r:		the network, its infra
 * @d:		the daemon, for infra_wait()
 *
 * It records itself in dns.pid, so rootlet-netns del stops it with the infra, and it ends
 * with the infra's holder by itself.
 *
 * Return: 0 once started, or a negative errno
 */
int dns_spawn(struct net_cfg *cfg, const struct net_record *r, struct launch_proc *d)
{
	char gw[INET_ADDRSTRLEN];
	struct dns_launch o = { .netns = r->infra.name,
				.listen = gw,
				.upstream = r->internal ? NULL : SLIRP_DNS4 };
	struct launch_argv a;
	int err;

	if (!inet_ntop(AF_INET, &r->gateway, gw, sizeof(gw)))
		return err_errno(&cfg->err, -errno, "rootlet-dns's --listen");
	if ((err = launch_dns_argv(&o, &a)))
		return err;
	err = net_daemon_spawn(cfg, &r->infra, a.argv, STATE_DNS_LOG, NULL, 0, d);
	argv_free(&a);
	return err;
}

/*
 * The DNS names of attachment @a, in order: its ID when it is a DNS name, its hostname, its
 * aliases. Anything else a record may hold (a record edited by hand) is no name.
 */
static size_t att_names(const struct net_attach *a, const char **out, size_t max)
{
	size_t n = 0;

	if (a->id[0] && dnsname_valid(a->id) && n < max)
		out[n++] = a->id;
	if (a->hostname && dnsname_valid(a->hostname) && n < max)
		out[n++] = a->hostname;
	for (size_t k = 0; k < a->n_aliases; k++)
		if (dnsname_valid(a->aliases[k]) && n < max)
			out[n++] = a->aliases[k];
	return n;
}

/* Whether attachment @a answers to @name, in any case (DNS's). */
static bool att_answers(const struct net_attach *a, const char *name)
{
	const char *names[NET_NAMES_MAX];
	size_t n = att_names(a, names, NET_NAMES_MAX);

	for (size_t i = 0; i < n; i++)
		if (!strcasecmp(names[i], name))
			return true;
	return false;
}

/* @name (the ID's when @is_id) free on @r, or the error saying whose it is. */
static int name_free(struct net_cfg *cfg, const struct net_record *r, const char *name, bool is_id)
{
	for (size_t i = 0; i < r->attached; i++) {
		if (!att_answers(&r->att[i], name))
			continue;
		return err_make(
			&cfg->err, -EEXIST, "the name %s is taken on %s (by %s); give another %s",
			name, r->name, r->att[i].id[0] ? r->att[i].id : "?", is_id ? "ID" : "name");
	}
	return 0;
}

/**
 * names_check_free() - The DNS names alloc would give container cfg->id (its ID when it is a
 * DNS name, --hostname, --alias) are no other container's on @r, in any case: DNS does not
 * tell A2 from a2
 * @cfg:	the ID, --hostname and --alias (checked DNS names); cfg->err on failure
 * @r:		the network, with its attachments
 *
 * Return: 0, or -EEXIST
 */
int names_check_free(struct net_cfg *cfg, const struct net_record *r)
{
	int err;

	if (dnsname_valid(cfg->id) && (err = name_free(cfg, r, cfg->id, true)))
		return err;
	if (cfg->hostname_arg && (err = name_free(cfg, r, cfg->hostname_arg, false)))
		return err;
	for (int i = 0; i < cfg->n_aliases; i++)
		if ((err = name_free(cfg, r, cfg->aliases[i], false)))
			return err;
	return 0;
}

/* "ADDRESS NAME" lines onto @buf (grown as needed), one per name not in @seen yet; false
 * without memory. One name a line: a line of rootlet-dns's table stays short. */
static bool append_lines(char **buf, size_t *used, size_t *size, const char *addr,
			 const char **names, size_t n, json_t *seen)
{
	for (size_t i = 0; i < n; i++) {
		char lower[DNSNAME_MAX + 1];
		size_t need = strlen(addr) + strlen(names[i]) + sizeof(" \n");
		size_t k;

		for (k = 0; names[i][k] && k < DNSNAME_MAX; k++)
			lower[k] = (char)tolower((unsigned char)names[i][k]);
		lower[k] = '\0';
		if (json_object_get(seen, lower))
			continue;
		if (json_object_set_new(seen, lower, json_true()))
			return false;
		if (*used + need >= *size) {
			char *g = realloc(*buf, *size * 2 + need);

			if (!g)
				return false;
			*buf = g;
			*size = *size * 2 + need;
		}
		*used += (size_t)snprintf(*buf + *used, *size - *used, "%s %s\n", addr, names[i]);
	}
	return true;
}

/**
 * infra_write_hosts() - The names rootlet-dns answers: every ready attachment's DNS names
 * (its ID when it is one, hostname, aliases), each with its addresses; a name two containers
 * have (a record edited by hand) is the first one's. Written atomically, which rootlet-dns
 * sees (inotify)
 * @cfg:	the state root; cfg->err on failure
 * @r:		the network
 *
 * Return: 0 (also when there is no infra to write into), or a negative errno
 */
int infra_write_hosts(struct net_cfg *cfg, const struct net_record *r)
{
	const char *dir = r->infra.dir;
	size_t used = 0, size = HOSTS_TEXT_START;
	char *text = malloc(size);
	json_t *seen4 = json_object(), *seen6 = json_object();
	int fd, err = 0;

	if (!text || !seen4 || !seen6) {
		err = -ENOMEM;
		goto out;
	}
	text[0] = '\0';
	for (size_t i = 0; i < r->attached; i++) {
		const struct net_attach *a = &r->att[i];
		char ip[INET_ADDRSTRLEN], ip6[INET6_ADDRSTRLEN];
		const char *names[NET_NAMES_MAX];
		size_t n = att_names(a, names, NET_NAMES_MAX);

		if (a->state != ATT_READY)
			continue;
		if ((a->has_ip && inet_ntop(AF_INET, &a->ip, ip, sizeof(ip)) &&
		     !append_lines(&text, &used, &size, ip, names, n, seen4)) ||
		    (a->has_ip6 && inet_ntop(AF_INET6, &a->ip6, ip6, sizeof(ip6)) &&
		     !append_lines(&text, &used, &size, ip6, names, n, seen6))) {
			err = -ENOMEM;
			goto out;
		}
	}
	fd = open(dir, DIR_OPEN_FLAGS);
	if (fd < 0) {
		err = errno == ENOENT ? 0 : -errno;
		goto out;
	}
	/* Its writers hold the networks' lock, which we do: what a killed one left goes. */
	file_sweep_tmp(fd, STATE_HOSTS);
	err = file_write_state(fd, STATE_HOSTS, text, used, STATE_FILE_MODE);
	close(fd);
	if (err)
		err_errno(&cfg->err, err, "%s/%s", dir, STATE_HOSTS);
out:
	free(text);
	json_decref(seen4);
	json_decref(seen6);
	return err;
}
