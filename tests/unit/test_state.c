/* Unit tests of state.json and pid files: round trip, and refusal of anything corrupt. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "pidfile.h"
#include "state.h"
#include "statedir.h"
#include "unit.h"

TEST(state_round_trips)
{
	struct netns_state in = { .name = "web",
				  .holder_pid = 4242,
				  .holder_start = 987654321ULL,
				  .userns = USERNS_NEW,
				  .created = 1800000000LL },
			   out;
	char *text = NULL;

	CHECK(state_format(&in, &text) == 0);
	CHECK(state_parse(text, &out) == 0);
	CHECK(!strcmp(out.name, "web") && out.holder_pid == 4242);
	CHECK(out.holder_start == 987654321ULL && out.created == 1800000000LL);
	CHECK(!strcmp(out.userns, USERNS_NEW) && !state_is_host(&out));
	free(text);
}

TEST(state_owners_round_trip_and_are_absent_when_none)
{
	struct netns_state in = { .name = "run-1",
				  .holder_pid = 4242,
				  .holder_start = 1,
				  .userns = USERNS_NEW,
				  .created = 1,
				  .owners = { { 100, 5000 }, { 101, 5001 } },
				  .n_owners = 2 },
			   out;
	char *text = NULL;

	CHECK(state_format(&in, &text) == 0);
	CHECK(state_parse(text, &out) == 0);
	CHECK(out.n_owners == 2 && out.owners[0].pid == 100 && out.owners[0].start == 5000);
	CHECK(out.owners[1].pid == 101 && out.owners[1].start == 5001);
	free(text);
	in.n_owners = 0;
	CHECK(state_format(&in, &text) == 0);
	CHECK(!strstr(text, "owners"));
	CHECK(state_parse(text, &out) == 0 && out.n_owners == 0);
	CHECK(state_owners_gone(&out) == 0);
	free(text);
}

TEST(state_owners_gone_only_once_every_owner_has_ended)
{
	struct netns_state st = { .n_owners = 2 };

	CHECK(state_owner_of(getpid(), &st.owners[0]) == 0);
	st.owners[1] = st.owners[0];
	CHECK(state_owners_gone(&st) == 0);
	st.owners[0].start++; /* our pid with another start time: another process */
	CHECK(state_owners_gone(&st) == 0);
	st.owners[1].start++;
	CHECK(state_owners_gone(&st) == 1);
	CHECK(state_owner_of(0, &st.owners[0]) == -ESRCH);
}

TEST(state_refuses_corrupt_json)
{
	const char *bad[] = {
		"",
		"{",
		"[]",
		"{\"name\":\"web\"}",
		"{\"name\":\"../x\",\"holder_pid\":1,\"holder_start\":1,\"userns\":\"new\","
		"\"created\":1}",
		"{\"name\":\"web\",\"holder_pid\":-1,\"holder_start\":1,\"userns\":\"new\","
		"\"created\":1}",
		"{\"name\":\"web\",\"holder_pid\":1,\"holder_start\":1,\"userns\":\"odd\","
		"\"created\":1}",
		"{\"name\":\"web\",\"holder_pid\":0,\"holder_start\":1,\"userns\":\"new\","
		"\"created\":1}",
		"{\"name\":\"web\",\"holder_pid\":5,\"holder_start\":1,\"userns\":\"host\","
		"\"created\":1}",
		"{\"name\":\"web\",\"name\":\"x\",\"holder_pid\":1,\"holder_start\":1,"
		"\"userns\":\"new\",\"created\":1}",
		"{\"name\":\"web\",\"holder_pid\":1,\"holder_start\":1,\"userns\":\"new\","
		"\"created\":1,\"owners\":{}}",
		"{\"name\":\"web\",\"holder_pid\":1,\"holder_start\":1,\"userns\":\"new\","
		"\"created\":1,\"owners\":[{\"pid\":0,\"start\":1}]}",
		"{\"name\":\"web\",\"holder_pid\":1,\"holder_start\":1,\"userns\":\"new\","
		"\"created\":1,\"owners\":[{\"pid\":5,\"start\":1,\"x\":1}]}",
		"{\"name\":\"web\",\"holder_pid\":1,\"holder_start\":1,\"userns\":\"new\","
		"\"created\":1,\"owners\":[{\"pid\":1,\"start\":1},{\"pid\":2,\"start\":1},"
		"{\"pid\":3,\"start\":1},{\"pid\":4,\"start\":1}]}",
	};
	struct netns_state st;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(state_parse(bad[i], &st) == -EBADMSG);
}

