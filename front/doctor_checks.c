/* rootlet doctor's checks: each finds one thing rootless networking needs, and its fix. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "strfmt.h"
#include "binpath.h"
#include "capture.h"
#include "doctor.h"
#include "fileio.h"
#include "front.h"
#include "statedir.h"

#define SYSCTL_TEXT_MAX 32
#define OVERLAP_RANGES	4096 /* lines of a subid file looked at for overlaps */

/* A sysctl's first number, or @dflt when it is not there. */
static long sysctl_long(const char *path, long dflt)
{
	char *text = NULL, *end;
	long v;

	if (file_read_small(AT_FDCWD, path, &text, NULL))
		return dflt;
	v = strtol(text, &end, 10);
	if (end == text)
		v = dflt;
	free(text);
	return v;
}

static bool unshare_user_works(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(unshare(CLONE_NEWUSER) ? 1 : 0);
	return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0;
}

void check_userns(struct doctor *d)
{
	const char *what = "user namespaces";
	long max = sysctl_long("/proc/sys/user/max_user_namespaces", 0);

	if (max == 0)
		doctor_result(d, DOCTOR_FAIL, what,
			      "sysctl -w user.max_user_namespaces=28633 (and in /etc/sysctl.d/)",
			      "user.max_user_namespaces is 0");
	else if (sysctl_long("/proc/sys/kernel/unprivileged_userns_clone", 1) == 0)
		doctor_result(d, DOCTOR_FAIL, what, "sysctl -w kernel.unprivileged_userns_clone=1",
			      "kernel.unprivileged_userns_clone is 0 (Debian/Ubuntu)");
	else if (sysctl_long("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", 0) == 1)
		doctor_result(d, DOCTOR_FAIL, what,
			      "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or an "
			      "AppArmor profile allowing userns for rootlet",
			      "AppArmor restricts unprivileged user namespaces");
	else if (!unshare_user_works())
		doctor_result(d, DOCTOR_FAIL, what,
			      "check the kernel's user namespace settings and any LSM policy",
			      "unshare --user is refused");
	else
		doctor_result(d, DOCTOR_OK, what, NULL, "enabled (user.max_user_namespaces=%ld)",
			      max);
}

/* The first @name on PATH that can be run, as `command -v` finds it. */
static bool on_path(const char *name, char *buf, size_t len)
{
	const char *path = getenv("PATH");

	for (const char *p = path; p && *p;) {
		size_t n = strcspn(p, ":");

		/* A candidate too long for @buf is not one we could name: skip it. */
		if (!str_fmt(buf, len, "%.*s/%s", (int)n, n ? p : ".", name) && !access(buf, X_OK))
			return true;
		p += n + (p[n] == ':');
	}
	return false;
}

/* Whether a file's capabilities (security.capability) permit setting uids or gids. */
static bool has_set_id_caps(const char *path)
{
	struct vfs_ns_cap_data caps;
	ssize_t n = getxattr(path, "security.capability", &caps, sizeof(caps));
	const __u32 wanted = (1U << CAP_SETUID) | (1U << CAP_SETGID);

	return n >= (ssize_t)XATTR_CAPS_SZ_1 && (caps.data[0].permitted & wanted);
}

void check_helpers(struct doctor *d)
{
	static const char *const helpers[] = { "newuidmap", "newgidmap" };
	char path[PATH_MAX], fix[DOCTOR_TEXT_MAX];
	struct stat st;

	for (size_t i = 0; i < sizeof(helpers) / sizeof(helpers[0]); i++) {
		const char *h = helpers[i];

		if (!on_path(h, path, sizeof(path))) {
			doctor_result(d, DOCTOR_FAIL, h, "apt-get install uidmap",
				      "not found on PATH");
			continue;
		}
		if (!stat(path, &st) && st.st_uid == 0 && (st.st_mode & S_ISUID)) {
			doctor_result(d, DOCTOR_OK, h, NULL, "%s is setuid root", path);
		} else if (has_set_id_caps(path)) {
			doctor_result(d, DOCTOR_OK, h, NULL, "%s has file capabilities", path);
		} else {
			/* A fix that does not fit is still worth its start: it is advice, not a
			 * path. */
			(void)str_fmt(fix, sizeof(fix),
				      "chmod u+s %s (as root), or reinstall the uidmap package",
				      path);
			doctor_result(d, DOCTOR_FAIL, h, fix,
				      "%s is neither setuid root nor given file capabilities",
				      path);
		}
	}
}

/* How many lines of @file are the user's own ("NAME:" or "UID:" first). */
static int own_lines(const char *file, const char *user, uid_t uid)
{
	char *text = NULL, uid_text[sizeof("4294967295:")];
	int n = 0;

	if (file_read_small(AT_FDCWD, file, &text, NULL))
		return -1;
	snprintf(uid_text, sizeof(uid_text), "%u:", (unsigned)uid);
	for (char *line = text; line && *line;) {
		char *nl = strchr(line, '\n');
		size_t ulen = strlen(user);

		if ((!strncmp(line, user, ulen) && line[ulen] == ':') ||
		    !strncmp(line, uid_text, strlen(uid_text)))
			n++;
		line = nl ? nl + 1 : NULL;
	}
	free(text);
	return n;
}

