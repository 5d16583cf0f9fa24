/* Running one of our binaries for what it writes on one stream (its output, or its error). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture.h"

#define CAPTURE_MAX   (1024 * 1024) /* more than any verb's --json prints */
#define CAPTURE_START 4096

/**
 * capture_run() - Run a binary and collect one of its streams; the other goes to /dev/null
 * @path:	the binary
 * @argv:	its arguments, argv[0] included
 * @stream:	STDOUT_FILENO or STDERR_FILENO
 * @ret_text:	what it wrote, NUL-terminated, to free(); NULL if it could not run
 *
 * A binary that cannot be run says so on @stream ("PATH: why") and exits CAPTURE_EXEC_FAILED.
 *
 * Return: its exit status (128 + N for signal N), or a negative errno
 */
int capture_run(const char *path, char *const argv[], int stream, char **ret_text)
{
	size_t used = 0, size = CAPTURE_START;
	char *text = malloc(size);
	int pipefd[2], status;
	pid_t pid;
	ssize_t n;

	*ret_text = NULL;
	if (!text || pipe2(pipefd, O_CLOEXEC) < 0) {
		free(text);
		return -errno;
	}
	pid = fork();
	if (pid == 0) {
		int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);

		dup2(null_fd, STDIN_FILENO);
		dup2(null_fd, stream == STDOUT_FILENO ? STDERR_FILENO : STDOUT_FILENO);
		dup2(pipefd[1], stream);
		execv(path, argv);
		dprintf(stream, "%s: %s\n", path, strerror(errno));
		_exit(CAPTURE_EXEC_FAILED);
	}
	close(pipefd[1]);
	while (pid > 0 && (n = read(pipefd[0], text + used, size - used - 1)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		used += (size_t)n;
		if (used + 1 == size && size < CAPTURE_MAX) {
			char *grown = realloc(text, size * 2);

			if (!grown)
				break;
			text = grown;
			size *= 2;
		} else if (used + 1 == size) {
			break;
		}
	}
	close(pipefd[0]);
	text[used] = '\0';
	if (pid < 0) {
		free(text);
		return -errno;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			free(text);
			return -errno;
		}
	*ret_text = text;
	return WIFEXITED(status) ? WEXITSTATUS(status) : CAPTURE_SIGNALED + WTERMSIG(status);
}
