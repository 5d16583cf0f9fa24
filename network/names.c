/* A network's DNS responder: the names it answers (the infra's hosts file), and starting it. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "network.h"
#include "slirpnet.h"
#include "state.h"

#define DNS_BINARY	 "rootlet-dns"
#define DNS_LOG		 "dns.log"
#define NUM_TEXT	 sizeof("4294967295")
#define HOSTS_FILE	 "hosts" /* what rootlet-dns answers from: "IP NAME..." lines */
#define HOSTS_TEXT_START 4096

/**
 * dns_spawn() - rootlet-dns in the infra, detached, its stderr in the entry's dns.log
 * @cfg:	the state root; cfg->err on failure
 * @r:		the network
 * @infra:	its infra's netns name
 * @d:		the daemon, for infra_wait()
 *
 * It records itself in dns.pid, so rootlet-netns del stops it with the infra, and it ends
 * with the infra's holder by itself.
 *
 * Return: 0 once started, or a negative errno
 */
int dns_spawn(struct net_cfg *cfg, const struct net_record *r, const char *infra,
	      struct net_daemon *d)
{
	char gw[INET_ADDRSTRLEN], ready[NUM_TEXT];
	char *argv[] = { DNS_BINARY, "--netns",	   (char *)infra, "--listen",
			 gw,	     "--ready-fd", ready,	  r->internal ? NULL : "--upstream",
			 SLIRP_DNS4, NULL };
	inet_ntop(AF_INET, &r->gateway, gw, sizeof(gw));
	snprintf(ready, sizeof(ready), "%d", NET_DAEMON_READY_FD);
	return net_daemon_spawn(cfg, infra, argv, DNS_LOG, d);
}

/* "ADDRESS NAME..." and a newline onto @buf (grown as needed); false without memory. */
static bool append_line(char **buf, size_t *used, size_t *size, const char *addr, json_t *names)
{
	size_t need = strlen(addr) + 2, k;
	json_t *n;

	json_array_foreach(names, k, n) need += strlen(json_string_value(n)) + 1;
	if (*used + need >= *size) {
		char *g = realloc(*buf, *size * 2 + need);

		if (!g)
			return false;
		*buf = g;
		*size = *size * 2 + need;
	}
	*used += (size_t)sprintf(*buf + *used, "%s", addr);
	json_array_foreach(names, k, n) *used +=
		(size_t)sprintf(*buf + *used, " %s", json_string_value(n));
	*used += (size_t)sprintf(*buf + *used, "\n");
	return true;
}

/**
 * infra_write_hosts() - The names rootlet-dns answers: every ready attachment's ID, hostname
 * and aliases, with its address; written atomically, which rootlet-dns sees (inotify)
 * @cfg:	the state root; cfg->err on failure
 * @r:		the network
 *
 * Return: 0 (also when there is no infra to write into), or a negative errno
 */
int infra_write_hosts(struct net_cfg *cfg, const struct net_record *r)
{
	char infra[NAME_MAX_LEN + 1], dir[PATH_MAX];
	size_t i, used = 0, size = HOSTS_TEXT_START;
	char *text = malloc(size);
	int fd, err;
	json_t *a;

	if (!text)
		return -ENOMEM;
	text[0] = '\0';
	json_array_foreach(r->att, i, a)
	{
		const char *state = json_string_value(json_object_get(a, "state"));
		const char *ip = json_string_value(json_object_get(a, "ip"));
		const char *ip6 = json_string_value(json_object_get(a, "ip6"));
		json_t *host = json_object_get(a, "hostname"), *names, *n;
		size_t k;
		bool ok = true, full = false;

		if (!state || strcmp(state, "ready"))
			continue;
		/* Its ID, its hostname (when another name), its aliases: strings only. */
		names = json_pack("[O]", json_object_get(a, "id"));
		if (names && host && !json_equal(host, json_object_get(a, "id")))
			json_array_append(names, host);
		if (names)
			json_array_extend(names, json_object_get(a, "aliases"));
		json_array_foreach(names, k, n)
		{
			ok = ok && json_is_string(n);
		}
		/* A name that is no string (a record edited by hand) costs its container only. */
		if (names && ok && ip)
			full = !append_line(&text, &used, &size, ip, names);
		if (names && ok && ip6 && !full)
			full = !append_line(&text, &used, &size, ip6, names);
		json_decref(names);
		if (!names || full) {
			free(text);
			return -ENOMEM;
		}
	}
	attach_infra_name(r->name, infra, sizeof(infra));
	if ((err = netns_entry_path(cfg, infra, NULL, dir, sizeof(dir)))) {
		free(text);
		return err;
	}
	fd = open(dir, DIR_OPEN_FLAGS);
	if (fd < 0) {
		free(text);
		return errno == ENOENT ? 0 : -errno;
	}
	err = file_write_state(fd, HOSTS_FILE, text, used, STATE_FILE_MODE);
	close(fd);
	free(text);
	return err ? err_errno(&cfg->err, err, "%s/%s", infra, HOSTS_FILE) : 0;
}
