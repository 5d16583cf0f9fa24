/* rootlet-runtime's create/run: the bypass asked by annotations or options, merged into
 * config.json. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bypass_filter.h"
#include "cmdline.h"
#include "fileio.h"
#include "fwdspec.h"
#include "oci.h"
#include "runtime.h"
#include "state.h"
#include "statedir.h"

#define NS_SUFFIX "/" STATE_NET

/**
 * rt_publish_add() - Add a SPEC[,SPEC...] list to what the bypass is asked to publish
 * @ask:	what is asked
 * @list:	the list, kept (not copied): argv or the config's annotation
 * @e:		the spec that is wrong, and why
 *
 * Return: 0, -EINVAL for a bad spec, -ENOMEM
 */
int rt_publish_add(struct rt_ask *ask, const char *list, struct err *e)
{
	char spec[SPEC_TEXT_MAX + 1];
	const char *p = list, *end;

	do {
		struct fwd_spec parsed;
		struct err why = { 0 };
		size_t len;

		end = strchrnul(p, ',');
		len = (size_t)(end - p);
		if (len >= sizeof(spec))
			return err_make(e, -EINVAL, "publish spec '%.*s...': longer than %d bytes",
					SPEC_TEXT_MAX, p, SPEC_TEXT_MAX);
		memcpy(spec, p, len);
		spec[len] = '\0';
		if (spec_parse(spec, &parsed, &why))
			return err_make(e, -EINVAL, "publish spec '%s': %s", spec, err_text(&why));
		p = *end ? end + 1 : end;
	} while (*end);
	if (cmdline_append(&ask->publish, &ask->n_publish, list))
		return err_make(e, -ENOMEM, "out of memory");
	return 0;
}

/* An annotation that is 1 or 0 (true or false): *ret set if present. */
static int ann_flag(json_t *annotations, const char *key, bool *ret, struct err *e)
{
	json_t *v = json_object_get(annotations, key);
	const char *s = json_string_value(v);

	if (!v)
		return 0;
	if (s && (!strcmp(s, "1") || !strcmp(s, "true")))
		*ret = true;
	else if (s && (!strcmp(s, "0") || !strcmp(s, "false")))
		return 0;
	else
		return err_make(e, -EINVAL, "annotation %s: not \"1\" or \"0\"", key);
	return 0;
}

/* The annotations' asks, added to the options'. */
static int ann_read(json_t *config, struct rt_ask *ask, struct err *e)
{
	json_t *annotations = json_object_get(config, "annotations"), *publish;
	int err;

	if (!annotations)
		return 0;
	if (!json_is_object(annotations))
		return err_make(e, -EINVAL, "annotations: not a JSON object");
	if ((err = ann_flag(annotations, RT_ANN_BYPASS, &ask->bypass, e)) ||
	    (err = ann_flag(annotations, RT_ANN_HOST_LOOPBACK, &ask->host_loopback, e)))
		return err;
	publish = json_object_get(annotations, RT_ANN_PUBLISH);
	if (!publish)
		return 0;
	if (!json_is_string(publish))
		return err_make(e, -EINVAL, "annotation %s: not a string", RT_ANN_PUBLISH);
	if ((err = rt_publish_add(ask, json_string_value(publish), e)))
		return err_wrap(e, err, "annotation %s", RT_ANN_PUBLISH);
	return 0;
}

/* The path of the netns the container joins (linux.namespaces, type network), or NULL. */
static const char *netns_path(json_t *config)
{
	json_t *namespaces = json_object_get(json_object_get(config, "linux"), "namespaces"), *ns;
	size_t i;

	json_array_foreach(namespaces, i, ns)
	{
		const char *type = json_string_value(json_object_get(ns, "type"));

		if (type && !strcmp(type, "network"))
			return json_string_value(json_object_get(ns, "path"));
	}
	return NULL;
}

/*
 * A rootlet netns at @path, "<root>/<name>/net": <root> a state root of ours (our own, mode
 * 0700, as every verb opens it), <name> a valid name, its holder live. The path is read as
 * text, never resolved: it is what the runtime will join.
 */