struct range {
	unsigned long start, end;
	char owner[LOGIN_NAME_MAX];
};

static int by_start(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* The first two owners whose ranges in @file overlap; false if none do. */
static bool first_overlap(const char *file, char *buf, size_t len)
{
	struct range *r = calloc(OVERLAP_RANGES, sizeof(*r));
	char *text = NULL, *save = NULL;
	unsigned long end = 0;
	bool found = false;
	int n = 0;

	if (!r || file_read_small(AT_FDCWD, file, &text, NULL)) {
		free(r);
		return false;
	}
	for (char *line = strtok_r(text, "\n", &save); line && n < OVERLAP_RANGES;
	     line = strtok_r(NULL, "\n", &save)) {
		char owner[LOGIN_NAME_MAX], rest;
		unsigned long start, count;

		if (sscanf(line, "%255[^:]:%lu:%lu%c", owner, &start, &count, &rest) != 3)
			continue;
		r[n] = (struct range){ .start = start, .end = start + count };
		snprintf(r[n].owner, sizeof(r[n].owner), "%s", owner);
		n++;
	}
	qsort(r, (size_t)n, sizeof(*r), by_start);
	for (int i = 0; i < n && !found; i++) {
		if (i > 0 && r[i].start < end) {
			snprintf(buf, len, "%s and %s", r[i - 1].owner, r[i].owner);
			found = true;
		}
		if (r[i].end > end)
			end = r[i].end;
	}
	free(text);
	free(r);
	return found;
}

void check_subids(struct doctor *d)
{
	const char *kinds[] = { "subuid", "subgid" }, *files[] = { d->subuid, d->subgid };
	struct passwd *pw = getpwuid(getuid());
	char user[LOGIN_NAME_MAX], uidmap[PATH_MAX], fix[DOCTOR_TEXT_MAX], opt[16], what[64];
	uid_t uid = getuid();

	snprintf(user, sizeof(user), "%s", pw ? pw->pw_name : "?");
	binary_path("rootlet-uidmap", NULL, uidmap, sizeof(uidmap));
	for (int k = 0; k < 2; k++) {
		char *out = NULL;
		int n = own_lines(files[k], user, uid), status;

		if (n <= 0) {
			snprintf(fix, sizeof(fix),
				 "usermod --add-sub%ss 100000-165535 %s (pick a range no one else "
				 "has)",
				 kinds[k] + strlen("sub"), user);
			doctor_result(d, DOCTOR_FAIL, kinds[k], fix, "no %s entry for %s (uid %u)",
				      files[k], user, (unsigned)uid);
			continue;
		}
		/* --strict turns every problem of the user's own ranges into an error line. */
		snprintf(opt, sizeof(opt), "--%s", kinds[k]);
		status = capture_run(
			uidmap,
			(char *[]){ uidmap, "--strict", opt, (char *)files[k], "show", NULL },
			STDERR_FILENO, &out);
		if (status == 0) {
			doctor_result(d, DOCTOR_OK, kinds[k], NULL, "%s: %d range(s) for %s",
				      files[k], n, user);
		} else if (out && (strstr(out, "newuidmap") || strstr(out, "newgidmap"))) {
			doctor_result(d, DOCTOR_OK, kinds[k], NULL,
				      "%s has entries for %s (the helpers are checked above)",
				      files[k], user);
		} else {
			const char *why = out ? out : "rootlet-uidmap does not run";

			if (!strncmp(why,
				     "rootlet-uidmap: show: ", strlen("rootlet-uidmap: show: ")))
				why += strlen("rootlet-uidmap: show: ");
			snprintf(fix, sizeof(fix), "fix that line of %s", files[k]);
			doctor_result(d, DOCTOR_FAIL, kinds[k], fix, "%.*s",
				      (int)strcspn(why, "\n"), why);
		}
		free(out);
	}
	/* Ranges of two users that overlap let one map the other's files. */
	for (int k = 0; k < 2; k++) {
		char pair[2 * LOGIN_NAME_MAX + sizeof(" and ")];

		if (!first_overlap(files[k], pair, sizeof(pair)))
			continue;
		snprintf(what, sizeof(what), "%s overlap", kinds[k]);
		snprintf(fix, sizeof(fix), "give each user a range of its own in %s", files[k]);
		doctor_result(d, DOCTOR_WARN, what, fix, "ranges overlap: %s", pair);
	}
}

void check_tun(struct doctor *d)
{
	struct stat st;
	struct passwd *pw = getpwuid(getuid());

	if (stat("/dev/net/tun", &st) || !S_ISCHR(st.st_mode))
		doctor_result(d, DOCTOR_FAIL, "/dev/net/tun", "modprobe tun", "missing");
	else if (!access("/dev/net/tun", R_OK | W_OK))
		doctor_result(d, DOCTOR_OK, "/dev/net/tun", NULL, "accessible");
	else
		doctor_result(
			d, DOCTOR_FAIL, "/dev/net/tun",
			"chmod 0666 /dev/net/tun (as root; standard distributions ship it so)",
			"not accessible to %s (mode %o)", pw ? pw->pw_name : "you",
			st.st_mode & 07777);
}

void check_runtime_dir(struct doctor *d)
{
	const char *dir = getenv("XDG_RUNTIME_DIR"), *what = "XDG_RUNTIME_DIR";
	struct passwd *pw = getpwuid(getuid());
	const char *user = pw ? pw->pw_name : "you";
	char fix[DOCTOR_TEXT_MAX];
	struct stat st;

	char root[PATH_MAX];

	if ((!dir || !dir[0]) && !getenv("ROOTLET_STATE_DIR") && geteuid() != 0 &&
	    !state_root_path(root, sizeof(root))) {
		/* rootlet falls back to /run/user/UID; other programs may not. */
		(void)str_fmt(fix, sizeof(fix), "export XDG_RUNTIME_DIR=%.*s",
			      (int)(strrchr(root, '/') - root), root);
		doctor_result(d, DOCTOR_WARN, what, fix, "not set; rootlet uses %s", root);
	} else if (!dir || !dir[0]) {
		snprintf(fix, sizeof(fix),
			 "log in through a session that sets it (pam_systemd), or export "
			 "XDG_RUNTIME_DIR=/run/user/%u after creating it 0700",
			 (unsigned)getuid());
		doctor_result(d, DOCTOR_FAIL, what, fix, "not set");
	} else if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(fix, sizeof(fix), "mkdir -m 0700 %s (owned by %s)", dir, user);
		doctor_result(d, DOCTOR_FAIL, what, fix, "%s does not exist", dir);
	} else if (st.st_uid != getuid()) {
		snprintf(fix, sizeof(fix), "chown %s %s", user, dir);
		doctor_result(d, DOCTOR_FAIL, what, fix, "%s is not owned by %s", dir, user);
	} else {
		doctor_result(d, DOCTOR_OK, what, NULL, "%s", dir);
	}
}

