/* The uid and gid maps of a rootless user namespace: own id to 0, subordinate ranges after. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "strfmt.h"
#include "fileio.h"
#include "proc.h"
#include "err.h"
#include "usermap.h"

#define NEWUIDMAP "newuidmap"
#define NEWGIDMAP "newgidmap"
/* pid, then three numbers per range: what the argv of newuidmap can hold. */
#define HELPER_ARGV_MAX (3 + 3 * IDMAP_MAX_RANGES)
#define NUM_TEXT_MAX	12
/* Far beyond any real subuid file; bounds what a wrong --subuid makes us read. */
#define SUBID_FILE_MAX (16 * 1024 * 1024)

static void single(const struct usermap_opts *o, struct usermap *m)
{
	m->uid[0] = (struct idmap_range){ .inside = 0, .outside = (uint32_t)o->uid, .count = 1 };
	m->gid[0] = (struct idmap_range){ .inside = 0, .outside = (uint32_t)o->gid, .count = 1 };
	m->uid_line[0] = m->gid_line[0] = 0;
	m->n_uid = m->n_gid = 1;
	m->full = false;
}

/* Own id to 0, then each range after the last, from 1: the layout podman uses. */
static void stack(uint32_t own, const struct subid_result *res, struct idmap_range *out,
		  unsigned *lines, size_t *ret_n)
{
	uint32_t next = 1;

	out[0] = (struct idmap_range){ .inside = 0, .outside = own, .count = 1 };
	lines[0] = 0;
	for (size_t i = 0; i < res->n; i++) {
		out[i + 1] = (struct idmap_range){ .inside = next,
						   .outside = res->ranges[i].start,
						   .count = res->ranges[i].count };
		lines[i + 1] = res->ranges[i].line;
		next += res->ranges[i].count;
	}
	*ret_n = res->n + 1;
}

/* Reads and parses one file; -ENOENT (no file) reads as no entry. */
static int load(const char *path, const struct usermap_opts *o, uint32_t own,
		struct subid_result *res, struct usermap_diag *diag, struct err *e)
{
	char *text;
	int err;

	err = file_read_max(AT_FDCWD, path, SUBID_FILE_MAX, &text, NULL);
	if (err == -ENOENT) {
		memset(res, 0, sizeof(*res));
		return 0;
	}
	if (err) {
		return err_errno(e, err, "%s", path);
	}
	err = subid_parse(text, o->user, (uint32_t)o->uid, own, res);
	free(text);
	for (size_t i = 0; i < res->n_warn && i < SUBID_WARN_MAX; i++)
		if (diag->n_warn < sizeof(diag->warn) / sizeof(diag->warn[0]))
			snprintf(diag->warn[diag->n_warn++], USERMAP_MSG_MAX,
				 "%s:%u: malformed line skipped: %s", path, res->warn[i].line,
				 res->warn[i].why);
	if (res->n_warn > SUBID_WARN_MAX)
		diag->n_warn_more += res->n_warn - SUBID_WARN_MAX;
	if (err)
		err_make(e, err, "%s:%u: %s", path, res->error.line, res->error.why);
	return err;
}

/**
 * usermap_build() - Work out the maps for a user from subuid/subgid
 * @o:		who, and which files
 * @ret:	the maps; the own-id-only maps when falling back
 * @diag:	why it fell back, malformed lines
 * @e:		the fatal error, on failure
 *
 * Falls back to the own ids alone (diag->fallback says why) when either file has no entry for
 * the user or newuidmap/newgidmap are not usable; fails when the user's own ranges are wrong.
 *
 * Return: 0 on success, negative errno (@e says more)
 */
int usermap_build(const struct usermap_opts *o, struct usermap *ret, struct usermap_diag *diag,
		  struct err *e)
{
	struct subid_result uids, gids;
	struct err helper = { 0 };
	int err;

	memset(diag, 0, sizeof(*diag));
	single(o, ret);
	if (o->root_only)
		return 0;
	if ((err = load(o->subuid_path, o, (uint32_t)o->uid, &uids, diag, e)) ||
	    (err = load(o->subgid_path, o, (uint32_t)o->gid, &gids, diag, e)))
		return err;

