/* Run as "rootlessport": podman's port forwarder, its config as JSON on stdin. */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdline.h"
#include "portfwd.h"

/*
 * podman starts rootlessport as root of its user namespace, writes a Config (Go field names)
 * to its stdin, waits for "1" on ReadyFD and keeps ExitFD open while the container runs. It
 * reads rootlessport's stdout when that fails, so errors go there, one line each. Each mapping
 * becomes a --publish SPEC; ChildIP becomes --target. With RootlessCNI (a bridge network),
 * <TmpDir>/rp/<ContainerID> is the socket through which podman hands over a new ChildIP after
 * `podman network connect` or `disconnect` (reload.c).
 */

#define ROOTLESSPORT_CONFIG_MAX (1024 * 1024)
#define SPEC_TEXT_LEN		(SPEC_TEXT_MAX * 2)
#define RELOAD_SUBDIR		"/rp"

/*
 * A mapping's host ip as a SPEC writes it. Go's net.Listen takes "", 0.0.0.0 and :: alike as
 * every address of both families (podman's rootlessport listens on *:PORT), which a SPEC
 * without HOSTIP is; any other address is that address alone.
 */
static int host_part(const char *ip, char *buf, size_t len)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (!ip || !*ip || !strcmp(ip, "0.0.0.0") || !strcmp(ip, "::")) {
		buf[0] = '\0';
		return 0;
	}
	if (inet_pton(AF_INET, ip, &a4) == 1)
		snprintf(buf, len, "%s:", ip);
	else if (inet_pton(AF_INET6, ip, &a6) == 1)
		snprintf(buf, len, "[%s]:", ip);
	else
		return -EINVAL;
	return 0;
}

static int mapping_specs(struct pf_cfg *cfg, json_t *m)
{
	json_int_t cport, hport = 0, range = 1;
	const char *ip = NULL, *protos = "tcp";
	char host[INET6_ADDRSTRLEN + 4], proto[8], spec[SPEC_TEXT_LEN];

	if (json_unpack(m, "{s:I, s?I, s?I, s?s, s?s}", "container_port", &cport, "host_port",
			&hport, "range", &range, "host_ip", &ip, "protocol", &protos) ||
	    cport < 1 || cport > 65535 || hport < 0 || hport > 65535 || range < 0 ||
	    range > 65535) {
		return err_make(
			&cfg->err, -EINVAL,
			"rootlessport: a mapping lacks container_port or has a bad port or range");
	}
	if (range == 0)
		range = 1;
	if (cport + range - 1 > 65535 || hport + range - 1 > 65535) {
		return err_make(&cfg->err, -EINVAL,
				"rootlessport: a mapping's range runs past port 65535");
	}
	if (host_part(ip, host, sizeof(host))) {
		return err_make(&cfg->err, -EINVAL,
				"rootlessport: host_ip '%.64s' is not an IP address", ip);
	}
	for (const char *p = protos; *p;) {
		size_t len = strcspn(p, ",");
		char *copy;

		if (len == 0 || len >= sizeof(proto)) {
			return err_make(&cfg->err, -EINVAL,
					"rootlessport: bad protocol list '%.64s'", protos);
		}
		memcpy(proto, p, len);
		proto[len] = '\0';
		if (strcmp(proto, "tcp") && strcmp(proto, "udp")) {
			return err_make(&cfg->err, -EINVAL,
					"rootlessport: protocol '%s' is not supported (tcp, udp)",
					proto);
		}
		if (range > 1 && !hport) /* a kernel-picked host port for each */
			snprintf(spec, sizeof(spec), "%s:%lld-%lld/%s", host, (long long)cport,
				 (long long)(cport + range - 1), proto);
		else if (range > 1)
			snprintf(spec, sizeof(spec), "%s%lld-%lld:%lld-%lld/%s", host,
				 (long long)hport, (long long)(hport + range - 1), (long long)cport,
				 (long long)(cport + range - 1), proto);
		else
			snprintf(spec, sizeof(spec), "%s%lld:%lld/%s", host, (long long)hport,
				 (long long)cport, proto);
		if (!(copy = strdup(spec)) ||
		    cmdline_append(&cfg->publish, &cfg->n_publish, copy)) {
			free(copy);
			return err_make(&cfg->err, -ENOMEM, "rootlessport: out of memory");
		}
		p += len + (p[len] == ',');
	}
	return 0;
}

