/* rootlet run: CMD in a fresh netns with slirp and its forwards, gone when CMD ends. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "binpath.h"
#include "fileio.h"
#include "fwdspec.h"
#include "front.h"
#include "log.h"
#include "sdnotify.h"
#include "state.h"
#include "state_entry.h"

#define RUN_ARGS_MAX  256 /* netns add's arguments: --publish and its kind, two each */
#define RUN_FD_MOVE   64  /* fds handed to teardown are moved above LISTEN_FDS's first */
#define RUN_NAME_MAX  32
#define RUN_ADD_FIXED 3 /* add NAME --slirp */
#define RUN_PID_TEXT  sizeof("-2147483648")

enum notify_mode {
	NOTIFY_AUTO, /* relay when NOTIFY_SOCKET is set */
	NOTIFY_RELAY,
	NOTIFY_NETWORK,
	NOTIFY_NONE,
};

struct run_cfg {
	const char *name;
	char name_buf[RUN_NAME_MAX];
	char *add[RUN_ARGS_MAX]; /* rootlet-netns add NAME --slirp ... */
	int n_add;
	bool keep;
	bool publish_fd;
	bool bypass;	     /* --bypass: CMD under rootlet-bypass (rootlet-netns exec --bypass) */
	const char *network; /* --network NET: alloc'd on it instead of a netns of its own */
	char *alloc[RUN_ARGS_MAX]; /* rootlet-network alloc NET NAME --ip ... --alias ... */
	int n_alloc;
	char network_bin[PATH_MAX];
	enum notify_mode notify;
	char **cmd;
	char netns[PATH_MAX];
	int relay_fd, to_fd;	  /* the relay socket given to CMD, the real one; or -1 */
	char owner[RUN_PID_TEXT]; /* add --owner: this process, soon CMD */
	pid_t teardown;		  /* the companion, once forked */
	struct err err;		  /* what failed, for front_run() to print */
};

static int usage_error(const char *fmt, const char *arg)
{
	struct err e = { 0 };

	err_make(&e, -EINVAL, fmt, arg);
	log_error("run: %s; see 'rootlet help'", err_text(&e));
	return -EINVAL;
}

/* The one line of a failure after the command line: "rootlet: run: <what>: <why>". */
static int run_failed(struct run_cfg *cfg, int status)
{
	log_error("run: %s", err_text(&cfg->err));
	return status;
}

static int parse_notify(struct run_cfg *cfg, const char *mode)
{
	static const char *const modes[] = {
		[NOTIFY_RELAY] = "relay", [NOTIFY_NETWORK] = "network", [NOTIFY_NONE] = "none"
	};

	for (int m = NOTIFY_RELAY; m <= NOTIFY_NONE; m++)
		if (!strcmp(mode, modes[m])) {
			cfg->notify = (enum notify_mode)m;
			return 0;
		}
	return usage_error("--notify '%s': relay, network or none", mode);
}

