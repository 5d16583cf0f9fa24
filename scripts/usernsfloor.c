/* make bench's floor for `rootlet run`: CMD in a new user namespace and netns mapped from
 * /etc/subuid by newuidmap and newgidmap, as every rootless tool with subordinate ids must do
 * it, and nothing else (no network, nothing of rootlet), in C so that the figure is the
 * kernel's and the setuid helpers' own. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define ID_TEXT	   sizeof("-2147483648")
#define EXIT_SETUP 125 /* as rootlet run: the namespace could not be made */

/* newuidmap or newgidmap PID 0 OWN 1 1 START COUNT: root is the user, 1… the range. */
static pid_t map(const char *tool, pid_t pid, unsigned own, const char *start, const char *count)
{
	char pid_text[ID_TEXT], own_text[ID_TEXT];
	pid_t p = fork();

	if (p == 0) {
		snprintf(pid_text, sizeof(pid_text), "%d", (int)pid);
		snprintf(own_text, sizeof(own_text), "%u", own);
		execlp(tool, tool, pid_text, "0", own_text, "1", "1", start, count, (char *)NULL);
		_exit(EXIT_SETUP);
	}
	return p;
}

static int ok(pid_t p)
{
	int status;

	return p > 0 && waitpid(p, &status, 0) == p && WIFEXITED(status) && !WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
	int unshared[2], mapped[2], status;
	pid_t child, u, g;
	char c = 0;

	if (argc < 7 || strcmp(argv[5], "--")) {
		fprintf(stderr,
			"usage: usernsfloor UID_START UID_COUNT GID_START GID_COUNT -- CMD...\n");
		return 2;
	}
	if (pipe(unshared) < 0 || pipe(mapped) < 0)
		return EXIT_SETUP;
	child = fork();
	if (child == 0) {
		close(unshared[0]);
		close(mapped[1]);
		if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0 || write(unshared[1], &c, 1) != 1 ||
		    read(mapped[0], &c, 1) != 1)
			_exit(EXIT_SETUP);
		execvp(argv[6], argv + 6);
		_exit(errno == ENOENT ? 127 : 126);
	}
	close(unshared[1]);
	close(mapped[0]);
	if (child < 0 || read(unshared[0], &c, 1) != 1)
		return EXIT_SETUP;
	u = map("newuidmap", child, getuid(), argv[1], argv[2]);
	g = map("newgidmap", child, getgid(), argv[3], argv[4]);
	if (!ok(u) || !ok(g) || write(mapped[1], &c, 1) != 1) {
		kill(child, SIGKILL);
		return EXIT_SETUP;
	}
	close(mapped[1]);
	if (waitpid(child, &status, 0) != child)
		return EXIT_SETUP;
	return WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_SETUP;
}
