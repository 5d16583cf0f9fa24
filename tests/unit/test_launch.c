/* lib/launch: the helpers' command lines, and a helper started, awaited, explained. */
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launch.h"
#include "unit.h"

/* This binary is its own helper: found by lib/binpath beside itself, run with a mode. */
#define SELF	      "test_launch"
#define LOG	      "helper.log"
#define SHORT_MS      200   /* the timeout a helper that never gets ready is given */
#define GENEROUS_MS   10000 /* one that does get ready: only bounds a broken test */
#define JOINED_MAX    1024
#define STATE_ROOT_IN "/nonexistent/state-root"

/* @argv as one string, arguments separated by a space. */
static const char *joined(char **argv)
{
	static char buf[JOINED_MAX];
	size_t len = 0;

	buf[0] = '\0';
	for (int i = 0; argv[i]; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? " " : "",
					argv[i]);
	return buf;
}

/* Whether the command line was built (@built, launch_*_argv()'s return) and the one @a holds
 * is @want, written out; @a is freed either way. */
static bool argv_is(int built, struct launch_argv *a, const char *want)
{
	bool same;

	if (built)
		return false;
	same = !strcmp(joined(a->argv), want);
	argv_free(a);
	return same;
}

TEST(slirp_by_name_has_the_safe_defaults)
{
	struct slirp_launch o = { .netns = "web", .mtu = 1500 };
	struct launch_argv a;

	CHECK(argv_is(launch_slirp_argv(&o, &a), &a,
		      "rootlet-slirp --netns web --configure --mtu 1500 "
		      "--enable-sandbox --enable-seccomp --disable-host-loopback "
		      "--ready-fd 3"));
}

TEST(slirp_early_by_path_waits_and_names_netns_and_tap_last)
{
	struct slirp_launch o = { .netns_path = "/r/~add.1/net",
				  .userns_path = "/r/~add.1/user",
				  .api_socket = "/r/~add.1/slirp.sock",
				  .mtu = 65520,
				  .allow_host_loopback = true,
				  .ipv6 = true,
				  .early = true };
	struct launch_argv a;

	CHECK(argv_is(
		launch_slirp_argv(&o, &a), &a,
		"rootlet-slirp --netns-type=path --userns-path=/r/~add.1/user --api-socket "
		"/r/~add.1/slirp.sock --configure --mtu 65520 --enable-sandbox "
		"--enable-seccomp --enable-ipv6 --wait-fd 4 --ready-fd 3 /r/~add.1/net tap0"));
}

TEST(portfwd_publish_fd_is_renumbered_to_the_passed_fd)
{
	const char *publish[] = { "8080:80", "53/udp" };
	const char *publish_fd[] = { "7:80/tcp", "9" };
	struct portfwd_launch o = { .netns = "web",
				    .publish = publish,
				    .n_publish = 2,
				    .publish_fd = publish_fd,
				    .n_publish_fd = 2,
				    .source_ip = true };
	struct launch_argv a;

	CHECK(argv_is(launch_portfwd_argv(&o, &a), &a,
		      "rootlet-portfwd --netns web --publish 8080:80 --publish "
		      "53/udp --publish-fd 5:80/tcp --publish-fd 6 --source-ip "
		      "--ready-fd 3"));
}

TEST(portfwd_by_path_with_target)
{
	const char *publish[] = { "8080:80" };
	struct portfwd_launch o = { .netns = "/i/net",
				    .userns = "/i/user",
				    .api_socket = "/i/portfwd.sock",
				    .target = "10.0.2.100",
				    .publish = publish,
				    .n_publish = 1,
				    .early = true };
	struct launch_argv a;

	CHECK(argv_is(launch_portfwd_argv(&o, &a), &a,
		      "rootlet-portfwd --netns /i/net --userns /i/user "
		      "--api-socket /i/portfwd.sock --target 10.0.2.100 "
		      "--publish 8080:80 --wait-fd 4 --ready-fd 3"));
}

