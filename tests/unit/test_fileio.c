/* Unit tests of lib/fileio: the sweep of the temporary files killed writers left, reads bounded. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "unit.h"

#define FILE_MODE 0600

/* A scratch directory with @names in it, empty files. */
static int scratch(char *path, size_t len, const char *const *names, size_t n)
{
	int fd;

	snprintf(path, len, "/tmp/rootlet-unit-fileio.XXXXXX");
	if (!mkdtemp(path) || (fd = open(path, DIR_OPEN_FLAGS)) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		close(openat(fd, names[i], O_WRONLY | O_CREAT | O_CLOEXEC, FILE_MODE));
	return fd;
}

static bool present(int dir_fd, const char *name)
{
	return faccessat(dir_fd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

static void scratch_remove(const char *path, int fd)
{
	dir_remove_contents(fd);
	close(fd);
	rmdir(path);
}

TEST(sweep_of_a_name_takes_its_temporary_files_only)
{
	static const char *const names[] = { "hosts",	      "~hosts.tmp.12", "~hosts.tmp.345",
					     "~hostsx.tmp.1", "~other.tmp.2",  "hosts.tmp.3" };
	char path[64];
	int fd = scratch(path, sizeof(path), names, sizeof(names) / sizeof(*names));

	CHECK(fd >= 0);
	file_sweep_tmp(fd, "hosts");
	CHECK(present(fd, "hosts"));
	CHECK(!present(fd, "~hosts.tmp.12") && !present(fd, "~hosts.tmp.345"));
	CHECK(present(fd, "~hostsx.tmp.1") && present(fd, "~other.tmp.2"));
	CHECK(present(fd, "hosts.tmp.3"));
	scratch_remove(path, fd);
}

TEST(sweep_of_a_pattern_takes_every_match_and_no_record)
{
	/* ".n.json.tmp.x" is the record of a network named ".n.json.tmp": names may hold that. */
	static const char *const names[] = { "a.json",	      "~a.json.tmp.7",	"~.json.tmp.8",
					     ".n.json.tmp.x", "~a.jsonx.tmp.9", "~lock" };
	char path[64];
	int fd = scratch(path, sizeof(path), names, sizeof(names) / sizeof(*names));

	CHECK(fd >= 0);
	file_sweep_tmp(fd, "*.json");
	CHECK(!present(fd, "~a.json.tmp.7") && !present(fd, "~.json.tmp.8"));
	CHECK(present(fd, "a.json") && present(fd, ".n.json.tmp.x"));
	CHECK(present(fd, "~a.jsonx.tmp.9") && present(fd, "~lock"));
	scratch_remove(path, fd);
}

/* A file of @len bytes 'x' in @dir_fd. */
static bool fill(int dir_fd, const char *name, size_t len)
{
	char *text = malloc(len);
	int fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, FILE_MODE);
	bool done =
		text && fd >= 0 && (memset(text, 'x', len), write(fd, text, len)) == (ssize_t)len;

	close(fd);
	free(text);
	return done;
}

TEST(a_read_takes_a_file_of_its_most_bytes_and_refuses_one_more)
{
	static const size_t maxes[] = { 100, 4095, 4096, 5000, 8191 };
	char path[64], *text;
	size_t len;
	int fd = scratch(path, sizeof(path), NULL, 0);

	CHECK(fd >= 0);
	for (size_t i = 0; i < sizeof(maxes) / sizeof(*maxes); i++) {
		CHECK(fill(fd, "f", maxes[i]));
		text = NULL;
		CHECK(file_read_max(fd, "f", maxes[i], &text, &len) == 0 && len == maxes[i] &&
		      text[len] == '\0');
		free(text);
		CHECK(fill(fd, "f", maxes[i] + 1));
		CHECK(file_read_max(fd, "f", maxes[i], &text, &len) == -EFBIG);
	}
	scratch_remove(path, fd);
}

TEST(a_growing_buffer_doubles_until_its_limit)
{
	size_t cap = 8;
	char *buf = malloc(cap);

	CHECK(buf_reserve(&buf, &cap, 6, 32) == 0 && cap == 8); /* room for a byte and a NUL */
	CHECK(buf_reserve(&buf, &cap, 7, 32) == 0 && cap == 16);
	CHECK(buf_reserve(&buf, &cap, 15, 32) == 0 && cap == 32);
	CHECK(buf_reserve(&buf, &cap, 31, 32) == -EFBIG && cap == 32);
	free(buf);
}

UNIT_MAIN("fileio", T(sweep_of_a_name_takes_its_temporary_files_only),
	  T(sweep_of_a_pattern_takes_every_match_and_no_record),
	  T(a_read_takes_a_file_of_its_most_bytes_and_refuses_one_more),
	  T(a_growing_buffer_doubles_until_its_limit))
