/* rootlet-runtime: the netns's rootlet-bypass runs and offers what the container asks. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strfmt.h"
#include "fileio.h"
#include "fwdspec.h"
#include "pidfile.h"
#include "runtime.h"
#include "state.h"

#define PROC_PATH_MAX 64

/* What a running supervisor offers, read from its command line. */
struct offer {
	bool host_loopback;
	char **publish; /* its --publish values, normalised */
	int n_publish;
};

static void offer_free(struct offer *o)
{
	for (int i = 0; i < o->n_publish; i++)
		free(o->publish[i]);
	free(o->publish);
}

/* @spec as spec_format() writes it, so that equal specs compare equal as text. */
static int spec_normal(const char *spec, char *buf, size_t len)
{
	struct fwd_spec parsed;

	if (spec_parse(spec, &parsed, NULL))
		return -EINVAL;
	spec_format(&parsed, buf, len);
	return 0;
}

/* The supervisor's argv (rootlet-bypass --netns NAME [--allow-host-loopback] [--publish S]...). */
static int offer_read(pid_t pid, struct offer *ret)
{
	char path[PROC_PATH_MAX], norm[SPEC_TEXT_MAX * 2], *text;
	size_t len;
	int err;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if ((err = file_read_small(AT_FDCWD, path, &text, &len)))
		return err;
	for (size_t at = 0; at < len; at += strlen(text + at) + 1) {
		const char *arg = text + at,
			   *next = at + strlen(arg) + 1 < len ? arg + strlen(arg) + 1 : NULL;
		char **grown;

		if (!strcmp(arg, "--allow-host-loopback"))
			ret->host_loopback = true;
		if (strcmp(arg, "--publish") || !next || spec_normal(next, norm, sizeof(norm)))
			continue;
		grown = realloc(ret->publish, (size_t)(ret->n_publish + 1) * sizeof(*grown));
		if (!grown || !(grown[ret->n_publish] = strdup(norm))) {
			if (grown)
				ret->publish = grown;
			free(text);
			return -ENOMEM;
		}
		ret->publish = grown;
		ret->n_publish++;
	}
	free(text);
	return 0;
}

/* Whether every spec of the SPEC[,SPEC...] @list is among @o's. */
static int offers_all(const struct offer *o, const char *list, char *missing, size_t len)
{
	char spec[SPEC_TEXT_MAX + 1], norm[SPEC_TEXT_MAX * 2];
	const char *p = list, *end;

	do {
		bool found = false;

		end = strchrnul(p, ',');
		if (str_fmt(spec, sizeof(spec), "%.*s", (int)(end - p), p) ||
		    spec_normal(spec, norm, sizeof(norm)))
			return -EINVAL; /* checked when it was taken */
		for (int i = 0; i < o->n_publish && !found; i++)
			found = !strcmp(o->publish[i], norm);
		if (!found) {
			snprintf(missing, len, "%s", spec);
			return 0;
		}
		p = *end ? end + 1 : end;
	} while (*end);
	return 1;
}

/**
 * rt_supervisor_check() - The netns's rootlet-bypass runs, and offers what @ask asks
 * @entry_fd:	the netns's entry
 * @name:	its name, for messages
 * @ask:	host loopback and published specs asked
 * @e:		what is missing
 *
 * The supervisor's policy is its own, fixed when rootlet-netns add started it: a container
 * cannot widen it. Asking for more than it offers fails create, rather than run a container
 * that would silently not get what it asked.
 *
 * Return: 0, -ENOENT with no supervisor, -ESRCH if it is dead, -EPERM if it offers less
 */
int rt_supervisor_check(int entry_fd, const char *name, const struct rt_ask *ask, struct err *e)
{
	char missing[SPEC_TEXT_MAX + 1];
	struct offer o = { 0 };
	struct pidfile pf;
	int err, live;

	err = pidfile_read(entry_fd, STATE_BYPASS_PIDFILE, &pf);
	if (err == -ENOENT)
		return err_make(e, err,
				"no rootlet-bypass serves netns %s (add it with --slirp "
				"--bypass)",
				name);
	if (err)
		return err_errno(e, err, "netns %s: %s", name, STATE_BYPASS_PIDFILE);
	if ((live = pidfile_live(&pf)) <= 0)
		return err_errno(e, live < 0 ? live : -ESRCH,
				 "netns %s: its rootlet-bypass is not "
				 "running",
				 name);
	if ((err = offer_read(pf.pid, &o)) || (live = pidfile_live(&pf)) <= 0) {
		offer_free(&o);
		return err_errno(e, err ? err : -ESRCH, "netns %s: its rootlet-bypass", name);
	}
	if (ask->host_loopback && !o.host_loopback) {
		err = err_make(e, -EPERM,
			       "netns %s: its rootlet-bypass does not allow host loopback "
			       "(add it with --allow-host-loopback)",
			       name);
		goto out;
	}
	for (int i = 0; i < ask->n_publish; i++) {
		err = offers_all(&o, ask->publish[i], missing, sizeof(missing));
		if (err < 0) {
			err = err_make(e, err, "publish spec '%s'", ask->publish[i]);
			goto out;
		}
		if (!err) {
			err = err_make(e, -EPERM,
				       "netns %s: its rootlet-bypass does not publish %s "
				       "(add it with --publish %s)",
				       name, missing, missing);
			goto out;
		}
		err = 0;
	}
out:
	offer_free(&o);
	return err;
}