	if (!uids.n || !gids.n) {
		snprintf(diag->fallback, sizeof(diag->fallback),
			 "no %s entry for %s (uid %u); mapping only uid %u and gid %u to 0",
			 uids.n ? o->subgid_path : o->subuid_path, o->user ? o->user : "?",
			 (unsigned)o->uid, (unsigned)o->uid, (unsigned)o->gid);
		return 0;
	}
	if (usermap_helpers_check(&helper)) {
		snprintf(diag->fallback, sizeof(diag->fallback),
			 "%s; mapping only uid %u and gid %u to 0", err_text(&helper),
			 (unsigned)o->uid, (unsigned)o->gid);
		return 0;
	}
	stack((uint32_t)o->uid, &uids, ret->uid, ret->uid_line, &ret->n_uid);
	stack((uint32_t)o->gid, &gids, ret->gid, ret->gid_line, &ret->n_gid);
	ret->full = true;
	return 0;
}

/* Finds @name on $PATH; the setuid helpers are looked up as a shell would run them. */
static int which(const char *name, char *buf, size_t len)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL;
	int err = -ENOENT;

	copy = strdup(path && *path ? path : "/usr/bin:/bin");
	if (!copy)
		return -ENOMEM;
	for (dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		snprintf(buf, len, "%s/%s", dir, name);
		if (!access(buf, X_OK)) {
			err = 0;
			break;
		}
	}
	free(copy);
	return err;
}

static int helper_check(const char *name, struct err *e)
{
	char path[PATH_MAX];
	struct stat st;

	if (which(name, path, sizeof(path)) || stat(path, &st) < 0) {
		return err_make(e, -ENOENT, "%s not found on PATH (Debian package uidmap)", name);
	}
	if ((st.st_mode & S_ISUID) && st.st_uid == 0)
		return 0;
	if (getxattr(path, "security.capability", NULL, 0) > 0)
		return 0;
	return err_make(e, -EPERM, "%s is neither setuid root nor given file capabilities", path);
}

/**
 * usermap_helpers_check() - Tell whether newuidmap and newgidmap can do their job
 * @e:		the reason when they cannot
 *
 * Return: 0 if both are on PATH and setuid root (or with file capabilities), negative errno
 */
int usermap_helpers_check(struct err *e)
{
	int err = helper_check(NEWUIDMAP, e);

	return err ? err : helper_check(NEWGIDMAP, e);
}

struct helper_run {
	pid_t pid;
	int err_fd; /* its stderr */
};

/* Starts newuidmap/newgidmap PID INSIDE OUTSIDE COUNT... with its stderr on a pipe. */
static int helper_start(const char *helper, pid_t pid, const struct idmap_range *r, size_t n,
			struct helper_run *ret)
{
	char nums[HELPER_ARGV_MAX][NUM_TEXT_MAX];
	char *argv[HELPER_ARGV_MAX + 1];
	int errpipe[2], argc = 0;
	pid_t child;

	argv[argc++] = (char *)helper;
	snprintf(nums[argc], NUM_TEXT_MAX, "%d", (int)pid);
	argv[argc] = nums[argc];
	argc++;
	for (size_t i = 0; i < n; i++) {
		uint32_t v[3] = { r[i].inside, r[i].outside, r[i].count };

		for (int k = 0; k < 3; k++, argc++) {
			snprintf(nums[argc], NUM_TEXT_MAX, "%u", v[k]);
			argv[argc] = nums[argc];
		}
	}
	argv[argc] = NULL;

	if (pipe2(errpipe, O_CLOEXEC) < 0)
		return -errno;
	child = fork();
	if (child < 0) {
		close(errpipe[0]);
		close(errpipe[1]);
		return -errno;
	}
	if (child == 0) {
		dup2(errpipe[1], STDERR_FILENO);
		execvp(helper, argv);
		dprintf(STDERR_FILENO, "cannot run %s: %s", helper, strerror(errno));
		_exit(127);
	}
	close(errpipe[1]);
	ret->pid = child;
	ret->err_fd = errpipe[0];
	return 0;
}