/* Entries of a directory, "." and ".." aside. */
static int entries(int dir_fd)
{
	DIR *d = fdopendir(dup(dir_fd));
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

/*
 * A writer of whole files (with fsync or without): the new content, with the mode given, and
 * nothing else in the directory: the temporary was renamed, not left.
 */
static void check_replace(int (*write_fn)(int, const char *, const void *, size_t, mode_t),
			  int *failed)
{
	char dir[] = "/tmp/rootlet-unit.XXXXXX", *text = NULL;
	struct stat st;
	int dir_fd;

	CHECK(mkdtemp(dir) != NULL);
	dir_fd = open(dir, O_RDONLY | O_DIRECTORY);
	CHECK(dir_fd >= 0);
	CHECK(write_fn(dir_fd, "f", "one", 3, 0600) == 0);
	CHECK(write_fn(dir_fd, "f", "two!", 4, 0640) == 0);
	CHECK(file_read_small(dir_fd, "f", &text, NULL) == 0 && !strcmp(text, "two!"));
	CHECK(fstatat(dir_fd, "f", &st, 0) == 0 && (st.st_mode & 0777) == 0640);
	CHECK(entries(dir_fd) == 1);
	CHECK(dir_remove_contents(dir_fd) == 0);
	CHECK(faccessat(dir_fd, "f", F_OK, 0) < 0);
	free(text);
	close(dir_fd);
	CHECK(rmdir(dir) == 0);
}

TEST(atomic_write_replaces_and_keeps_mode)
{
	check_replace(file_write_atomic, failed);
}

/* The state's writes: the same replacement without the fsync. */
TEST(state_write_replaces_whole_and_leaves_no_temporary)
{
	check_replace(file_write_state, failed);
}

TEST(pidfile_parses_and_refuses)
{
	struct pidfile pf;

	CHECK(pidfile_parse("123 456\n", &pf) == 0 && pf.pid == 123 && pf.start == 456);
	CHECK(pidfile_parse("123 456", &pf) == -EBADMSG);
	CHECK(pidfile_parse("0 456\n", &pf) == -EBADMSG);
	CHECK(pidfile_parse("x 456\n", &pf) == -EBADMSG);
	CHECK(pidfile_parse("", &pf) == -EBADMSG);
}

TEST(pidfile_of_self_is_live)
{
	char dir[] = "/tmp/rootlet-unit.XXXXXX";
	struct pidfile pf;
	int dir_fd;

	CHECK(mkdtemp(dir) != NULL);
	dir_fd = open(dir, O_RDONLY | O_DIRECTORY);
	CHECK(pidfile_write(dir_fd, "self.pid", getpid()) == 0);
	CHECK(pidfile_read(dir_fd, "self.pid", &pf) == 0 && pf.pid == getpid());
	CHECK(pidfile_live(&pf) == 1);
	pf.start++;
	CHECK(pidfile_live(&pf) == 0);
	dir_remove_contents(dir_fd);
	close(dir_fd);
	rmdir(dir);
}

/* One name, every path of DESIGN.md's layout; a root too long for a path is refused. */
TEST(a_name_becomes_every_path_of_the_layout)
{
	static struct state_paths p;
	static char deep[PATH_MAX];

	CHECK(state_paths("/run/user/1000/rootlet", "web", &p) == 0);
	CHECK(!strcmp(p.dir, "/run/user/1000/rootlet/web"));
	CHECK(!strcmp(p.net, "/run/user/1000/rootlet/web/net"));
	CHECK(!strcmp(p.user, "/run/user/1000/rootlet/web/user"));
	CHECK(!strcmp(p.slirp_socket, "/run/user/1000/rootlet/web/slirp.sock"));
	CHECK(!strcmp(p.portfwd_socket, "/run/user/1000/rootlet/web/portfwd.sock"));
	memset(deep, 'd', sizeof(deep) - 8);
	deep[0] = '/';
	CHECK(state_paths(deep, "web", &p) == -ENAMETOOLONG);
}

UNIT_MAIN("state", T(state_round_trips), T(state_owners_round_trip_and_are_absent_when_none),
	  T(state_owners_gone_only_once_every_owner_has_ended), T(state_refuses_corrupt_json),
	  T(atomic_write_replaces_and_keeps_mode),
	  T(state_write_replaces_whole_and_leaves_no_temporary), T(pidfile_parses_and_refuses),
	  T(pidfile_of_self_is_live), T(a_name_becomes_every_path_of_the_layout))
