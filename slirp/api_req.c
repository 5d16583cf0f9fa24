/* Parsing one API request: JSON in, a checked struct out, or the reason it is refused. */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "sockaddr.h"

#define PORT_MAX 65535

static int parse_addr(const char *text, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

/* An integer in [min, max]; a JSON real or string is refused, as slirp4netns does. */
static int get_port(json_t *args, const char *key, json_int_t min, json_int_t max, json_int_t *ret)
{
	json_t *v = json_object_get(args, key);

	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return -EINVAL;
	*ret = json_integer_value(v);
	return 0;
}

static int parse_add(json_t *args, struct api_request *r, struct err *e)
{
	const char *proto, *host_addr = "0.0.0.0", *guest_addr = NULL;
	json_t *v;
	json_int_t port;

	v = json_object_get(args, "proto");
	proto = json_string_value(v);
	if (!proto || (strcmp(proto, "tcp") && strcmp(proto, "udp"))) {
		return err_make(e, -EINVAL,
				"add_hostfwd: bad arguments.proto (\"tcp\" or \"udp\")");
	}
	r->udp = !strcmp(proto, "udp");

	v = json_object_get(args, "host_addr");
	if (v && !(host_addr = json_string_value(v))) {
		return err_make(e, -EINVAL, "add_hostfwd: bad arguments.host_addr");
	}
	/* slirp4netns takes "" for every address (podman sends it for -p PORT:PORT). */
	if (!*host_addr)
		host_addr = "0.0.0.0";
	if (parse_addr(host_addr, &r->host)) {
		return err_make(e, -EINVAL, "add_hostfwd: bad arguments.host_addr");
	}
	if (get_port(args, "host_port", 0, PORT_MAX, &port)) {
		return err_make(e, -EINVAL, "add_hostfwd: bad arguments.host_port (0 to 65535)");
	}
	sockaddr_set_port(&r->host, (uint16_t)port);

	/* "" is the default guest address, as slirp4netns takes it (podman 4.3 sends it). */
	v = json_object_get(args, "guest_addr");
	if (v && !(guest_addr = json_string_value(v))) {
		return err_make(e, -EINVAL, "add_hostfwd: bad arguments.guest_addr");
	}
	r->guest_given = guest_addr && *guest_addr;
	if (r->guest_given && parse_addr(guest_addr, &r->guest)) {
		return err_make(e, -EINVAL, "add_hostfwd: bad arguments.guest_addr");
	}
	if (r->guest_given && r->guest.ss_family != r->host.ss_family) {
		return err_make(
			e, -EINVAL,
			"add_hostfwd: bad arguments.host_addr (not of guest_addr's family)");
	}
	if (get_port(args, "guest_port", 1, PORT_MAX, &port)) {
		return err_make(e, -EINVAL, "add_hostfwd: bad arguments.guest_port (1 to 65535)");
	}
	r->guest_port = (uint16_t)port;
	if (r->guest_given)
		sockaddr_set_port(&r->guest, r->guest_port);
	return 0;
}

/**
 * api_parse() - Parse and check one request
 * @buf:	the request bytes (need not be NUL-terminated)
 * @len:	their length
 * @ret:	the request on success
 * @why:	the reason on failure, as slirp4netns words it after "bad request: "
 * @why_len:	size of @why
 *
 * Return: 0 on success, -EINVAL on any malformed request
 */
int api_parse(const char *buf, size_t len, struct api_request *ret, struct err *e)
{
	struct api_request r = { 0 };
	json_t *root, *args;
	const char *execute;
	json_error_t jerr;
	json_int_t id;
	int err = -EINVAL;

	root = json_loadb(buf, len, JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		return err_make(e, -EINVAL, "cannot parse JSON");
	}
	if (!json_is_object(root)) {
		err_make(e, -EINVAL, "not a JSON object");
		goto out;
	}
	execute = json_string_value(json_object_get(root, "execute"));
	if (!execute) {
		err_make(e, -EINVAL, "no execute found");
		goto out;
	}
	args = json_object_get(root, "arguments");
	if (args && !json_is_object(args)) {
		err_make(e, -EINVAL, "%s: arguments is not an object", execute);
		goto out;
	}
	if (!strcmp(execute, "add_hostfwd")) {
		r.cmd = API_ADD_HOSTFWD;
		if (!args) {
			err_make(e, -EINVAL, "add_hostfwd: no arguments");
			goto out;
		}
		if (parse_add(args, &r, e))
			goto out;
	} else if (!strcmp(execute, "list_hostfwd")) {
		r.cmd = API_LIST_HOSTFWD;
	} else if (!strcmp(execute, "remove_hostfwd")) {
		r.cmd = API_REMOVE_HOSTFWD;
		if (!args || get_port(args, "id", 1, INT32_MAX, &id)) {
			err_make(e, -EINVAL, "remove_hostfwd: bad arguments.id");
			goto out;
		}
		r.id = (long)id;
	} else {
		err_make(e, -EINVAL, "unknown execute");
		goto out;
	}
	*ret = r;
	err = 0;
out:
	json_decref(root);
	return err;
}