/* Waits for a helper; on failure its first stderr line becomes @e's text. */
static int helper_finish(const char *helper, struct helper_run *run, struct err *e)
{
	char msg[USERMAP_MSG_MAX];
	ssize_t got = 0;
	int status;

	while ((size_t)got < sizeof(msg) - 1) {
		ssize_t k = read(run->err_fd, msg + got, sizeof(msg) - 1 - (size_t)got);

		if (k <= 0)
			break;
		got += k;
	}
	close(run->err_fd);
	msg[got] = '\0';
	msg[strcspn(msg, "\n")] = '\0';
	if (waitpid(run->pid, &status, 0) < 0)
		return -errno;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (msg[0])
		return err_make(e, -EPERM, "%s", msg);
	return err_make(e, -EPERM, "%s failed", helper);
}

/**
 * usermap_apply() - Write the maps of a process that just made a user namespace
 * @pid:	the process, in a fresh userns; the caller is in the parent userns
 * @m:		from usermap_build()
 * @e:		the reason, on failure
 *
 * Full maps go through the setuid newuidmap/newgidmap. The own-id map is written directly, which
 * the kernel allows the parent only once setgroups is denied (else the child could drop groups
 * that deny it access).
 *
 * Return: 0 on success, negative errno on failure
 */
int usermap_apply(pid_t pid, const struct usermap *m, struct err *e)
{
	char text[64];
	int err;

	if (m->full) {
		struct helper_run uid_run, gid_run;
		struct err gid_err = { 0 };
		int gerr;

		/* Both at once: each is a setuid exec that takes a millisecond or two. */
		if ((err = helper_start(NEWUIDMAP, pid, m->uid, m->n_uid, &uid_run)))
			return err;
		gerr = helper_start(NEWGIDMAP, pid, m->gid, m->n_gid, &gid_run);
		err = helper_finish(NEWUIDMAP, &uid_run, e);
		if (gerr)
			return err ? err : gerr;
		gerr = helper_finish(NEWGIDMAP, &gid_run, &gid_err);
		if (!err && gerr && e)
			*e = gid_err;
		return err ? err : gerr;
	}
	if ((err = proc_write(pid, "setgroups", "deny")))
		return err_errno(e, err, "writing setgroups");
	snprintf(text, sizeof(text), "0 %u 1\n", m->uid[0].outside);
	if ((err = proc_write(pid, "uid_map", text)))
		return err_errno(e, err, "writing uid_map");
	snprintf(text, sizeof(text), "0 %u 1\n", m->gid[0].outside);
	if ((err = proc_write(pid, "gid_map", text)))
		return err_errno(e, err, "writing gid_map");
	return 0;
}

/**
 * usermap_format() - Render ranges as /proc/PID/uid_map does
 * @r:		ranges
 * @n:		how many
 * @buf:	output
 * @len:	size of @buf
 */
void usermap_format(const struct idmap_range *r, size_t n, char *buf, size_t len)
{
	size_t used = 0;

	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++) {
		/* A map is cut only at a whole line: what is shown is never a wrong range. */
		if (str_fmt(buf + used, len - used, "%10u %10u %10u\n", r[i].inside, r[i].outside,
			    r[i].count)) {
			buf[used] = '\0';
			break;
		}
		used += strlen(buf + used);
	}
}

/**
 * usermap_build_own() - usermap_build() for the calling user, from /etc/subuid and /etc/subgid:
 * own uid and gid to 0, the subordinate ranges after them when the files allow
 * @ret:	the maps
 * @diag:	why it fell back, malformed lines
 * @e:		the fatal error, on failure
 *
 * Return: 0 on success, negative errno (@e says more)
 */
int usermap_build_own(struct usermap *ret, struct usermap_diag *diag, struct err *e)
{
	struct usermap_opts opts = { .uid = getuid(),
				     .gid = getgid(),
				     .subuid_path = SUBUID_PATH,
				     .subgid_path = SUBGID_PATH };
	struct passwd *pw = getpwuid(opts.uid);

	opts.user = pw ? pw->pw_name : NULL;
	return usermap_build(&opts, ret, diag, e);
}
