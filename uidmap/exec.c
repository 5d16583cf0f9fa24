/* rootlet-uidmap exec: run a command as root of a new mapped user namespace. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "uidmap.h"

/*
 * The maps of a user namespace must be written from its parent namespace, but the process
 * that runs the command should be this one, so that its exit status and the signals sent to
 * it need no relaying. So a child, left in the parent namespace, maps us once we unshared.
 */
static void __attribute__((noreturn))
mapper(struct uidmap_cfg *cfg, pid_t target, int go_fd, int why_fd)
{
	char go;
	int err;

	if (read(go_fd, &go, 1) != 1)
		_exit(1);
	err = usermap_apply(target, &cfg->map, &cfg->err);
	/* The error crosses to the parent as it is: its code and text. */
	if (err && write(why_fd, &cfg->err, sizeof(cfg->err)) < 0)
		_exit(1);
	_exit(err ? 1 : 0);
}

static int wait_mapper(struct uidmap_cfg *cfg, pid_t child, int why_fd)
{
	ssize_t n;
	int status;

	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	n = read(why_fd, &cfg->err, sizeof(cfg->err));
	if (n != (ssize_t)sizeof(cfg->err) || cfg->err.code >= 0)
		return err_make(&cfg->err, -EPERM, "mapping the user namespace failed");
	cfg->err.text[sizeof(cfg->err.text) - 1] = '\0';
	return err_wrap(&cfg->err, -EPERM, "mapping the user namespace");
}

/**
 * uidmap_exec() - Replace this process with cfg->cmd, root in a new mapped userns and a
 *		   private mount namespace
 * @cfg:	configuration, with the map and cmd
 *
 * Return: only on failure, a negative errno with cfg->err set
 */
int uidmap_exec(struct uidmap_cfg *cfg)
{
	int go[2] = { -1, -1 }, why[2] = { -1, -1 }, err = 0;
	pid_t self = getpid(), child;

	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(why, O_CLOEXEC) < 0) {
		err = -errno;
		goto out;
	}
	child = fork();
	if (child < 0) {
		err = -errno;
		goto out;
	}
	if (child == 0) {
		close(go[1]);
		close(why[0]);
		mapper(cfg, self, go[0], why[1]);
	}
	close(go[0]);
	close(why[1]);
	go[0] = why[1] = -1;

	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
		err = -errno;
		err_errno(&cfg->err, err, "unshare");
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		goto out;
	}
	if (write(go[1], "g", 1) != 1) {
		err = -errno;
		goto out;
	}
	if ((err = wait_mapper(cfg, child, why[0])))
		goto out;

	/* Supplementary groups from outside would show as nobody; drop them where allowed. */
	if (cfg->map.full && setgroups(0, NULL) < 0) {
		err = -errno;
		err_errno(&cfg->err, err, "setgroups");
		goto out;
	}
	/* Mounts made inside must not propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		err = -errno;
		err_errno(&cfg->err, err, "making mounts private");
		goto out;
	}
	execvp(cfg->cmd[0], cfg->cmd);
	err = -errno;
	cfg->cmd_failed = true;
	err_errno(&cfg->err, err, "%s", cfg->cmd[0]);
out:
	for (int i = 0; i < 2; i++) {
		if (go[i] >= 0)
			close(go[i]);
		if (why[i] >= 0)
			close(why[i]);
	}
	return err;
}
