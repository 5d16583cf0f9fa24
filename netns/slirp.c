/* add --slirp and --publish: start the helpers of a netns; the resolv.conf its commands get. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"
#include "netns.h"

#define SLIRP_BINARY	  "rootlet-slirp"
#define PORTFWD_BINARY	  "rootlet-portfwd"
#define HELPER_LOG_MODE	  0600
#define HELPER_READY_FD	  3
#define HELPER_READY_MS	  10000
#define HELPER_ARGV_MAX	  (16 + 2 * NETNS_PUBLISH_MAX)
#define SLIRP_RESOLV_MODE 0644 /* read by whatever uid runs inside the netns */
#define SLIRP_DNS4	  "10.0.2.3"
#define SLIRP_DNS6	  "fd00::3"
#define SLIRP_NUM_TEXT	  16

/**
 * slirp_write_resolv() - Write <entry>/resolv.conf naming slirp's DNS forwarder
 * @cfg:	configuration (ipv6)
 * @dir_fd:	the entry's directory
 *
 * Return: 0 on success, negative errno
 */
int slirp_write_resolv(const struct netns_cfg *cfg, int dir_fd)
{
	char text[128];

	snprintf(text, sizeof(text), "nameserver %s\n%s", SLIRP_DNS4,
		 cfg->ipv6 ? "nameserver " SLIRP_DNS6 "\n" : "");
	return file_write_atomic(dir_fd, SLIRP_RESOLV_CONF, text, strlen(text), SLIRP_RESOLV_MODE);
}

/* The last line a helper logged: why it did not come up. */
static void last_log_line(int dir_fd, const char *log, char *buf, size_t len)
{
	char *text, *line, *end;

	snprintf(buf, len, "%s did not become ready", log);
	if (file_read_small(dir_fd, log, &text, NULL))
		return;
	end = text + strlen(text);
	while (end > text && end[-1] == '\n')
		*--end = '\0';
	line = strrchr(text, '\n');
	line = line ? line + 1 : text;
	if (*line)
		snprintf(buf, len, "%s", line);
	free(text);
}

static int wait_ready(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char c;
	int n;

	do
		n = poll(&pfd, 1, HELPER_READY_MS);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n < 0 ? -errno : -ETIMEDOUT;
	return read(fd, &c, 1) == 1 && c == '1' ? 0 : -ECHILD;
}

/*
 * Runs @argv (a binary of ours) detached, in a session of its own so that the user's terminal
 * going away does not take the network, logging to <entry>/@log; returns once it wrote ready.
 * On failure its last log line is the detail, and it is not left running.
 */
static int helper_launch(struct netns_cfg *cfg, int dir_fd, const char *log, char **argv)
{
	char binary[PATH_MAX];
	int pipefd[2], log_fd, err;
	pid_t pid;

	if (helper_path(argv[0], NULL, binary, sizeof(binary))) {
		snprintf(cfg->detail, sizeof(cfg->detail), "%s not found", argv[0]);
		return -ENOENT;
	}
	log_fd = openat(dir_fd, log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, HELPER_LOG_MODE);
	if (log_fd < 0)
		return -errno;
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		err = -errno;
		close(log_fd);
		return err;
	}
	pid = fork();
	if (pid < 0) {
		err = -errno;
		goto out;
	}
	if (pid == 0) {
		int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

		setsid();
		if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 ||
		    dup2(log_fd, STDOUT_FILENO) < 0 || dup2(log_fd, STDERR_FILENO) < 0 ||
		    dup2(pipefd[1], HELPER_READY_FD) < 0)
			_exit(127);
		close_range(HELPER_READY_FD + 1, ~0U, 0);
		execv(binary, argv);
		dprintf(STDERR_FILENO, "rootlet-netns: cannot run %s: %s\n", binary,
			strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	pipefd[1] = -1;
	err = wait_ready(pipefd[0]);
	if (err) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		last_log_line(dir_fd, log, cfg->detail, sizeof(cfg->detail));
	}
out:
	close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	close(log_fd);
	return err;
}

/**
 * slirp_start() - Run rootlet-slirp for the netns in @cfg with rootlet's safe defaults
 * @cfg:	configuration (name, mtu, ipv6, allow_host_loopback); detail on failure
 * @dir_fd:	the entry's directory, for the log
 *
 * Host loopback off unless asked, sandbox and seccomp on. It records itself in slirp.pid.
 *
 * Return: 0 on success, negative errno (no rootlet-slirp left running then)
 */
int slirp_start(struct netns_cfg *cfg, int dir_fd)
{
	char mtu[SLIRP_NUM_TEXT], ready[SLIRP_NUM_TEXT];
	char *argv[HELPER_ARGV_MAX];
	int argc = 0;

	snprintf(mtu, sizeof(mtu), "%u", cfg->mtu);
	snprintf(ready, sizeof(ready), "%d", HELPER_READY_FD);
	argv[argc++] = SLIRP_BINARY;
	argv[argc++] = "--netns";
	argv[argc++] = (char *)cfg->name;
	argv[argc++] = "--mtu";
	argv[argc++] = mtu;
	argv[argc++] = "--enable-sandbox";
	argv[argc++] = "--enable-seccomp";
	if (!cfg->allow_host_loopback)
		argv[argc++] = "--disable-host-loopback";
	if (cfg->ipv6)
		argv[argc++] = "--enable-ipv6";
	argv[argc++] = "--ready-fd";
	argv[argc++] = ready;
	argv[argc] = NULL;
	return helper_launch(cfg, dir_fd, "slirp.log", argv);
}

/**
 * portfwd_start() - Run rootlet-portfwd for the netns in @cfg with its --publish forwards
 * @cfg:	configuration (name, publish); detail on failure
 * @dir_fd:	the entry's directory, for the log
 *
 * It records itself in portfwd.pid and serves portfwd.sock.
 *
 * Return: 0 on success, negative errno (no rootlet-portfwd left running then)
 */
int portfwd_start(struct netns_cfg *cfg, int dir_fd)
{
	char *argv[HELPER_ARGV_MAX], ready[SLIRP_NUM_TEXT];
	int argc = 0;

	snprintf(ready, sizeof(ready), "%d", HELPER_READY_FD);
	argv[argc++] = PORTFWD_BINARY;
	argv[argc++] = "--netns";
	argv[argc++] = (char *)cfg->name;
	for (int i = 0; i < cfg->n_publish; i++) {
		argv[argc++] = "--publish";
		argv[argc++] = (char *)cfg->publish[i];
	}
	if (cfg->source_ip)
		argv[argc++] = "--source-ip";
	argv[argc++] = "--ready-fd";
	argv[argc++] = ready;
	argv[argc] = NULL;
	return helper_launch(cfg, dir_fd, "portfwd.log", argv);
}