/* At most ROOTLESSPORT_CONFIG_MAX bytes of stdin, to its end; *ret_buf malloc()ed. */
static int read_config(struct pf_cfg *cfg, char **ret_buf, size_t *ret_len)
{
	char *buf = malloc(ROOTLESSPORT_CONFIG_MAX + 1);
	size_t len = 0;
	ssize_t n;

	if (!buf) {
		return err_make(&cfg->err, -ENOMEM, "rootlessport: out of memory");
	}
	while ((n = read(STDIN_FILENO, buf + len, ROOTLESSPORT_CONFIG_MAX + 1 - len)) > 0 ||
	       (n < 0 && errno == EINTR))
		if (n > 0 && (len += (size_t)n) > ROOTLESSPORT_CONFIG_MAX)
			break;
	if (len > ROOTLESSPORT_CONFIG_MAX) {
		err_make(&cfg->err, -EFBIG, "rootlessport: config on stdin is larger than %d bytes",
			 ROOTLESSPORT_CONFIG_MAX);
		free(buf);
		return -EFBIG;
	}
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

/* An fd number from the config: -1 when absent, else 0 to INT32_MAX. */
static int config_fd(struct pf_cfg *cfg, json_int_t v, const char *what, int *ret)
{
	if (v < -1 || v > INT32_MAX) {
		return err_make(&cfg->err, -EINVAL, "rootlessport: %s %lld is not an fd", what,
				(long long)v);
	}
	*ret = (int)v;
	return 0;
}

/* A container id names a file: no '/', not "." or "..", not empty. */
static bool id_is_file_name(const char *id)
{
	return *id && !strchr(id, '/') && strcmp(id, ".") && strcmp(id, "..") &&
	       strlen(id) <= NAME_MAX;
}

/**
 * rootlessport_parse() - Parse podman's Config into @cfg
 * @buf:	the config's bytes
 * @len:	their length
 * @cfg:	filled: netns path, target, ready and exit fds, --publish specs, reload socket
 *		(pf_cfg_free_rootlessport() frees what it allocates, on failure too)
 *
 * Return: 0 on success, negative errno with cfg->detail set
 */
int rootlessport_parse(const char *buf, size_t len, struct pf_cfg *cfg)
{
	json_int_t exit_fd = -1, ready_fd = -1;
	const char *netns = NULL, *child_ip = NULL, *tmp_dir = NULL, *id = NULL;
	int rootless_cni = 0, err = -EINVAL;
	json_t *root, *maps = NULL;
	json_error_t jerr;

	if (!(root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr))) {
		return err_make(&cfg->err, -EINVAL, "rootlessport: config is not JSON: %s",
				jerr.text);
	}
	if (json_unpack(root, "{s:s, s?s, s?I, s?I, s?o, s?s, s?s, s?b}", "NetNSPath", &netns,
			"ChildIP", &child_ip, "ExitFD", &exit_fd, "ReadyFD", &ready_fd, "Mappings",
			&maps, "TmpDir", &tmp_dir, "ContainerID", &id, "RootlessCNI",
			&rootless_cni) ||
	    !*netns) {
		err_make(&cfg->err, -EINVAL,
			 "rootlessport: config has no NetNSPath, or a field of the wrong type");
		goto out;
	}
	if (maps && !json_is_array(maps) && !json_is_null(maps)) {
		err_make(&cfg->err, -EINVAL, "rootlessport: Mappings is not a list");
		goto out;
	}
	if (config_fd(cfg, exit_fd, "ExitFD", &cfg->exit_fd) ||
	    config_fd(cfg, ready_fd, "ReadyFD", &cfg->ready_fd))
		goto out;
	for (size_t i = 0; i < json_array_size(maps); i++)
		if ((err = mapping_specs(cfg, json_array_get(maps, i))))
			goto out;
	err = -EINVAL;
	if (rootless_cni && (!tmp_dir || !*tmp_dir || !id || !id_is_file_name(id))) {
		err_make(&cfg->err, -EINVAL,
			 "rootlessport: RootlessCNI needs TmpDir and a ContainerID");
		goto out;
	}
	/* A path (it holds a '/'): resolve_netns() takes it as it is. The strings outlive root. */
	cfg->netns_arg = strdup(netns);
	if (child_ip && *child_ip)
		cfg->target_arg = strdup(child_ip);
	if (rootless_cni && (asprintf(&cfg->reload_dir, "%s" RELOAD_SUBDIR, tmp_dir) < 0 ||
			     !(cfg->reload_name = strdup(id)))) {
		err = err_make(&cfg->err, -ENOMEM, "rootlessport: out of memory");
		goto out;
	}
	if (!cfg->netns_arg || !strchr(cfg->netns_arg, '/')) {
		err_make(&cfg->err, err, "rootlessport: NetNSPath is not a path");
		goto out;
	}
	err = 0;
out:
	json_decref(root);
	return err;
}

/**
 * rootlessport_config() - Read podman's Config from stdin into @cfg
 * @cfg:	filled, as by rootlessport_parse()
 *
 * Return: 0 on success, negative errno with cfg->detail set
 */
int rootlessport_config(struct pf_cfg *cfg)
{
	size_t len = 0;
	char *buf = NULL;
	int err;

	if ((err = read_config(cfg, &buf, &len)))
		return err;
	err = rootlessport_parse(buf, len, cfg);
	free(buf);
	return err;
}
