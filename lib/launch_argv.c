/* The helpers' command lines, each from its one options struct: a new flag is added here only. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "launch.h"
#include "slirpnet.h"

#define SLIRP_BINARY   "rootlet-slirp"
#define PORTFWD_BINARY "rootlet-portfwd"
#define BYPASS_BINARY  "rootlet-bypass"
#define DNS_BINARY     "rootlet-dns"
#define ARGV_CAP_START 16

static int argv_take(struct launch_argv *a, char *arg)
{
	if (!arg)
		return a->err = -ENOMEM;
	if (a->argc + 2 > a->cap) {
		size_t cap = a->cap ? 2 * a->cap : ARGV_CAP_START;
		char **v = realloc(a->argv, cap * sizeof(*v));

		if (!v) {
			free(arg);
			return a->err = -ENOMEM;
		}
		a->argv = v;
		a->cap = cap;
	}
	a->argv[a->argc++] = arg;
	a->argv[a->argc] = NULL;
	return 0;
}

/**
 * argv_add() - Append a copy of @arg to @a
 * @a:		the command line (zeroed to begin)
 * @arg:	one argument
 *
 * Return: 0, or -ENOMEM (kept in a->err; what follows is then not added)
 */
int argv_add(struct launch_argv *a, const char *arg)
{
	return a->err ? a->err : argv_take(a, strdup(arg));
}

/**
 * argv_addf() - Append a formatted argument to @a
 * @a:		the command line
 * @fmt:	printf()'s
 *
 * Return: 0, or -ENOMEM (kept in a->err)
 */
int argv_addf(struct launch_argv *a, const char *fmt, ...)
{
	char *arg;
	va_list ap;
	int n;

	if (a->err)
		return a->err;
	va_start(ap, fmt);
	n = vasprintf(&arg, fmt, ap);
	va_end(ap);
	return argv_take(a, n < 0 ? NULL : arg);
}

/**
 * argv_free() - Free every argument and the vector
 * @a:		the command line
 */
void argv_free(struct launch_argv *a)
{
	for (size_t i = 0; i < a->argc; i++)
		free(a->argv[i]);
	free(a->argv);
	*a = (struct launch_argv){ 0 };
}

/* The fds launch_spawn() gives every helper: --wait-fd for an early one, --ready-fd. */
static void argv_pipes(struct launch_argv *a, bool early)
{
	if (early) {
		argv_add(a, "--wait-fd");
		argv_addf(a, "%d", LAUNCH_WAIT_FD);
	}
	argv_add(a, "--ready-fd");
	argv_addf(a, "%d", LAUNCH_READY_FD);
}

/* @a as the result, or freed on a failed allocation. */
static int argv_done(struct launch_argv *a, struct launch_argv *ret)
{
	int err = a->err;

	if (err)
		argv_free(a);
	else
		*ret = *a;
	return err;
}

/**
 * launch_slirp_argv() - rootlet-slirp's command line
 * @o:		what it serves: an entry by name, or (early) one's paths before it has a name
 * @ret:	the command line, for argv_free()
 *
 * Rootlet's safe defaults: it configures the tap, sandboxes itself and loads its seccomp
 * filter; host loopback off unless asked.
 *
 * Return: 0, or -ENOMEM
 */
int launch_slirp_argv(const struct slirp_launch *o, struct launch_argv *ret)
{
	struct launch_argv a = { 0 };

	argv_add(&a, SLIRP_BINARY);
	if (o->netns) {
		argv_add(&a, "--netns");
		argv_add(&a, o->netns);
	} else {
		argv_add(&a, "--netns-type=path");
		argv_addf(&a, "--userns-path=%s", o->userns_path);
		argv_add(&a, "--api-socket");
		argv_add(&a, o->api_socket);
	}
	argv_add(&a, "--configure");
	argv_add(&a, "--mtu");
	argv_addf(&a, "%u", o->mtu);
	argv_add(&a, "--enable-sandbox");
	argv_add(&a, "--enable-seccomp");
	if (!o->allow_host_loopback)
		argv_add(&a, "--disable-host-loopback");
	if (o->ipv6)
		argv_add(&a, "--enable-ipv6");
	if (o->masq6_subnet)
		argv_addf(&a, "--masq6-subnet=%s", o->masq6_subnet);
	argv_pipes(&a, o->early);
	/* slirp4netns' positional arguments: the netns's path and the tap's name. */
	if (!o->netns) {
		argv_add(&a, o->netns_path);
		argv_add(&a, SLIRP_TAP);
	}
	return argv_done(&a, ret);
}

