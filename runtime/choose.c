/* Which real OCI runtime rootlet-runtime runs: --runtime, $ROOTLET_RUNTIME, or crun, runc on PATH.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "strfmt.h"
#include "runtime.h"

/*
 * With no PATH at all (conmon runs some verbs so: delete has none), where the distributions put
 * a runtime, in the order of podman's usual PATH: Debian's runc is in /usr/sbin, not in
 * confstr()'s /bin:/usr/bin.
 */
#define RT_DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin"

/* Searched on PATH in this order when nothing names one: podman's own preference. */
static const char *const runtime_names[] = { "crun", "runc" };

/* Whether @path is this very binary (a wrapper installed as "runc" must not run itself). */
static bool is_self(const char *path)
{
	struct stat self, other;

	return !stat("/proc/self/exe", &self) && !stat(path, &other) &&
	       self.st_dev == other.st_dev && self.st_ino == other.st_ino;
}

/* An executable regular file at @path, other than ourselves. */
static bool usable(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode) && !access(path, X_OK) && !is_self(path);
}

/* @name in PATH's directories (RT_DEFAULT_PATH's when it is unset). */
static int path_search(const char *name, char *buf, size_t len)
{
	const char *path = getenv("PATH"), *dir, *end;

	if (!path || !*path)
		path = RT_DEFAULT_PATH;
	for (dir = path; *dir; dir = *end ? end + 1 : end) {
		end = strchrnul(dir, ':');
		if (end == dir)
			continue; /* an empty entry is the current directory: never for a runtime */
		if (!str_fmt(buf, len, "%.*s/%s", (int)(end - dir), dir, name) && buf[0] == '/' &&
		    usable(buf))
			return 0;
	}
	return -ENOENT;
}

/* What --runtime or $ROOTLET_RUNTIME names: a path, or a name looked up on PATH. */
static int named(const char *what, const char *value, struct rt_choice *ret, struct err *e)
{
	if (strchr(value, '/')) {
		if (snprintf(ret->path, sizeof(ret->path), "%s", value) >= (int)sizeof(ret->path))
			return err_make(e, -ENAMETOOLONG, "%s: path too long", what);
		if (is_self(ret->path))
			return err_make(e, -ELOOP, "%s names %s itself", what, RT_PROG);
		if (!usable(ret->path))
			return err_errno(e, -ENOENT, "%s: %s", what, value);
		return 0;
	}
	if (path_search(value, ret->path, sizeof(ret->path)))
		return err_make(e, -ENOENT, "%s: no executable '%s' on PATH", what, value);
	return 0;
}

/**
 * rt_choose() - Choose the real runtime
 * @option:	--runtime's value, or NULL
 * @ret:	its path and what chose it
 * @e:		why none could be chosen
 *
 * --runtime, else $ROOTLET_RUNTIME (a path, or a name looked up on PATH), else the first crun
 * on PATH, else the first runc. This binary itself is never chosen, so it may be installed on
 * PATH as "runc" in front of the real one.
 *
 * Return: 0, or -ENOENT, -ELOOP, -ENAMETOOLONG
 */
int rt_choose(const char *option, struct rt_choice *ret, struct err *e)
{
	const char *env = getenv(RT_ENV);

	if (option) {
		ret->how = "--runtime";
		return named("--runtime", option, ret, e);
	}
	if (env && *env) {
		ret->how = "$" RT_ENV;
		return named("$" RT_ENV, env, ret, e);
	}
	ret->how = "PATH";
	for (size_t i = 0; i < sizeof(runtime_names) / sizeof(*runtime_names); i++)
		if (!path_search(runtime_names[i], ret->path, sizeof(ret->path)))
			return 0;
	return err_make(e, -ENOENT, "no crun or runc on PATH; name one with --runtime or $%s",
			RT_ENV);
}