TEST(bypass_carries_its_policy_options)
{
	const char *publish[] = { "8080:80" };
	struct bypass_launch o = { .netns = "web",
				   .publish = publish,
				   .n_publish = 1,
				   .allow_host_loopback = true,
				   .ipv6 = true,
				   .debug = true };
	struct launch_argv a;

	CHECK(argv_is(launch_bypass_argv(&o, &a), &a,
		      "rootlet-bypass --netns web --allow-host-loopback --ipv6 "
		      "--publish 8080:80 --debug --ready-fd 3"));
}

TEST(dns_upstream_only_when_given)
{
	struct dns_launch o = { .netns = "net1", .listen = "10.89.0.1", .upstream = "10.0.2.3" };
	struct launch_argv a;

	CHECK(argv_is(launch_dns_argv(&o, &a), &a,
		      "rootlet-dns --netns net1 --listen 10.89.0.1 --upstream "
		      "10.0.2.3 --ready-fd 3"));
	o.upstream = NULL;
	CHECK(argv_is(launch_dns_argv(&o, &a), &a,
		      "rootlet-dns --netns net1 --listen 10.89.0.1 --ready-fd 3"));
}

/* A temporary directory for the helper's log. */
static int log_dir(char *path, size_t len)
{
	snprintf(path, len, "/tmp/test_launch.XXXXXX");
	return mkdtemp(path) ? open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
}

static void log_dir_remove(const char *path, int fd)
{
	unlinkat(fd, LOG, 0);
	close(fd);
	rmdir(path);
}

