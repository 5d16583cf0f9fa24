/* A config.json's seccomp profile, extended with notify rules for a listener, never replaced. */
#include <errno.h>
#include <string.h>

#include "oci.h"

#define ACT_ALLOW  "SCMP_ACT_ALLOW"
#define ACT_LOG	   "SCMP_ACT_LOG"
#define ACT_NOTIFY "SCMP_ACT_NOTIFY"

/*
 * Theory of operation
 *
 * The runtime's profile (podman's default, say) stays whole: every rule it has keeps its
 * effect. A call may be handed to the listener only where the profile lets it through
 * unconditionally: named by an allow rule with no argument or capability condition, or not
 * named at all under an allowing default. There, its name moves from the allow rule to our
 * notify rule (the supervisor either performs the call or lets it continue, so it is still
 * allowed). A call the profile refuses, or allows only under a condition, is left as it is and
 * not hooked: libseccomp takes one action per call, and ours must never open what the profile
 * closed.
 */

static bool is_action(json_t *v, const char *action)
{
	return json_is_string(v) && !strcmp(json_string_value(v), action);
}

static bool names_has(json_t *names, const char *name)
{
	size_t i;
	json_t *v;

	json_array_foreach(names, i, v) if (json_is_string(v) &&
					    !strcmp(json_string_value(v), name)) return true;
	return false;
}

/* A rule that lets @name through whatever its arguments and the caller's capabilities. */
static bool rule_plain_allow(json_t *rule)
{
	json_t *args = json_object_get(rule, "args");
	json_t *inc = json_object_get(rule, "includes"), *exc = json_object_get(rule, "excludes");

	return is_action(json_object_get(rule, "action"), ACT_ALLOW) &&
	       (!args || json_array_size(args) == 0) && (!inc || json_object_size(inc) == 0) &&
	       (!exc || json_object_size(exc) == 0);
}

/* Whether @name may be hooked in @syscalls under @allowing (the default lets calls through). */
static bool hookable(json_t *syscalls, const char *name, bool allowing)
{
	bool allowed = allowing;
	json_t *rule;
	size_t i;

	json_array_foreach(syscalls, i, rule)
	{
		if (!names_has(json_object_get(rule, "names"), name))
			continue;
		if (!rule_plain_allow(rule))
			return false;
		allowed = true;
	}
	return allowed;
}

/* Whether a notify rule names @name already. */
static bool notified(json_t *syscalls, const char *name)
{
	json_t *rule;
	size_t i;

	json_array_foreach(syscalls, i,
			   rule) if (is_action(json_object_get(rule, "action"), ACT_NOTIFY) &&
				     names_has(json_object_get(rule, "names"), name)) return true;
	return false;
}

/* Takes @name out of every (plain allow) rule naming it; rules left naming nothing go. */
static void unname(json_t *syscalls, const char *name)
{
	for (size_t i = 0; i < json_array_size(syscalls);) {
		json_t *names = json_object_get(json_array_get(syscalls, i), "names");

		for (size_t j = 0; j < json_array_size(names);) {
			json_t *v = json_array_get(names, j);

			if (json_is_string(v) && !strcmp(json_string_value(v), name))
				json_array_remove(names, j);
			else
				j++;
		}
		if (json_is_array(names) && json_array_size(names) == 0)
			json_array_remove(syscalls, i);
		else
			i++;
	}
}

/**
 * oci_seccomp_notify() - Hand @names to the listener at @listener in @config's seccomp profile
 * @config:	the config object
 * @listener:	linux.seccomp.listenerPath
 * @names:	the calls to notify about
 * @n:		how many
 * @ret_hooked:	how many of them the profile let us hook (the others it restricts)
 *
 * With no profile, one is made that allows everything but notifies about @names.
 *
 * Return: 0 on success, -EINVAL if linux or its seccomp part is not of the OCI type, -EEXIST
 *	   if the profile has another listener already, -ENOMEM
 */
int oci_seccomp_notify(json_t *config, const char *listener, const char *const *names, size_t n,
		       size_t *ret_hooked)
{
	json_t *linux_obj = json_object_get(config, "linux"), *seccomp, *syscalls, *path, *moved;
	bool allowing;

	if (!linux_obj && json_object_set_new(config, "linux", linux_obj = json_object()))
		return -ENOMEM;
	if (!json_is_object(linux_obj))
		return -EINVAL;
	seccomp = json_object_get(linux_obj, "seccomp");
	if (!seccomp &&
	    json_object_set_new(linux_obj, "seccomp",
				seccomp = json_pack("{s:s}", "defaultAction", ACT_ALLOW)))
		return -ENOMEM;
	if (!json_is_object(seccomp))
		return -EINVAL;
	path = json_object_get(seccomp, "listenerPath");
	if (path && (!json_is_string(path) || strcmp(json_string_value(path), listener)))
		return -EEXIST;
	syscalls = json_object_get(seccomp, "syscalls");
	if (!syscalls && json_object_set_new(seccomp, "syscalls", syscalls = json_array()))
		return -ENOMEM;
	if (!json_is_array(syscalls))
		return -EINVAL;

	allowing = is_action(json_object_get(seccomp, "defaultAction"), ACT_ALLOW) ||
		   is_action(json_object_get(seccomp, "defaultAction"), ACT_LOG);
	moved = json_array();
	if (!moved)
		return -ENOMEM;
	*ret_hooked = 0;
	for (size_t i = 0; i < n; i++) {
		if (notified(syscalls, names[i])) {
			(*ret_hooked)++; /* ours already, from an earlier run of this */
			continue;
		}
		if (!hookable(syscalls, names[i], allowing))
			continue;
		unname(syscalls, names[i]);
		json_array_append_new(moved, json_string(names[i]));
		(*ret_hooked)++;
	}
	if (!json_array_size(moved))
		json_decref(moved);
	else if (json_array_append_new(
			 syscalls, json_pack("{s:o, s:s}", "names", moved, "action", ACT_NOTIFY)))
		return -ENOMEM;
	if (*ret_hooked && json_object_set_new(seccomp, "listenerPath", json_string(listener)))
		return -ENOMEM;
	return 0;
}
