/* lib/hostsup: which of a host-side rootlet-bypass's files gc takes, and that it makes none. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostsup.h"
#include "unit.h"

#define BASE "bypass@host-7.sock"

struct root {
	char path[64];
	int fd;
};

static int root_make(struct root *r, const char *const *files)
{
	snprintf(r->path, sizeof(r->path), "/tmp/test_hostsup.XXXXXX");
	if (!mkdtemp(r->path))
		return -1;
	r->fd = open(r->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (; r->fd >= 0 && *files; files++) {
		int f = openat(r->fd, *files, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

		if (f < 0)
			return -1;
		close(f);
	}
	return r->fd < 0 ? -1 : 0;
}

static int entries(struct root *r)
{
	DIR *d = opendir(r->path);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static void root_end(struct root *r)
{
	char cmd[96];

	close(r->fd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r->path);
	if (system(cmd))
		fprintf(stderr, "  could not remove %s\n", r->path);
}

/* @name of @r locked as @how (LOCK_EX, LOCK_SH) by a descriptor of ours: a daemon, a wrapper. */
static int held(struct root *r, const char *name, int how)
{
	int fd = openat(r->fd, name, O_RDWR | O_CLOEXEC);

	return fd >= 0 && !flock(fd, how | LOCK_NB) ? fd : -1;
}

static const char *const dead[] = { BASE,	 BASE ".api", BASE ".pid",  BASE ".standby.pid",
				    BASE ".log", BASE ".run", BASE ".lock", NULL };

TEST(a_dead_daemons_files_all_go_and_twice_is_nothing)
{
	struct root r = { .fd = -1 };

	CHECK(!root_make(&r, dead));
	CHECK(hostsup_gc(r.fd, BASE ".run") == 1);
	CHECK(entries(&r) == 0);
	/* The other names readdir still returns: nothing left, nothing made. */
	CHECK(hostsup_gc(r.fd, BASE ".lock") == 0 && hostsup_gc(r.fd, BASE ".run") == 0);
	CHECK(entries(&r) == 0);
	root_end(&r);
}

TEST(a_live_daemon_or_a_waiting_wrapper_keeps_every_file)
{
	struct root r = { .fd = -1 };
	int fd;

	CHECK(!root_make(&r, dead));
	CHECK((fd = held(&r, BASE ".run", LOCK_EX)) >= 0);
	CHECK(hostsup_gc(r.fd, BASE ".run") == 0 && entries(&r) == 7);
	close(fd);
	CHECK((fd = held(&r, BASE ".lock", LOCK_SH)) >= 0);
	CHECK(hostsup_gc(r.fd, BASE ".run") == 0 && entries(&r) == 7);
	close(fd);
	root_end(&r);
}

/* An older daemon kept no .run: its .lock names it, once no wrapper holds it. */
TEST(an_older_daemons_lock_and_log_go_and_a_lock_beside_a_run_waits_for_the_run)
{
	static const char *const older[] = { BASE ".log", BASE ".lock", NULL };
	struct root r = { .fd = -1 };

	CHECK(!root_make(&r, older));
	CHECK(hostsup_gc(r.fd, BASE ".lock") == 1 && entries(&r) == 0);
	root_end(&r);
	CHECK(!root_make(&r, dead));
	CHECK(hostsup_gc(r.fd, BASE ".lock") == 0 && entries(&r) == 7);
	root_end(&r);
}

TEST(other_names_are_not_its)
{
	static const char *const none[] = { NULL };
	struct root r = { .fd = -1 };

	CHECK(!root_make(&r, none));
	CHECK(hostsup_gc(r.fd, "web") == 0);
	CHECK(hostsup_gc(r.fd, "bypass@host-7.sock.log") == 0);
	CHECK(hostsup_gc(r.fd, ".sock.run") == 0);
	CHECK(entries(&r) == 0);
	root_end(&r);
}

UNIT_MAIN("hostsup", T(a_dead_daemons_files_all_go_and_twice_is_nothing),
	  T(a_live_daemon_or_a_waiting_wrapper_keeps_every_file),
	  T(an_older_daemons_lock_and_log_go_and_a_lock_beside_a_run_waits_for_the_run),
	  T(other_names_are_not_its))