/* Options up to "--" or the first word that is not one; CMD after. */
static int parse(int argc, char **argv, struct run_cfg *cfg)
{
	int i;

	cfg->add[cfg->n_add++] = "add";
	cfg->add[cfg->n_add++] = NULL; /* the name, once known */
	cfg->add[cfg->n_add++] = "--slirp";
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool valued = !strcmp(a, "--publish") || !strcmp(a, "--mtu") ||
			      !strcmp(a, "--publish-fd");

		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (cfg->n_add + 2 >= RUN_ARGS_MAX)
			return usage_error("%s: too many options", a);
		if (valued || !strcmp(a, "--name") || !strcmp(a, "--notify") ||
		    !strcmp(a, "--network") || !strcmp(a, "--ip") || !strcmp(a, "--alias")) {
			if (i + 1 >= argc)
				return usage_error("%s needs a value", a);
			if (!strcmp(a, "--name"))
				cfg->name = argv[++i];
			else if (!strcmp(a, "--network"))
				cfg->network = argv[++i];
			else if (!strcmp(a, "--ip") || !strcmp(a, "--alias")) {
				cfg->alloc[cfg->n_alloc++] = argv[i];
				cfg->alloc[cfg->n_alloc++] = argv[++i];
			} else if (!strcmp(a, "--notify") && parse_notify(cfg, argv[++i]))
				return -EINVAL;
			else if (valued) {
				struct err why = { 0 };

				/* Parsed here: a bad SPEC is ours to refuse, before add. */
				if (!strcmp(a, "--publish") &&
				    spec_check_publish(argv[i + 1], &why))
					return usage_error("%s", err_text(&why));
				cfg->publish_fd |= !strcmp(a, "--publish-fd");
				cfg->add[cfg->n_add++] = argv[i];
				cfg->add[cfg->n_add++] = argv[++i];
			}
		} else if (!strncmp(a, "--notify=", strlen("--notify="))) {
			if (parse_notify(cfg, a + strlen("--notify=")))
				return -EINVAL;
		} else if (!strcmp(a, "--ipv6") || !strcmp(a, "--allow-host-loopback") ||
			   !strcmp(a, "--bypass")) {
			cfg->bypass |= !strcmp(a, "--bypass");
			cfg->add[cfg->n_add++] = argv[i];
		} else if (!strcmp(a, "--keep")) {
			cfg->keep = true;
		} else if (a[0] == '-') {
			return usage_error("unknown option '%s'", a);
		} else {
			break;
		}
	}
	if (i >= argc)
		return usage_error("%s", "command missing after --");
	if (cfg->n_alloc && !cfg->network)
		return usage_error("%s", "--ip and --alias go with --network");
	/* On a network, the network's infra has the one slirp; forwards are not there yet. */
	if (cfg->network && cfg->n_add > RUN_ADD_FIXED)
		return usage_error("%s", "--network takes --ip and --alias, not the options of a "
					 "netns of its own");
	cfg->cmd = argv + i;
	if (!cfg->name || !cfg->name[0]) {
		snprintf(cfg->name_buf, sizeof(cfg->name_buf), "run-%d", (int)getpid());
		cfg->name = cfg->name_buf;
	}
	cfg->add[1] = (char *)cfg->name;
	/* The netns is this process's (CMD's) from its making: its holder ends with CMD. */
	if (!cfg->keep) {
		snprintf(cfg->owner, sizeof(cfg->owner), "%d", (int)getpid());
		cfg->add[cfg->n_add++] = "--owner";
		cfg->add[cfg->n_add++] = cfg->owner;
	}
	cfg->add[cfg->n_add] = NULL;
	return 0;
}

/*
 * rootlet-netns add (or, with --network, rootlet-network alloc), waited for. Sockets of
 * LISTEN_FDS meant for us are its too (a --publish-fd may name one): LISTEN_PID is made its own.
 */
static int add_netns(struct run_cfg *cfg)
{
	char *argv[RUN_ARGS_MAX + 7] = { cfg->netns };
	char me_text[sizeof("-2147483648")];
	const char *listen_pid = getenv("LISTEN_PID");
	bool ours = listen_pid && strtol(listen_pid, NULL, 10) == (long)getpid();
	int status;
	pid_t pid;

	if (cfg->network) {
		/*
		 * rootlet-network alloc NET NAME [--ip IP] [--alias A]... --owner US: its result
		 * not ours. The netns is ours (soon CMD's) from its making: killed at any point
		 * from here, its holder ends with us and gc detaches it.
		 */
		int n = 4 + cfg->n_alloc;

		argv[0] = cfg->network_bin;
		argv[1] = "alloc";
		argv[2] = (char *)cfg->network;
		argv[3] = (char *)cfg->name;
		memcpy(argv + 4, cfg->alloc, (size_t)cfg->n_alloc * sizeof(*argv));
		if (!cfg->keep) {
			snprintf(me_text, sizeof(me_text), "%d", (int)getpid());
			argv[n++] = "--owner";
			argv[n++] = me_text;
		}
		argv[n] = NULL;
	} else {
		memcpy(argv + 1, cfg->add, (size_t)cfg->n_add * sizeof(*argv));
	}
	pid = fork();
	if (pid == 0) {
		char me[sizeof("-2147483648")];
		int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

		if (ours) {
			snprintf(me, sizeof(me), "%d", (int)getpid());
			setenv("LISTEN_PID", me, 1);
		}
		if (cfg->network && null_fd >= 0)
			dup2(null_fd, STDOUT_FILENO);
		execv(argv[0], argv);
		err_errno(&cfg->err, -errno, "%s", argv[0]);
		_exit(run_failed(cfg, FRONT_EXIT_NOT_FOUND));
	}
	if (pid < 0)
		return -errno;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ECHILD;
}

