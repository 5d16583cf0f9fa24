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
#include "state.h"

#define DNS_BINARY "rootlet-dns"
#define DNS_LOG	   "dns.log"
#define NUM_TEXT   sizeof("4294967295")
#define HOSTS_FILE "hosts" /* what rootlet-dns answers from: "IP NAME..." lines */

/**
 * dns_start() - rootlet-dns in the infra, detached (a session of its own, its stderr in the entry's
 * dns.log), waited for until it says ready. It records itself in dns.pid, so rootlet-netns del
 * stops it with the infra, and it ends with the infra's holder by itself.
 * @cfg:	the state root; cfg->err on failure
 * @r:		the network
 * @infra:	its infra's netns name
 *
 * Return: 0 once it answers, or a negative errno
 */
int dns_start(struct net_cfg *cfg, const struct net_record *r, const char *infra)
{
	char gw[INET_ADDRSTRLEN], ready[NUM_TEXT];
	char *argv[] = { DNS_BINARY,
			 "--netns",
			 (char *)infra,
			 "--listen",
			 gw,
			 "--ready-fd",
			 ready,
			 r->internal ? NULL : "--upstream",
			 NET_SLIRP_DNS,
			 NULL };
	pid_t pid;

	inet_ntop(AF_INET, &r->gateway, gw, sizeof(gw));
	snprintf(ready, sizeof(ready), "%d", NET_DAEMON_READY_FD);
	return net_daemon_start(cfg, infra, argv, DNS_LOG, &pid);
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
	size_t i, used = 0, size = 4096;
	char *text = malloc(size);
	int fd, err;
	json_t *a;

	if (!text)
		return -ENOMEM;
	text[0] = '\0';
	json_array_foreach(r->att, i, a)
	{
		const char *state = json_string_value(json_object_get(a, "state"));
		json_t *names = json_pack("[O]", json_object_get(a, "id"));
		json_t *host = json_object_get(a, "hostname");
		size_t k;

		if (!state || strcmp(state, "ready") || !names)
			goto next;
		if (host && !json_equal(host, json_object_get(a, "id")))
			json_array_append(names, host);
		json_array_extend(names, json_object_get(a, "aliases"));
		for (k = 0; k <= json_array_size(names); k++) {
			const char *word = k ? json_string_value(json_array_get(names, k - 1))
					     : json_string_value(json_object_get(a, "ip"));
			size_t need = (word ? strlen(word) : 0) + 2;

			if (!word)
				continue;
			if (used + need >= size) {
				char *g = realloc(text, size * 2 + need);

				if (!g) {
					json_decref(names);
					free(text);
					return -ENOMEM;
				}
				text = g;
				size = size * 2 + need;
			}
			used += (size_t)sprintf(text + used, "%s%s", k ? " " : "", word);
		}
		text[used++] = '\n';
		text[used] = '\0';
	next:
		json_decref(names);
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
	err = file_write_atomic(fd, HOSTS_FILE, text, used, STATE_FILE_MODE);
	close(fd);
	free(text);
	return err ? err_errno(&cfg->err, err, "%s/%s", infra, HOSTS_FILE) : 0;
}
