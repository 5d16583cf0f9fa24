/* rootlet-network ls and inspect: the records, as a table or as JSON. */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "network.h"

#define CIDR_TEXT_MAX (INET_ADDRSTRLEN + NET_PREFIX_TEXT)

static const char *cidr_text(const struct net_record *r, char *buf, size_t len)
{
	char addr[INET_ADDRSTRLEN];

	if (!inet_ntop(AF_INET, &r->subnet, addr, sizeof(addr)) ||
	    snprintf(buf, len, "%s/%u", addr, r->prefix) >= (int)len)
		return "?"; /* not from a record read: those are checked */
	return buf;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct net_record *)a)->name, ((const struct net_record *)b)->name);
}

/**
 * net_ls() - Every network: name, subnet, gateway, attached containers (--json: the records)
 * @cfg:	options; cfg->err on failure
 *
 * Return: 0, or a negative errno
 */
int net_ls(struct net_cfg *cfg)
{
	struct net_record *rs = NULL;
	size_t n = 0;
	int dir_fd, err;

	err = record_dir_open(cfg, false, &dir_fd);
	if (!err) {
		err = record_list(dir_fd, cfg->infra_root, &rs, &n, &cfg->err);
		close(dir_fd);
	} else if (err == -ENOENT) {
		err = 0; /* no network made yet */
	}
	if (err)
		return err;
	qsort(rs, n, sizeof(*rs), by_name);
	if (cfg->json) {
		json_t *arr = json_array();

		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, record_json(&rs[i]));
		record_print(arr);
	} else {
		printf("%-20s %-18s %-15s %s\n", "NAME", "SUBNET", "GATEWAY", "ATTACHED");
		for (size_t i = 0; i < n; i++) {
			char cidr[CIDR_TEXT_MAX], gw[INET_ADDRSTRLEN];

			inet_ntop(AF_INET, &rs[i].gateway, gw, sizeof(gw));
			printf("%-20s %-18s %-15s %zu\n", rs[i].name,
			       cidr_text(&rs[i], cidr, sizeof(cidr)), gw, rs[i].attached);
		}
	}
	record_list_free(rs, n);
	return 0;
}

/**
 * net_inspect() - One network's record, as JSON
 * @cfg:	the name; cfg->err on failure
 *
 * Return: 0, -ENOENT for no such network, negative errno
 */
int net_inspect(struct net_cfg *cfg)
{
	struct net_record r;
	int dir_fd, err;

	if ((err = record_dir_open(cfg, false, &dir_fd)))
		return err == -ENOENT ? err_make(&cfg->err, err, "no such network") : err;
	err = record_read(dir_fd, cfg->infra_root, cfg->name, &r, &cfg->err);
	close(dir_fd);
	if (err)
		return err;
	record_print(record_json(&r));
	record_clear(&r);
	return 0;
}