/* The relay socket CMD is given: in the entry, where CMD (the user, mapped) can reach it. */
static int open_relay(struct run_cfg *cfg)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct state_entry entry;
	char path[PATH_MAX];
	int one = 1, err;
	mode_t mask;

	if ((err = state_entry_find(cfg->name, &entry, &cfg->err)) ||
	    (err = state_entry_path(path, sizeof(path), entry.root, cfg->name,
				    STATE_NOTIFY_SOCKET)))
		return err;
	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, path);
	cfg->relay_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (cfg->relay_fd < 0)
		return -errno;
	if (setsockopt(cfg->relay_fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
		return -errno;
	/* 0600, as every socket of the state (the entry's directory is 0700 too). */
	mask = umask(~(mode_t)STATE_FILE_MODE & 0777);
	err = bind(cfg->relay_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ? -errno : 0;
	umask(mask);
	if (err)
		return err;
	setenv(SDNOTIFY_ENV, path, 1);
	return 0;
}

/* systemd's side, by --notify: relay CMD's datagrams, or say READY=1 ourselves now. */
static int setup_notify(struct run_cfg *cfg)
{
	int err;

	if (!getenv(SDNOTIFY_ENV) || cfg->notify == NOTIFY_NONE) {
		unsetenv(SDNOTIFY_ENV);
		return 0;
	}
	if ((err = sdnotify_open(&cfg->to_fd)))
		return err;
	if (cfg->notify == NOTIFY_NETWORK) {
		/* This process becomes CMD: the main pid stays the same one. */
		err = sdnotify_ready(cfg->to_fd);
		close(cfg->to_fd);
		cfg->to_fd = -1;
		return err;
	}
	return open_relay(cfg);
}

/* Fork `rootlet teardown`: it waits for this process (CMD, soon) to end. */
static int start_teardown(struct run_cfg *cfg)
{
	char self[PATH_MAX], pid_text[sizeof("-2147483648")], fd_text[3][sizeof("-1 ")];
	int pidfd = pidfd_open(getpid(), 0), fds[3], moved[3], err;
	pid_t pid;

	if (pidfd < 0)
		return -errno;
	if ((err = binary_path("rootlet", NULL, self, sizeof(self)))) {
		close(pidfd);
		return err;
	}
	fcntl(pidfd, F_SETFD, FD_CLOEXEC);
	fds[0] = pidfd;
	fds[1] = cfg->relay_fd;
	fds[2] = cfg->to_fd;
	snprintf(pid_text, sizeof(pid_text), "%d", (int)getpid());
	pid = fork();
	if (pid == 0) {
		int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);

		setsid();
		for (int i = 0; i < 3; i++)
			moved[i] = fds[i] < 0 ? -1 : fcntl(fds[i], F_DUPFD_CLOEXEC, RUN_FD_MOVE);
		if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 ||
		    dup2(null_fd, STDOUT_FILENO) < 0 || dup2(null_fd, STDERR_FILENO) < 0)
			_exit(1);
		for (int i = 0; i < 3; i++) {
			if (moved[i] >= 0 && dup2(moved[i], STDERR_FILENO + 1 + i) < 0)
				_exit(1);
			snprintf(fd_text[i], sizeof(fd_text[i]), "%d",
				 moved[i] < 0 ? -1 : STDERR_FILENO + 1 + i);
		}
		/* Not the activated sockets nor CMD's terminal: only what it needs. */
		close_range(STDERR_FILENO + 4, ~0U, 0);
		for (int i = 0; i < 3; i++)
			if (moved[i] < 0)
				close(STDERR_FILENO + 1 + i);
		if (cfg->network && !cfg->keep)
			execv(self, (char *[]){ "rootlet", "teardown", pid_text, fd_text[0],
						fd_text[1], fd_text[2], "dealloc", cfg->network_bin,
						(char *)cfg->name, (char *)cfg->network, NULL });
		execv(self, (char *[]){ "rootlet", "teardown", pid_text, fd_text[0], fd_text[1],
					fd_text[2], cfg->keep ? "keep" : "del", cfg->netns,
					(char *)cfg->name, NULL });
		_exit(1);
	}
	close(pidfd);
	if (pid < 0)
		return -errno;
	cfg->teardown = pid;
	return 0;
}

