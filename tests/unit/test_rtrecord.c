/* lib/rtrecord: rootlet-runtime's record of a container's runtime, and which ones gc takes. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"
#include "rtrecord.h"
#include "unit.h"

#define ID "c0ffee"

/* A scratch state root and a runtime's state root beside it, both removed by rm_tree(). */
struct scene {
	char dir[64];
	char runtime_root[96];
	int root_fd;
};

static int scene_make(struct scene *s)
{
	char state[96];

	snprintf(s->dir, sizeof(s->dir), "/tmp/test_rtrecord.XXXXXX");
	if (!mkdtemp(s->dir))
		return -1;
	snprintf(state, sizeof(state), "%s/state", s->dir);
	snprintf(s->runtime_root, sizeof(s->runtime_root), "%s/crun", s->dir);
	if (mkdir(state, 0700) || mkdir(s->runtime_root, 0700))
		return -1;
	s->root_fd = open(state, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return s->root_fd < 0 ? -1 : 0;
}

static void scene_end(struct scene *s)
{
	char cmd[128];

	close(s->root_fd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
	if (system(cmd))
		fprintf(stderr, "  could not remove %s\n", s->dir);
}

/* The record of ID in @s, with @root, @confirmed and @holder (NULL: none). */
static int put_held(struct scene *s, const char *root, bool confirmed, const struct pidfile *holder)
{
	struct rtrecord r = { .path = "/usr/bin/crun", .confirmed = confirmed };
	char text[2 * PATH_MAX + RTRECORD_TEXT_EXTRA];
	int fd, ok;

	snprintf(r.root, sizeof(r.root), "%s", root);
	if (holder)
		r.holder = *holder;
	if (rtrecord_format(&r, text, sizeof(text)))
		return -1;
	fd = openat(s->root_fd, RTRECORD_PREFIX ID, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	close(fd);
	return ok ? 0 : -1;
}

static int put(struct scene *s, const char *root, bool confirmed)
{
	return put_held(s, root, confirmed, NULL);
}

/* A process that has ended: a child, reaped. */
static int ended(struct pidfile *ret)
{
	pid_t pid = fork();

	if (pid == 0) {
		pause();
		_exit(0);
	}
	if (pid < 0 || proc_start_time(pid, &ret->start))
		return -1;
	ret->pid = pid;
	kill(pid, SIGKILL);
	return waitpid(pid, NULL, 0) == pid ? 0 : -1;
}

static bool record_there(struct scene *s)
{
	return faccessat(s->root_fd, RTRECORD_PREFIX ID, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

TEST(a_record_reads_back_as_written_and_an_older_one_line_record_has_no_root)
{
	struct rtrecord r = { .path = "/usr/sbin/runc", .root = "/run/user/1/runc" }, back;
	char text[2 * PATH_MAX + RTRECORD_TEXT_EXTRA];

	CHECK(!rtrecord_format(&r, text, sizeof(text)));
	CHECK(!rtrecord_parse(text, strlen(text), &back));
	CHECK(!strcmp(back.path, r.path) && !strcmp(back.root, r.root) && !back.confirmed);
	r.confirmed = true;
	CHECK(!rtrecord_format(&r, text, sizeof(text)));
	CHECK(!rtrecord_parse(text, strlen(text), &back) && back.confirmed);
	CHECK(!rtrecord_parse("/usr/bin/crun", 13, &back));
	CHECK(!strcmp(back.path, "/usr/bin/crun") && !back.root[0] && !back.confirmed);
}

TEST(what_is_no_record_is_refused)
{
	struct rtrecord r = { .path = "/usr/bin/crun\nx" }, back;
	char text[2 * PATH_MAX + RTRECORD_TEXT_EXTRA];

	CHECK(rtrecord_format(&r, text, sizeof(text)) == -EINVAL);
	CHECK(rtrecord_parse("", 0, &back) == -EINVAL);
	CHECK(rtrecord_parse("crun\n", 5, &back) == -EINVAL);
	CHECK(rtrecord_parse("/crun\nrel\n", 10, &back) == -EINVAL);
	CHECK(rtrecord_parse("/crun\0x", 7, &back) == -EINVAL);
	/* Only the exact word confirms: anything else after the root leaves it a guess. */
	CHECK(!rtrecord_parse("/crun\n/r\nconfirmedx\n", 20, &back) && !back.confirmed);
}

/* The container gone from a root a later verb confirmed: the engine never ran the delete. */
TEST(gc_takes_a_confirmed_record_whose_container_is_gone)
{
	struct scene s = { .root_fd = -1 };

	CHECK(!scene_make(&s));
	CHECK(!put(&s, s.runtime_root, true));
	CHECK(rtrecord_gc(s.root_fd, RTRECORD_PREFIX ID) == 1);
	CHECK(!record_there(&s));
	scene_end(&s);
}

TEST(gc_keeps_a_record_of_a_container_still_there_or_of_a_root_it_cannot_trust)
{
	char path[160];
	struct scene s = { .root_fd = -1 };

	CHECK(!scene_make(&s));
	snprintf(path, sizeof(path), "%s/" ID, s.runtime_root);
	CHECK(!mkdir(path, 0700));
	CHECK(!put(&s, s.runtime_root, true));
	CHECK(rtrecord_gc(s.root_fd, RTRECORD_PREFIX ID) == 0 && record_there(&s));
	CHECK(!rmdir(path));
	/* A guess never confirmed: the runtime may keep it elsewhere. */
	CHECK(!put(&s, s.runtime_root, false));
	CHECK(rtrecord_gc(s.root_fd, RTRECORD_PREFIX ID) == 0 && record_there(&s));
	/* A root gc cannot see (inside another mount namespace): nothing to judge by. */
	snprintf(path, sizeof(path), "%s/elsewhere", s.dir);
	CHECK(!put(&s, path, true));
	CHECK(rtrecord_gc(s.root_fd, RTRECORD_PREFIX ID) == 0 && record_there(&s));
	/* No root at all (an older wrapper's record). */
	CHECK(!put(&s, "", false));
	CHECK(rtrecord_gc(s.root_fd, RTRECORD_PREFIX ID) == 0 && record_there(&s));
	/* Not a record's name: not gc's to judge. */
	CHECK(rtrecord_gc(s.root_fd, "web") == 0);
	scene_end(&s);
}

TEST(a_holders_record_reads_back_with_it)
{
	struct rtrecord r = { .path = "/usr/sbin/runc",
			      .root = "/run/user/1/docker/runc",
			      .holder = { .pid = 42, .start = 1234567 } },
			back;
	char text[2 * PATH_MAX + RTRECORD_TEXT_EXTRA];

	CHECK(!rtrecord_format(&r, text, sizeof(text)));
	CHECK(!rtrecord_parse(text, strlen(text), &back));
	CHECK(back.holder.pid == 42 && back.holder.start == 1234567 && !back.confirmed);
	CHECK(rtrecord_parse("/r\n/x\nguess\n42\n", 15, &back) == -EINVAL);
	CHECK(rtrecord_parse("/r\n/x\nguess\n-\n", 14, &back) == 0 && back.holder.pid == 0);
}

/* Inside rootlesskit: the root seen through the holder's mount namespace, and the holder's end
 * the end of every container it held. */
TEST(gc_judges_a_held_record_through_its_holder_and_takes_it_when_the_holder_ends)
{
	struct pidfile self = { .pid = getpid() }, dead;
	char path[160];
	struct scene s = { .root_fd = -1 };

	CHECK(!scene_make(&s));
	CHECK(!proc_start_time(self.pid, &self.start));
	snprintf(path, sizeof(path), "%s/" ID, s.runtime_root);
	CHECK(!mkdir(path, 0700));
	CHECK(!put_held(&s, s.runtime_root, true, &self));
	CHECK(rtrecord_gc(s.root_fd, RTRECORD_PREFIX ID) == 0 && record_there(&s));
	CHECK(!rmdir(path));
	CHECK(rtrecord_gc(s.root_fd, RTRECORD_PREFIX ID) == 1 && !record_there(&s));
	/* A root gc cannot see, its holder live: kept. */
	snprintf(path, sizeof(path), "%s/elsewhere", s.dir);
	CHECK(!put_held(&s, path, true, &self));
	CHECK(rtrecord_gc(s.root_fd, RTRECORD_PREFIX ID) == 0 && record_there(&s));
	/* Its holder ended: taken, whatever gc can see. */
	CHECK(!ended(&dead));
	CHECK(!put_held(&s, path, true, &dead));
	CHECK(rtrecord_gc(s.root_fd, RTRECORD_PREFIX ID) == 1 && !record_there(&s));
	/* Unconfirmed: kept, even so. */
	CHECK(!put_held(&s, path, false, &dead));
	CHECK(rtrecord_gc(s.root_fd, RTRECORD_PREFIX ID) == 0 && record_there(&s));
	scene_end(&s);
}

TEST(the_lookup_tells_there_gone_and_no_root)
{
	char path[160];
	struct scene s = { .root_fd = -1 };

	CHECK(!scene_make(&s));
	CHECK(rtrecord_lookup(s.runtime_root, ID) == 0);
	snprintf(path, sizeof(path), "%s/" ID, s.runtime_root);
	CHECK(!mkdir(path, 0700));
	CHECK(rtrecord_lookup(s.runtime_root, ID) == 1);
	snprintf(path, sizeof(path), "%s/none", s.dir);
	CHECK(rtrecord_lookup(path, ID) == -ENOENT);
	CHECK(rtrecord_lookup("", ID) < 0);
	scene_end(&s);
}

UNIT_MAIN("rtrecord", T(a_record_reads_back_as_written_and_an_older_one_line_record_has_no_root),
	  T(what_is_no_record_is_refused), T(gc_takes_a_confirmed_record_whose_container_is_gone),
	  T(gc_keeps_a_record_of_a_container_still_there_or_of_a_root_it_cannot_trust),
	  T(a_holders_record_reads_back_with_it),
	  T(gc_judges_a_held_record_through_its_holder_and_takes_it_when_the_holder_ends),
	  T(the_lookup_tells_there_gone_and_no_root))
