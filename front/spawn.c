/* The binaries the front door composes: where they are, and running one for its output. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "front.h"

#define CAPTURE_MAX (1024 * 1024) /* more than any verb's --json prints */

/**
 * front_binary() - The path of one of our binaries: beside this one, as make and make install
 *		    put them
 * @name:	"rootlet-netns", ...
 * @buf:	the path
 * @len:	size of @buf
 *
 * Return: 0, or -ENAMETOOLONG
 */
int front_binary(const char *name, char *buf, size_t len)
{
	char self[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return -errno;
	self[n] = '\0';
	slash = strrchr(self, '/');
	*slash = '\0';
	if ((size_t)snprintf(buf, len, "%s/%s", self, name) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/**
 * front_capture() - Run @argv and collect one of its streams; the other goes to /dev/null
 * @argv:	a path and its arguments
 * @stream:	STDOUT_FILENO or STDERR_FILENO
 * @ret_text:	what it wrote, NUL-terminated, to free(); NULL if it could not run
 *
 * Return: its exit status, 127 if it could not be run, or a negative errno
 */
int front_capture(char *const argv[], int stream, char **ret_text)
{
	size_t used = 0, size = 4096;
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
		execv(argv[0], argv);
		_exit(127);
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
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* One line on standard error, "rootlet: ..." */
void front_error(const char *fmt, ...)
{
	va_list ap;

	fputs("rootlet: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