/*
 * The teardown joins CMD among the entry's owners: gc removes an entry both have left (a root
 * netns has no holder to end with CMD). CMD (we) went in as add (or alloc) made it.
 */
static int record_owners(struct run_cfg *cfg)
{
	struct state_entry entry;
	int err;

	if ((err = state_entry_open(cfg->name, &entry, &cfg->err)))
		return err_wrap(&cfg->err, err, "recording the teardown as an owner");
	if ((err = state_owner_add(entry.dir_fd, cfg->teardown)))
		err_wrap(&cfg->err, err, "recording the teardown as an owner of %s",
			 entry.path.dir);
	state_entry_close(&entry);
	return err;
}

static void undo(struct run_cfg *cfg)
{
	pid_t pid = fork();

	if (pid == 0 && cfg->network)
		execv(cfg->network_bin,
		      (char *[]){ cfg->network_bin, "dealloc", (char *)cfg->network,
				  (char *)cfg->name, NULL });
	if (pid == 0) {
		execv(cfg->netns, (char *[]){ cfg->netns, "del", (char *)cfg->name, NULL });
		_exit(FRONT_EXIT_NOT_FOUND);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

/**
 * front_run() - `rootlet run [OPTIONS] -- CMD...`
 * @argc:	count, "run" included
 * @argv:	arguments
 *
 * This process becomes CMD (through rootlet-netns exec): its exit status, its signals
 * (Ctrl-C, SIGTERM), its terminal and its pid (LISTEN_PID, MAINPID) are CMD's own.
 *
 * Return: only on failure: 2 usage, 125 the netns or its companion could not be set up,
 *	   126/127 rootlet-netns exec could not run
 */
int front_run(int argc, char **argv)
{
	struct run_cfg cfg = { .relay_fd = -1, .to_fd = -1 };
	int err;

	if (parse(argc, argv, &cfg))
		return FRONT_EXIT_USAGE;
	if ((err = binary_path("rootlet-netns", NULL, cfg.netns, sizeof(cfg.netns))) ||
	    (cfg.network && (err = binary_path("rootlet-network", NULL, cfg.network_bin,
					       sizeof(cfg.network_bin))))) {
		err_wrap(&cfg.err, err, "our binaries");
		return run_failed(&cfg, FRONT_EXIT_RUN);
	}
	if (add_netns(&cfg))
		return FRONT_EXIT_RUN; /* rootlet-netns add said why */
	if ((err = setup_notify(&cfg)) ||
	    ((!cfg.keep || cfg.relay_fd >= 0) && (err = start_teardown(&cfg)))) {
		err_wrap(&cfg.err, err, "%s", cfg.relay_fd >= 0 ? "notify relay" : "teardown");
		if (!cfg.keep)
			undo(&cfg);
		return run_failed(&cfg, FRONT_EXIT_RUN);
	}
	/* On failure the teardown, already waiting for us, removes the entry as we exit. */
	if (!cfg.keep && record_owners(&cfg))
		return run_failed(&cfg, FRONT_EXIT_RUN);
	if (cfg.relay_fd >= 0)
		close(cfg.relay_fd);
	if (cfg.to_fd >= 0)
		close(cfg.to_fd);
	/* A socket handed to the netns's forwarder is not CMD's to take as well. */
	if (cfg.publish_fd) {
		unsetenv("LISTEN_FDS");
		unsetenv("LISTEN_FDNAMES");
		unsetenv("LISTEN_PID");
	}
	{
		char *exec_argv[5 + argc];
		int n = 0;

		exec_argv[n++] = cfg.netns;
		exec_argv[n++] = "exec";
		exec_argv[n++] = (char *)cfg.name;
		if (cfg.bypass)
			exec_argv[n++] = "--bypass";
		exec_argv[n++] = "--";
		for (char **c = cfg.cmd; *c; c++)
			exec_argv[n++] = *c;
		exec_argv[n] = NULL;
		execv(cfg.netns, exec_argv);
	}
	err = -errno;
	err_errno(&cfg.err, err, "%s", cfg.netns);
	return run_failed(&cfg, err == -ENOENT ? FRONT_EXIT_NOT_FOUND : FRONT_EXIT_CANNOT_RUN);
}
