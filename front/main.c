/* rootlet: the front door. `rootlet VERB ...` runs rootlet-VERB ...; run, doctor are its own. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "binpath.h"
#include "err.h"
#include "front.h"
#include "log.h"

static void usage(void)
{
	printf("Usage: rootlet VERB [ARGS]...\n"
	       "Rootless container networking, one small binary per job.\n"
	       "\n"
	       "Verbs:\n"
	       "  netns     persistent rootless network namespaces (rootlet-netns)\n"
	       "  uidmap    user namespaces mapped from /etc/subuid and /etc/subgid "
	       "(rootlet-uidmap)\n"
	       "  slirp     user-mode networking for a netns, slirp4netns-compatible "
	       "(rootlet-slirp)\n"
	       "  portfwd   host to netns port forwarding (rootlet-portfwd)\n"
	       "  network   shared networks for many containers (rootlet-network)\n"
	       "  run [--name NAME] [--publish SPEC]... [--publish-fd FD[:PORT][/PROTO]]...\n"
	       "      [--mtu N] [--ipv6] [--allow-host-loopback] [--bypass] [--keep]\n"
	       "      [--notify=relay|network|none] -- CMD...\n"
	       "  run --network NET [--ip IP] [--alias A]... [--name NAME] [--keep] -- CMD...\n"
	       "            run CMD as root of a mapped user namespace, in a netns with slirp and "
	       "the\n"
	       "            forwards; everything is torn down when CMD exits (unless --keep). "
	       "Sockets\n"
	       "            of LISTEN_FDS reach CMD with their numbers; NOTIFY_SOCKET is relayed.\n"
	       "            --bypass: CMD's connect() and bind() go through rootlet-bypass, at\n"
	       "            the kernel's speed (--publish ports are bound by CMD itself)\n"
	       "            With --network, CMD's netns is attached to network NET\n"
	       "            (rootlet-network alloc), and deallocated when CMD exits\n"
	       "  doctor    check this machine and user for rootless networking [--json]\n"
	       "  help      this text\n"
	       "\n"
	       "Exit: a verb's own status; run: CMD's, 125 if the netns cannot be made; doctor: 0 "
	       "if\n"
	       "no check fails, 1 if one does; 2 usage.\n"
	       "See rootlet(1).\n");
}

/* `rootlet VERB ARGS...` is `rootlet-VERB ARGS...`, the same process. */
static int exec_verb(const char *verb, char **argv)
{
	char name[NAME_MAX], path[PATH_MAX];
	struct err e = { 0 };
	int err;

	snprintf(name, sizeof(name), "rootlet-%s", verb);
	if ((err = binary_path(name, NULL, path, sizeof(path)))) {
		err_errno(&e, err, "%s", name);
		log_error("%s", err_text(&e));
		return err == -ENOENT ? FRONT_EXIT_NOT_FOUND : FRONT_EXIT_RUN;
	}
	argv[0] = name;
	execv(path, argv);
	err = -errno;
	err_errno(&e, err, "%s", path);
	log_error("%s", err_text(&e));
	return err == -ENOENT ? FRONT_EXIT_NOT_FOUND : FRONT_EXIT_CANNOT_RUN;
}

int main(int argc, char **argv)
{
	static const char *const passed[] = { "netns", "uidmap", "slirp", "portfwd", "network" };
	const char *verb;

	if (argc < 2) {
		log_error("no verb given; see 'rootlet help'");
		return FRONT_EXIT_USAGE;
	}
	verb = argv[1];
	if (!strcmp(verb, "help") || !strcmp(verb, "-h") || !strcmp(verb, "--help")) {
		usage();
		return 0;
	}
	if (!strcmp(verb, "--version") || !strcmp(verb, "-V")) {
		printf("rootlet %s\n", ROOTLET_VERSION);
		return 0;
	}
	if (!strcmp(verb, "run"))
		return front_run(argc - 1, argv + 1);
	if (!strcmp(verb, "doctor"))
		return front_doctor(argc - 1, argv + 1);
	if (!strcmp(verb, "teardown"))
		return front_teardown(argc - 1, argv + 1);
	for (size_t i = 0; i < sizeof(passed) / sizeof(passed[0]); i++)
		if (!strcmp(verb, passed[i]))
			return exec_verb(verb, argv + 1);
	log_error("unknown verb '%s'; see 'rootlet help'", verb);
	return FRONT_EXIT_USAGE;
}