void check_ports(struct doctor *d)
{
	long start = sysctl_long("/proc/sys/net/ipv4/ip_unprivileged_port_start", 1024);

	doctor_result(d, DOCTOR_OK, "unprivileged ports", NULL,
		      "from %ld up can be published (net.ipv4.ip_unprivileged_port_start)", start);
}

void check_libslirp(struct doctor *d)
{
	char slirp[PATH_MAX], *out = NULL, *v;

	binary_path("rootlet-slirp", NULL, slirp, sizeof(slirp));
	capture_run(slirp, (char *[]){ slirp, "-v", NULL }, STDOUT_FILENO, &out);
	v = out ? strstr(out, "\nlibslirp: ") : NULL;
	if (v)
		doctor_result(d, DOCTOR_OK, "libslirp", NULL, "%.*s",
			      (int)strcspn(v + strlen("\nlibslirp: "), "\n"),
			      v + strlen("\nlibslirp: "));
	else
		doctor_result(d, DOCTOR_FAIL, "libslirp", "apt-get install libslirp0",
			      "rootlet-slirp does not run");
	free(out);
}

void check_stale(struct doctor *d)
{
	char netns[PATH_MAX], *out = NULL, names[DOCTOR_TEXT_MAX] = "";
	json_t *list, *e;
	size_t i, used = 0;

	if (state_root_path(netns, sizeof(netns)))
		return;
	binary_path("rootlet-netns", NULL, netns, sizeof(netns));
	capture_run(netns, (char *[]){ netns, "list", "--json", NULL }, STDOUT_FILENO, &out);
	list = out ? json_loads(out, 0, NULL) : NULL;
	json_array_foreach(list, i, e)
	{
		const char *state = json_string_value(json_object_get(e, "state"));
		const char *name = json_string_value(json_object_get(e, "name"));

		/* A list too long for one line ends where it stops fitting. */
		if (name && state && strcmp(state, "live") && used < sizeof(names) &&
		    str_fmt(names + used, sizeof(names) - used, "%s%s", used ? " " : "", name))
			break;
		used += strlen(names + used);
	}
	json_decref(list);
	free(out);
	if (names[0])
		doctor_result(d, DOCTOR_WARN, "rootlet state", "rootlet netns gc",
			      "stale netns: %s", names);
	else
		doctor_result(d, DOCTOR_OK, "rootlet state", NULL, "no stale netns");
}