/* A helper left running, if one was started: killed and waited for. */
static void reap(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

static bool gone(pid_t pid)
{
	return kill(pid, 0) < 0 && errno == ESRCH;
}

/* This binary as a helper run in one mode, its log in a temporary directory of its own. */
struct run {
	char dir[64];
	char *argv[3];
	int fd; /* the log's directory */
	struct launch_opts o;
	struct launch_proc p;
	struct err e;
};

/* @r set to run this binary in @mode: whether its log's directory was made. */
static bool run_in(struct run *r, const char *mode)
{
	*r = (struct run){ .argv = { SELF, (char *)mode, NULL } };
	r->fd = log_dir(r->dir, sizeof(r->dir));
	r->o = (struct launch_opts){ .argv = r->argv, .log_dir_fd = r->fd, .log = LOG };
	return r->fd >= 0;
}

static void run_done(struct run *r)
{
	log_dir_remove(r->dir, r->fd);
}

TEST(a_helper_that_says_ready_is_left_running)
{
	struct run r;
	pid_t pid = -1;

	CHECK(run_in(&r, "ready"));
	r.o.state_root = STATE_ROOT_IN;
	CHECK(launch_run(&r.o, GENEROUS_MS, &pid, &r.e) == 0);
	CHECK(pid > 0 && !gone(pid));
	CHECK(r.e.code == 0);
	reap(pid);
	run_done(&r);
}

TEST(a_helper_gets_no_fd_of_ours_but_its_own)
{
	struct run r;
	int null_fd = open("/dev/null", O_RDONLY);
	/* Two handed on, one not: a lock, say, left inheritable. */
	int passed[2] = { fcntl(null_fd, F_DUPFD, 100), fcntl(null_fd, F_DUPFD, 200) };
	int leaked = fcntl(null_fd, F_DUPFD, 300);
	pid_t pid = -1;

	CHECK(run_in(&r, "fds"));
	r.o.pass = passed;
	r.o.npass = 2;
	CHECK(passed[0] >= 0 && passed[1] >= 0 && leaked >= 0);
	CHECK(launch_run(&r.o, GENEROUS_MS, &pid, &r.e) == 0);
	if (r.e.code)
		fprintf(stderr, "  got: %s\n", r.e.text);
	reap(pid);
	close(passed[0]);
	close(passed[1]);
	close(leaked);
	close(null_fd);
	run_done(&r);
}

TEST(a_helper_that_exits_early_is_explained_by_its_last_log_line)
{
	struct run r;
	pid_t pid = -1;

	CHECK(run_in(&r, "fail"));
	CHECK(launch_run(&r.o, GENEROUS_MS, &pid, &r.e) == -ECHILD);
	CHECK(pid == -1);
	CHECK(!strcmp(r.e.text, "starting " SELF ": configuring tap0: Invalid argument"));
	if (strcmp(r.e.text, "starting " SELF ": configuring tap0: Invalid argument"))
		fprintf(stderr, "  got: %s\n", r.e.text);
	run_done(&r);
}

TEST(a_helper_is_named_after_the_argv_it_was_started_with_is_freed)
{
	struct launch_argv a = { 0 };
	struct run r;

	CHECK(run_in(&r, "fail"));
	argv_add(&a, SELF);
	argv_add(&a, "fail");
	r.o.argv = a.argv;
	CHECK(launch_spawn(&r.o, &r.p, &r.e) == 0);
	argv_free(&a); /* as the callers free it, once it runs */
	CHECK(launch_wait(&r.p, GENEROUS_MS, &r.e) == -ECHILD);
	CHECK(!strcmp(r.e.text, "starting " SELF ": configuring tap0: Invalid argument"));
	run_done(&r);
}

TEST(a_helper_that_ends_without_a_word_says_so)
{
	struct run r;
	pid_t pid = -1;

	CHECK(run_in(&r, "silent"));
	CHECK(launch_run(&r.o, GENEROUS_MS, &pid, &r.e) == -ECHILD);
	CHECK(!strcmp(r.e.text, "starting " SELF ": it ended without a word"));
	run_done(&r);
}

TEST(a_helper_that_never_gets_ready_is_killed_at_the_timeout)
{
	struct run r;
	pid_t pid;

	CHECK(run_in(&r, "hang"));
	CHECK(launch_spawn(&r.o, &r.p, &r.e) == 0);
	pid = r.p.pid;
	CHECK(launch_wait(&r.p, SHORT_MS, &r.e) == -ETIMEDOUT);
	CHECK(!strcmp(r.e.text, "starting " SELF ": not ready after 0.200 s"));
	CHECK(r.p.pid == -1 && r.p.ready_fd == -1 && r.p.log_fd == -1);
	CHECK(gone(pid)); /* killed and reaped */
	run_done(&r);
}

TEST(an_early_helper_waits_for_its_go)
{
	struct run r;

	CHECK(run_in(&r, "early"));
	r.o.early = true;
	CHECK(launch_spawn(&r.o, &r.p, &r.e) == 0);
	/* Not ready before its go: it is still waiting for it. */
	CHECK(launch_wait(&(struct launch_proc){ .pid = -1,
						 .ready_fd = dup(r.p.ready_fd),
						 .go_fd = -1,
						 .log_fd = -1,
						 .name = SELF },
			  SHORT_MS, &r.e) == -ETIMEDOUT);
	CHECK(launch_go(&r.p) == 0);
	CHECK(launch_wait(&r.p, GENEROUS_MS, &r.e) == 0);
	reap(r.p.pid);
	run_done(&r);
}

TEST(an_early_helper_whose_starter_gives_up_ends)
{
	struct run r;

	CHECK(run_in(&r, "early"));
	r.o.early = true;
	CHECK(launch_spawn(&r.o, &r.p, &r.e) == 0);
	close(r.p.go_fd); /* end of file on its --wait-fd */
	r.p.go_fd = -1;
	CHECK(launch_wait(&r.p, GENEROUS_MS, &r.e) == -ECHILD);
	CHECK(!strcmp(r.e.text, "starting " SELF ": no go: end of file"));
	run_done(&r);
}

TEST(a_log_that_is_a_link_is_refused_and_its_target_untouched)
{
	char target[96];
	struct run r;
	struct stat st;
	int tfd;

	CHECK(run_in(&r, "ready"));
	snprintf(target, sizeof(target), "%s/target", r.dir);
	tfd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	CHECK(tfd >= 0 && write(tfd, "keep\n", 5) == 5);
	close(tfd);
	CHECK(symlinkat("target", r.fd, LOG) == 0);
	CHECK(launch_spawn(&r.o, &r.p, &r.e) == -ELOOP);
	CHECK(r.p.pid == -1);
	CHECK(stat(target, &st) == 0 && st.st_size == 5);
	unlink(target);
	run_done(&r);
}

TEST(a_missing_binary_is_named)
{
	char *argv[] = { "rootlet-no-such-helper", NULL };
	struct launch_opts o = { .argv = argv, .log_dir_fd = AT_FDCWD, .log = LOG };
	struct launch_proc p;
	struct err e = { 0 };

	CHECK(launch_spawn(&o, &p, &e) == -ENOENT);
	CHECK(!strcmp(e.text, "rootlet-no-such-helper not found"));
	CHECK(p.pid == -1);
}

/*
 * The helper's side. ready: only with the state root it was given and none of systemd's
 * variables of ours; fail: two lines, the failure last; silent: no word; hang: never ready;
 * early: ready only after a go byte on LAUNCH_WAIT_FD.
 */
static int helper(const char *mode)
{
	char c;

	if (!strcmp(mode, "ready")) {
		const char *root = getenv("ROOTLET_STATE_DIR");

		if (getenv("NOTIFY_SOCKET") || getenv("LISTEN_FDS") || !root ||
		    strcmp(root, STATE_ROOT_IN)) {
			fprintf(stderr, SELF ": inherited the wrong environment\n");
			return 1;
		}
		if (write(LAUNCH_READY_FD, "1", 1) != 1)
			return 1;
		pause();
		return 0;
	}
	if (!strcmp(mode, "fds")) {
		struct stat st;

		/* 0-2, the ready pipe, the two handed on at 5 and 6 (a character device each). */
		if (fcntl(LAUNCH_WAIT_FD, F_GETFD) >= 0 || fstat(LAUNCH_PASS_FD, &st) < 0 ||
		    !S_ISCHR(st.st_mode) || fstat(LAUNCH_PASS_FD + 1, &st) < 0 ||
		    !S_ISCHR(st.st_mode)) {
			fprintf(stderr, SELF ": the fds handed on are not in place\n");
			return 1;
		}
		for (int fd = LAUNCH_PASS_FD + 2; fd < 1024; fd++)
			if (fcntl(fd, F_GETFD) >= 0) {
				fprintf(stderr, SELF ": fd %d is open\n", fd);
				return 1;
			}
		if (write(LAUNCH_READY_FD, "1", 1) != 1)
			return 1;
		pause();
		return 0;
	}
	if (!strcmp(mode, "fail")) {
		printf("starting, MTU=1500\n");
		fflush(stdout);
		fprintf(stderr, SELF ": configuring tap0: Invalid argument\n");
		return 1;
	}
	if (!strcmp(mode, "silent"))
		return 1;
	if (!strcmp(mode, "hang")) {
		pause();
		return 0;
	}
	if (!strcmp(mode, "early")) {
		if (read(LAUNCH_WAIT_FD, &c, 1) != 1) {
			fprintf(stderr, SELF ": no go: end of file\n");
			return 1;
		}
		if (write(LAUNCH_READY_FD, "1", 1) != 1)
			return 1;
		pause();
		return 0;
	}
	return 2;
}

int main(int argc, char **argv)
{
	static const struct unit_test tests[] = {
		T(slirp_by_name_has_the_safe_defaults),
		T(slirp_early_by_path_waits_and_names_netns_and_tap_last),
		T(portfwd_publish_fd_is_renumbered_to_the_passed_fd),
		T(portfwd_by_path_with_target),
		T(bypass_carries_its_policy_options),
		T(dns_upstream_only_when_given),
		T(a_helper_that_says_ready_is_left_running),
		T(a_helper_gets_no_fd_of_ours_but_its_own),
		T(a_helper_that_exits_early_is_explained_by_its_last_log_line),
		T(a_helper_is_named_after_the_argv_it_was_started_with_is_freed),
		T(a_helper_that_ends_without_a_word_says_so),
		T(a_helper_that_never_gets_ready_is_killed_at_the_timeout),
		T(an_early_helper_waits_for_its_go),
		T(an_early_helper_whose_starter_gives_up_ends),
		T(a_log_that_is_a_link_is_refused_and_its_target_untouched),
		T(a_missing_binary_is_named),
	};

	if (argc > 1)
		return helper(argv[1]);
	/* Ours, which the helper must not inherit. */
	setenv("NOTIFY_SOCKET", "/run/nonexistent/notify", 1);
	setenv("LISTEN_FDS", "1", 1);
	return unit_run("launch", tests, sizeof(tests) / sizeof(tests[0]));
}
