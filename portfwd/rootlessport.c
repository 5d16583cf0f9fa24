/* Run as "rootlessport": podman's port forwarder, its config as JSON on stdin. */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portfwd.h"

/*
 * podman starts rootlessport as root of its user namespace, writes a Config (Go field names)
 * to its stdin, waits for "1" on ReadyFD and keeps ExitFD open while the container runs. It
 * reads rootlessport's stdout when that fails, so errors go there, one line each. Each mapping
 * becomes a --publish SPEC; ChildIP becomes --target.
 */

#define ROOTLESSPORT_CONFIG_MAX (1024 * 1024)
#define SPEC_TEXT_LEN		(SPEC_TEXT_MAX * 2)

/* A mapping's host ip as a SPEC writes it: "" (all), "127.0.0.1", "[::1]". */
static int host_part(const char *ip, char *buf, size_t len)
{
	struct in6_addr a6;

	if (!ip || !*ip) {
		buf[0] = '\0';
		return 0;
	}
	if (inet_pton(AF_INET6, ip, &a6) == 1)
		snprintf(buf, len, "[%s]:", ip);
	else
		snprintf(buf, len, "%s:", ip);
	return 0;
}

static int mapping_specs(struct pf_cfg *cfg, json_t *m, char specs[][SPEC_TEXT_LEN], int *n)
{
	json_int_t cport, hport, range = 1;
	const char *ip = NULL, *protos = "tcp";
	char host[INET6_ADDRSTRLEN + 4], proto[8];

	if (json_unpack(m, "{s:I, s?I, s?I, s?s, s?s}", "container_port", &cport, "host_port",
			&hport, "range", &range, "host_ip", &ip, "protocol", &protos) ||
	    cport < 1 || cport > 65535 || hport < 0 || hport > 65535 || range < 0 ||
	    range > 65535) {
		snprintf(cfg->detail, sizeof(cfg->detail),
			 "rootlessport: a mapping lacks container_port or has a bad port or range");
		return -EINVAL;
	}
	if (range == 0)
		range = 1;
	host_part(ip, host, sizeof(host));
	for (const char *p = protos; *p;) {
		size_t len = strcspn(p, ",");

		if (len == 0 || len >= sizeof(proto) || *n == PF_PUBLISH_MAX) {
			snprintf(cfg->detail, sizeof(cfg->detail),
				 "rootlessport: bad protocol list '%s'", protos);
			return -EINVAL;
		}
		memcpy(proto, p, len);
		proto[len] = '\0';
		if (range > 1)
			snprintf(specs[*n], SPEC_TEXT_LEN, "%s%lld-%lld:%lld-%lld/%s", host,
				 (long long)hport, (long long)(hport + range - 1), (long long)cport,
				 (long long)(cport + range - 1), proto);
		else
			snprintf(specs[*n], SPEC_TEXT_LEN, "%s%lld:%lld/%s", host, (long long)hport,
				 (long long)cport, proto);
		(*n)++;
		p += len + (p[len] == ',');
	}
	return 0;
}

/**
 * rootlessport_config() - Read podman's Config from stdin into @cfg
 * @cfg:	filled: netns path, target, ready and exit fds, --publish specs
 * @specs:	storage for the specs cfg->publish points into
 *
 * Return: 0 on success, -EINVAL with cfg->detail set
 */
int rootlessport_config(struct pf_cfg *cfg, char specs[][SPEC_TEXT_LEN])
{
	json_int_t exit_fd = -1, ready_fd = -1;
	const char *netns = NULL, *child_ip = NULL;
	json_t *root, *maps;
	json_error_t jerr;
	int n = 0, err = -EINVAL;

	root = json_loadf(stdin, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		snprintf(cfg->detail, sizeof(cfg->detail), "rootlessport: config is not JSON: %s",
			 jerr.text);
		return -EINVAL;
	}
	if (json_unpack(root, "{s:s, s?s, s?I, s?I, s?o}", "NetNSPath", &netns, "ChildIP",
			&child_ip, "ExitFD", &exit_fd, "ReadyFD", &ready_fd, "Mappings", &maps) ||
	    !*netns) {
		snprintf(cfg->detail, sizeof(cfg->detail), "rootlessport: config has no NetNSPath");
		goto out;
	}
	maps = json_object_get(root, "Mappings");
	if (maps && !json_is_array(maps) && !json_is_null(maps)) {
		snprintf(cfg->detail, sizeof(cfg->detail), "rootlessport: Mappings is not a list");
		goto out;
	}
	for (size_t i = 0; i < json_array_size(maps); i++)
		if (mapping_specs(cfg, json_array_get(maps, i), specs, &n))
			goto out;
	/* A path (it holds a '/'): resolve_netns() takes it as it is. The strings outlive root. */
	cfg->netns_arg = strdup(netns);
	if (child_ip && *child_ip)
		cfg->target_arg = strdup(child_ip);
	if (!cfg->netns_arg || !strchr(cfg->netns_arg, '/')) {
		snprintf(cfg->detail, sizeof(cfg->detail), "rootlessport: NetNSPath is not a path");
		goto out;
	}
	cfg->exit_fd = (int)exit_fd;
	cfg->ready_fd = (int)ready_fd;
	for (int i = 0; i < n; i++)
		cfg->publish[i] = specs[i];
	cfg->n_publish = n;
	err = 0;
out:
	json_decref(root);
	return err;
}