/**
 * launch_portfwd_argv() - rootlet-portfwd's command line
 * @o:		the netns (a name, or paths), its forwards, the sockets it is handed
 * @ret:	the command line, for argv_free()
 *
 * A --publish-fd SPEC names the caller's fd: it is handed on at LAUNCH_PASS_FD + its index
 * (launch_opts.pass in the same order), and named so here; the exit fd is handed on after them.
 *
 * Return: 0, or -ENOMEM
 */
int launch_portfwd_argv(const struct portfwd_launch *o, struct launch_argv *ret)
{
	struct launch_argv a = { 0 };

	argv_add(&a, PORTFWD_BINARY);
	argv_add(&a, "--netns");
	argv_add(&a, o->netns);
	if (o->userns) {
		argv_add(&a, "--userns");
		argv_add(&a, o->userns);
	}
	if (o->api_socket) {
		argv_add(&a, "--api-socket");
		argv_add(&a, o->api_socket);
	}
	if (o->target) {
		argv_add(&a, "--target");
		argv_add(&a, o->target);
	}
	for (int i = 0; i < o->n_publish; i++) {
		argv_add(&a, "--publish");
		argv_add(&a, o->publish[i]);
	}
	for (int i = 0; i < o->n_publish_fd; i++) {
		const char *spec = o->publish_fd[i];

		argv_add(&a, "--publish-fd");
		argv_addf(&a, "%d%s", LAUNCH_PASS_FD + i, spec + strcspn(spec, ":/"));
	}
	if (o->exit_with_pass) {
		argv_add(&a, "--exit-fd");
		argv_addf(&a, "%d", LAUNCH_PASS_FD + o->n_publish_fd);
	}
	if (o->source_ip)
		argv_add(&a, "--source-ip");
	argv_pipes(&a, o->early);
	return argv_done(&a, ret);
}

/**
 * launch_bypass_argv() - rootlet-bypass's command line
 * @o:		the netns by name, its policy's options, the published binds it takes
 * @ret:	the command line, for argv_free()
 *
 * Return: 0, or -ENOMEM
 */
int launch_bypass_argv(const struct bypass_launch *o, struct launch_argv *ret)
{
	struct launch_argv a = { 0 };

	argv_add(&a, BYPASS_BINARY);
	argv_add(&a, "--netns");
	argv_add(&a, o->netns);
	if (o->allow_host_loopback)
		argv_add(&a, "--allow-host-loopback");
	if (o->ipv6)
		argv_add(&a, "--ipv6");
	for (int i = 0; i < o->n_publish; i++) {
		argv_add(&a, "--publish");
		argv_add(&a, o->publish[i]);
	}
	if (o->debug)
		argv_add(&a, "--debug");
	argv_pipes(&a, false);
	return argv_done(&a, ret);
}

/**
 * launch_dns_argv() - rootlet-dns's command line
 * @o:		the infra's netns by name, the address it answers on, slirp's resolver or none
 * @ret:	the command line, for argv_free()
 *
 * Return: 0, or -ENOMEM
 */
int launch_dns_argv(const struct dns_launch *o, struct launch_argv *ret)
{
	struct launch_argv a = { 0 };

	argv_add(&a, DNS_BINARY);
	argv_add(&a, "--netns");
	argv_add(&a, o->netns);
	argv_add(&a, "--listen");
	argv_add(&a, o->listen);
	if (o->upstream) {
		argv_add(&a, "--upstream");
		argv_add(&a, o->upstream);
	}
	argv_pipes(&a, false);
	return argv_done(&a, ret);
}
