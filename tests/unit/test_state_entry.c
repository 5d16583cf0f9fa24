/* Unit tests of the entry opener: a name checked before any path, one message per failure. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "state.h"
#include "state_entry.h"
#include "unit.h"

#define ROOT_MAX 256 /* a temporary directory's path, well under PATH_MAX */

/* A fresh state root of our own, 0700, named by ROOTLET_STATE_DIR; its path in @root. */
static void make_root(char *root, size_t len)
{
	char tmpl[] = "/tmp/rootlet-unit-entry.XXXXXX";

	if (!mkdtemp(tmpl))
		abort();
	snprintf(root, len, "%s/root", tmpl);
	if (mkdir(root, 0700) < 0 || setenv("ROOTLET_STATE_DIR", root, 1) < 0)
		abort();
}

/* The temporary directory make_root() made, with everything in it. */
static void remove_tree(const char *root)
{
	char dir[ROOT_MAX], cmd[ROOT_MAX + 32];

	snprintf(dir, sizeof(dir), "%s", root);
	*strrchr(dir, '/') = '\0';
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "  could not remove %s\n", root);
}

/* Whether opening @name fails with @code (or @alt), nothing left open, saying it in @e. */
static int refused(const char *name, int code, int alt, struct err *e)
{
	struct state_entry entry;
	int err = state_entry_open(name, &entry, e);

	return (err == code || err == alt) && entry.dir_fd == -1 && !strchr(err_text(e), '\n');
}

TEST(a_valid_entry_opens_with_its_paths_and_fd)
{
	char root[ROOT_MAX], dir[ROOT_MAX + 16];
	struct state_entry entry;
	struct err e = { 0 };
	struct stat a, b;

	make_root(root, sizeof(root));
	snprintf(dir, sizeof(dir), "%s/web", root);
	CHECK(mkdir(dir, 0700) == 0);
	CHECK(state_entry_open("web", &entry, &e) == 0);
	CHECK(!strcmp(entry.root, root) && !strcmp(entry.path.dir, dir));
	CHECK(!strcmp(entry.path.net + strlen(dir), "/" STATE_NET));
	CHECK(!strcmp(entry.path.user + strlen(dir), "/" STATE_USER));
	CHECK(!strcmp(entry.path.slirp_socket + strlen(dir), "/" STATE_SLIRP_SOCKET));
	CHECK(!strcmp(entry.path.portfwd_socket + strlen(dir), "/" STATE_PORTFWD_SOCKET));
	CHECK(entry.dir_fd >= 0 && fstat(entry.dir_fd, &a) == 0 && stat(dir, &b) == 0);
	CHECK(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	CHECK((fcntl(entry.dir_fd, F_GETFD) & FD_CLOEXEC) != 0);
	state_entry_close(&entry);
	CHECK(entry.dir_fd == -1);
	remove_tree(root);
}

TEST(a_bad_name_is_refused_before_any_path_naming_it)
{
	const char *bad[] = {
		"",	".",
		"..",	"../x",
		"a/b",	"a b",
		"a\nb", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	};
	char root[ROOT_MAX];

	make_root(root, sizeof(root));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct state_entry entry;
		struct err e = { 0 };

		CHECK(refused(bad[i], -EINVAL, -EINVAL, &e));
		CHECK(!strncmp(err_text(&e), "invalid netns name '", 20));
		CHECK(state_entry_find(bad[i], &entry, NULL) == -EINVAL);
	}
	remove_tree(root);
}

TEST(a_missing_entry_is_no_netns_by_name)
{
	char root[ROOT_MAX];
	struct state_entry entry;
	struct err e = { 0 };

	make_root(root, sizeof(root));
	CHECK(refused("nosuch", -ENOENT, -ENOENT, &e));
	CHECK(!strcmp(err_text(&e), "no netns nosuch"));
	/* Finding is not opening: the paths of a missing entry are still where it would be. */
	CHECK(state_entry_find("nosuch", &entry, &e) == 0 && entry.dir_fd == -1);
	remove_tree(root);
}

TEST(a_missing_state_root_says_none_was_made)
{
	char root[ROOT_MAX], msg[ROOT_MAX + 96];
	struct err e = { 0 };

	make_root(root, sizeof(root));
	CHECK(rmdir(root) == 0);
	snprintf(msg, sizeof(msg), "no netns web (none made yet: %s does not exist)", root);
	CHECK(refused("web", -ENOENT, -ENOENT, &e) && !strcmp(err_text(&e), msg));
	CHECK(mkdir(root, 0700) == 0);
	remove_tree(root);
}

TEST(a_symlinked_entry_is_refused_not_followed)
{
	char root[ROOT_MAX], link[ROOT_MAX + 16], target[ROOT_MAX + 32], msg[ROOT_MAX + 96];
	struct err e = { 0 };

	make_root(root, sizeof(root));
	snprintf(target, sizeof(target), "%s/../elsewhere", root);
	snprintf(link, sizeof(link), "%s/evil", root);
	CHECK(mkdir(target, 0700) == 0 && symlink(target, link) == 0);
	snprintf(msg, sizeof(msg), "%s is not a directory (a symlink?): refused", link);
	/* O_NOFOLLOW's error, or O_DIRECTORY's if the kernel looks at that first. */
	CHECK(refused("evil", -ELOOP, -ENOTDIR, &e) && !strcmp(err_text(&e), msg));
	remove_tree(root);
}

TEST(a_state_root_open_to_others_is_refused_saying_why)
{
	char root[ROOT_MAX], dir[ROOT_MAX + 16];
	struct err e = { 0 };

	make_root(root, sizeof(root));
	snprintf(dir, sizeof(dir), "%s/web", root);
	CHECK(mkdir(dir, 0700) == 0 && chmod(root, 0755) == 0);
	CHECK(refused("web", -EPERM, -EPERM, &e));
	CHECK(strstr(err_text(&e), "is mode 0755, open to its group or others") != NULL);
	remove_tree(root);
}

TEST(a_file_in_place_of_an_entry_is_refused)
{
	char root[ROOT_MAX], file[ROOT_MAX + 16];
	struct err e = { 0 };
	int fd;

	make_root(root, sizeof(root));
	snprintf(file, sizeof(file), "%s/web", root);
	CHECK((fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600)) >= 0);
	close(fd);
	CHECK(refused("web", -ENOTDIR, -ENOTDIR, &e));
	CHECK(strstr(err_text(&e), "is not a directory") != NULL);
	remove_tree(root);
}

UNIT_MAIN("state-entry", T(a_valid_entry_opens_with_its_paths_and_fd),
	  T(a_bad_name_is_refused_before_any_path_naming_it),
	  T(a_missing_entry_is_no_netns_by_name), T(a_missing_state_root_says_none_was_made),
	  T(a_symlinked_entry_is_refused_not_followed),
	  T(a_state_root_open_to_others_is_refused_saying_why),
	  T(a_file_in_place_of_an_entry_is_refused))