static int entry_of(const char *path, char *root, char *name, int *ret_entry_fd, struct err *e)
{
	char rebuilt[PATH_MAX];
	const char *slash;
	struct netns_state st;
	size_t len = strlen(path), suffix = strlen(NS_SUFFIX);
	int root_fd, entry_fd, err;

	if (path[0] != '/' || len <= suffix || len >= PATH_MAX ||
	    strcmp(path + len - suffix, NS_SUFFIX))
		goto not_ours;
	memcpy(root, path, len - suffix);
	root[len - suffix] = '\0';
	slash = strrchr(root, '/');
	snprintf(name, NAME_MAX_LEN + 1, "%s", slash + 1);
	root[slash == root ? 1 : slash - root] = '\0';
	if (name_check(name, NULL) ||
	    state_entry_path(rebuilt, sizeof(rebuilt), root, name, STATE_NET) ||
	    strcmp(rebuilt, path))
		goto not_ours;
	if ((err = state_root_open(root, false, &root_fd)))
		return err_errno(e, err,
				 "%s is not a rootlet netns (its state root %s is not ours)", path,
				 root);
	entry_fd = openat(root_fd, name, DIR_OPEN_FLAGS);
	err = entry_fd < 0 ? -errno : 0;
	close(root_fd);
	if (err)
		return err_errno(e, err, "%s is not a rootlet netns", path);
	if ((err = state_read(entry_fd, &st)) || (err = state_live(entry_fd, &st)) <= 0) {
		close(entry_fd);
		return err_errno(e, err < 0 ? err : -ESRCH, "netns %s: not live", name);
	}
	*ret_entry_fd = entry_fd;
	return 0;
not_ours:
	return err_make(e, -EINVAL,
			"the container's netns %s is not a rootlet netns (<state root>/NAME/net)",
			path);
}

/* Whether @path reads as <root>/<name>/net: a rootlet netns's, or nothing we serve. */
static bool rootlet_shaped(const char *path)
{
	char name[NAME_MAX_LEN + 1];
	size_t len = strlen(path), suffix = strlen(NS_SUFFIX);
	const char *start;

	if (len <= suffix || strcmp(path + len - suffix, NS_SUFFIX))
		return false;
	for (start = path + len - suffix; start > path && start[-1] != '/'; start--)
		;
	if ((size_t)(path + len - suffix - start) > NAME_MAX_LEN)
		return false;
	snprintf(name, sizeof(name), "%.*s", (int)(path + len - suffix - start), start);
	return !name_check(name, NULL);
}

/* Whether @path is below our state root: a rootlet netns's, or nothing we serve. */
static bool in_state_root(const char *path)
{
	char root[PATH_MAX];
	size_t len;

	if (path[0] != '/' || state_root_path(root, sizeof(root)))
		return true; /* judged as a rootlet netns's: refused */
	len = strlen(root);
	return !strncmp(path, root, len) && (path[len] == '/' || !path[len]);
}

/*
 * In an engine's own netns the supervisor serves a container by the annotations of its state,
 * and podman copies an image's annotations into config.json: an image must not grant itself the
 * host's loopback or a host port. So there, host loopback and publish come from our options
 * alone (podman --runtime-flag, Docker's runtimeArgs), and are written as the annotations the
 * supervisor reads; the config asking for them itself is refused.
 */
static int host_asks(json_t *config, const struct rt_cfg *cfg, const struct rt_ask *ask,
		     struct err *e)
{
	json_t *ann = json_object_get(config, "annotations");
	char *list = NULL;
	size_t len = 0;
	FILE *f;

	if (ask->host_loopback != cfg->ask.host_loopback || ask->n_publish != cfg->ask.n_publish)
		return err_make(
			e, -EPERM,
			"annotations %s and %s: in the engine's own netns an image's "
			"annotations cannot be told from yours; give %s's "
			"--bypass-host-loopback and --bypass-publish (podman --runtime-flag, "
			"Docker runtimeArgs)",
			RT_ANN_HOST_LOOPBACK, RT_ANN_PUBLISH, RT_PROG);
	if (!ann) {
		ann = json_object();
		if (json_object_set_new(config, "annotations", ann))
			return err_make(e, -ENOMEM, "out of memory");
	}
	if (!(f = open_memstream(&list, &len)))
		return err_make(e, -ENOMEM, "out of memory");
	for (int i = 0; i < ask->n_publish; i++)
		fprintf(f, "%s%s", i ? "," : "", ask->publish[i]);
	fclose(f);
	if (json_object_set_new(ann, RT_ANN_HOST_LOOPBACK,
				json_string(ask->host_loopback ? "1" : "0")) ||
	    (ask->n_publish ? json_object_set_new(ann, RT_ANN_PUBLISH, json_string(list))
			    : json_object_del(ann, RT_ANN_PUBLISH) && 0)) {
		free(list);
		return err_make(e, -ENOMEM, "out of memory");
	}
	free(list);
	return 0;
}

