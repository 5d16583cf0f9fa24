/* Unit tests of building a netns entry out of sight: the lock, the rename, the sweep. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "entry_build.h"
#include "fileio.h"
#include "state.h"
#include "unit.h"

#define NO_SUCH_PID 2147483646 /* no ~add. directory has it */

static int root_make(char *path)
{
	strcpy(path, "/tmp/rootlet-unit-XXXXXX");
	if (!mkdtemp(path))
		return -1;
	return open(path, DIR_OPEN_FLAGS);
}

static void root_remove(const char *path, int root_fd)
{
	dir_remove_contents(root_fd);
	close(root_fd);
	rmdir(path);
}

static bool exists_at(int root_fd, const char *name)
{
	return !faccessat(root_fd, name, F_OK, AT_SYMLINK_NOFOLLOW);
}

TEST(a_build_is_private_locked_and_swept_only_once_its_builder_is_gone)
{
	char root[PATH_MAX];
	int root_fd = root_make(root);
	struct entry_build b;
	struct stat st;
	char want[ENTRY_TMP_MAX];

	CHECK(root_fd >= 0);
	CHECK(entry_build_begin(root_fd, &b) == 0);
	snprintf(want, sizeof(want), ENTRY_TMP_PREFIX "%d", (int)getpid());
	CHECK(!strcmp(b.tmp, want));
	CHECK(fstatat(root_fd, b.tmp, &st, AT_SYMLINK_NOFOLLOW) == 0);
	CHECK(S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0700);
	CHECK(exists_at(b.dir_fd, STATE_LOCK));
	/* Its lock held (as by a builder alive): left alone. */
	CHECK(entry_build_sweep(root_fd, getpid()) == 0);
	CHECK(exists_at(root_fd, b.tmp));
	/* Its builder gone (the lock released): swept, once. */
	entry_build_close(&b);
	CHECK(entry_build_sweep(root_fd, getpid()) == 1);
	CHECK(!exists_at(root_fd, want));
	CHECK(entry_build_sweep(root_fd, getpid()) == 0);
	CHECK(entry_build_sweep(root_fd, NO_SUCH_PID) == 0);
	root_remove(root, root_fd);
}

TEST(publish_renames_and_never_replaces)
{
	char root[PATH_MAX], target[64], got[64];
	int root_fd = root_make(root), dir_fd;
	struct entry_build b;
	ssize_t n;

	CHECK(root_fd >= 0);
	CHECK(entry_build_begin(root_fd, &b) == 0);
	CHECK(entry_build_link(b.dir_fd, 4242) == 0);
	CHECK(entry_build_publish(&b, "web") == 0);
	entry_build_close(&b);
	CHECK(!exists_at(root_fd, b.tmp) && exists_at(root_fd, "web"));
	dir_fd = openat(root_fd, "web", DIR_OPEN_FLAGS);
	CHECK(dir_fd >= 0);
	snprintf(target, sizeof(target), "/proc/%d/ns/%s", 4242, STATE_NET);
	n = readlinkat(dir_fd, STATE_NET, got, sizeof(got) - 1);
	CHECK(n > 0 && (got[n] = '\0', !strcmp(got, target)));
	snprintf(target, sizeof(target), "/proc/%d/ns/%s", 4242, STATE_USER);
	n = readlinkat(dir_fd, STATE_USER, got, sizeof(got) - 1);
	CHECK(n > 0 && (got[n] = '\0', !strcmp(got, target)));
	close(dir_fd);

	/* A second build of the same name loses the race: refused, and discarded whole. */
	CHECK(entry_build_begin(root_fd, &b) == 0);
	CHECK(entry_build_publish(&b, "web") == -EEXIST);
	CHECK(entry_build_discard(&b) == 0);
	entry_build_close(&b);
	CHECK(!exists_at(root_fd, b.tmp) && exists_at(root_fd, "web"));
	dir_fd = openat(root_fd, "web", DIR_OPEN_FLAGS);
	CHECK(dir_fd >= 0 && dir_remove_contents(dir_fd) == 0);
	close(dir_fd);
	CHECK(unlinkat(root_fd, "web", AT_REMOVEDIR) == 0);
	root_remove(root, root_fd);
}

UNIT_MAIN("entry_build", T(a_build_is_private_locked_and_swept_only_once_its_builder_is_gone),
	  T(publish_renames_and_never_replaces))