static int bypass_merge(json_t *config, const char *config_path, const char *listener,
			struct rt_ask *ask, struct err *e)
{
	const char *unguarded = NULL;
	size_t hooked;
	int err = oci_seccomp_notify(config, listener, &bypass_oci_notify, &hooked, &unguarded);

	if (err == -EEXIST)
		return err_make(e, err, "%s: linux.seccomp.listenerPath names another supervisor",
				config_path);
	if (err == -EINVAL)
		return err_make(e, err, "%s: linux.seccomp or its syscalls is not of the OCI type",
				config_path);
	if (err == -EPERM)
		return err_make(
			e, err,
			"%s: its seccomp profile allows %s on a condition, which the bypass "
			"cannot hook: a bypassed socket would be unguarded",
			config_path, unguarded);
	if (err)
		return err_errno(e, err, "%s", config_path);
	if (!hooked)
		return err_make(
			e, -EPERM,
			"%s: its seccomp profile restricts connect and bind: nothing to bypass",
			config_path);
	if (hooked < BYPASS_HOOKED_N)
		snprintf(ask->warning, sizeof(ask->warning),
			 "the profile restricts some of connect and bind: those are not bypassed");
	return 0;
}

/**
 * rt_bypass() - On create/run: put the container under its netns's supervisor when asked
 * @cfg:	the command line (its --bypass options)
 * @config_path: the config.json the runtime will read
 * @ask:	what our options ask; the annotations' asks are added
 * @e:		why it cannot be done
 *
 * Nothing asked: the config is not written. Asked: the container's netns must be a live
 * rootlet netns whose rootlet-bypass runs and offers what is asked; the notify rules are merged
 * into the config's own profile and the listener set (what rootlet-netns oci --bypass does),
 * and the file replaced atomically. The user namespace and id maps are left as the engine set
 * them: a rootless engine runs the runtime inside the netns's user namespace already.
 *
 * Return: 0 (nothing done, or done), negative errno with the config untouched
 */
int rt_bypass(const struct rt_cfg *cfg, const char *config_path, struct rt_ask *ask, struct err *e)
{
	char root[PATH_MAX], name[NAME_MAX_LEN + 1], listener[PATH_MAX];
	json_t *config = NULL;
	const char *path, *kit;
	bool inside_kit;
	int entry_fd = -1, err;

	if ((err = oci_load(config_path, &config, e)))
		return cfg->ask.bypass ? err : 0; /* not ours to judge: the runtime will */
	if ((err = ann_read(config, ask, e)))
		goto out;
	if (!ask->bypass)
		goto out;
	path = netns_path(config);
	kit = getenv(RT_ENV_ROOTLESSKIT);
	inside_kit = kit && *kit;
	if (!path && !inside_kit) {
		err = err_make(e, -EINVAL,
			       "the container is in no rootlet netns (linux.namespaces names no "
			       "network path; podman: --network ns:PATH)");
		goto out;
	}
	if (!path || (path[0] == '/' && !rootlet_shaped(path) && !in_state_root(path))) {
		/*
		 * An engine's own netns: the host-side supervisor, the asks only ours (host.c).
		 * Inside rootlesskit (rootless Docker) that is a network of the engine's too: a
		 * new netns its hook sets up (docker0's), or rootlesskit's own (--network host).
		 */
		if ((err = host_asks(config, cfg, ask, e)) ||
		    (err = rt_host_listener(listener, sizeof(listener), !inside_kit, e)))
			goto out;
	} else if ((err = entry_of(path, root, name, &entry_fd, e)) ||
		   (err = rt_supervisor_check(entry_fd, name, ask, e))) {
		goto out;
	} else if ((err = state_entry_path(listener, sizeof(listener), root, name,
					   STATE_BYPASS_SOCKET))) {
		err = err_errno(e, err, "%s", root);
		goto out;
	}
	if ((err = bypass_merge(config, config_path, listener, ask, e)))
		goto out;
	if ((err = oci_save(config, config_path, true)))
		err_errno(e, err, "writing %s", config_path);
out:
	if (entry_fd >= 0)
		close(entry_fd);
	json_decref(config);
	return err;
}
