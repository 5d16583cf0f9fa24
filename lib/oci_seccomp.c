/* A config.json's seccomp profile, extended with notify rules for a listener, never replaced. */
#include <errno.h>
#include <string.h>

#include "oci.h"

#define ACT_ALLOW  "SCMP_ACT_ALLOW"
#define ACT_NOTIFY "SCMP_ACT_NOTIFY"
#define ACT_ERRNO  "SCMP_ACT_ERRNO"
#define CMP_MASKED "SCMP_CMP_MASKED_EQ"

/*
 * Theory of operation
 *
 * The runtime's profile (podman's default, say) stays whole: every rule it has keeps its
 * effect. A call may be handed to the listener only where the profile lets it through
 * unconditionally: named by a rule with no argument or capability condition whose action lets
 * it run (ALLOW, LOG, TRACE, NOTIFY: anything but ERRNO, KILL and TRAP), or not named at all
 * under such a default. There, its name moves from that rule to our notify rule (the
 * supervisor either performs the call or lets it continue, so it is still allowed): no rule
 * that lets it run survives beside ours, or the kernel would take that one (LOG's precedence
 * is above NOTIFY's) and a twin would be connected unchecked. A call the profile refuses is
 * left as it is and not hooked: ours must never open what the profile closed.
 *
 * A call the profile lets run only under a condition (its arguments, a capability; a NOTIFY
 * rule of its own on fd 9999 is one) cannot be hooked without changing what the condition
 * means, and left alone it would let a twin be connected by the kernel: the merge is refused
 * then. Our own rules of an earlier merge (a plain notify rule, a flagged call's pair) are
 * taken out first and made again, so that only they are trusted as ours.
 *
 * A flagged call (a send with MSG_FASTOPEN) gets two rules: notified with the flag, allowed
 * without it. A refused call (io_uring, i386's socketcall) is taken out of every rule and
 * refused by ours: whatever the profile did with it, it now fails.
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

/* Whether an action (a rule's or the default's) fails the call rather than letting it run. */
static bool refusing(json_t *action)
{
	static const char *const refusals[] = { ACT_ERRNO, "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
						"SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP" };

	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
		if (is_action(action, refusals[i]))
			return true;
	return false;
}

/* A rule with no argument or capability condition. */
static bool rule_unconditioned(json_t *rule)
{
	json_t *args = json_object_get(rule, "args");
	json_t *inc = json_object_get(rule, "includes"), *exc = json_object_get(rule, "excludes");

	return (!args || json_array_size(args) == 0) && (!inc || json_object_size(inc) == 0) &&
	       (!exc || json_object_size(exc) == 0);
}

/* A rule that lets @name run whatever its arguments and the caller's capabilities. */
static bool rule_plain_allow(json_t *rule)
{
	return !refusing(json_object_get(rule, "action")) && rule_unconditioned(rule);
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

/* Whether @rule is one of a flagged call's pair (add_flagged()): names @name alone, on @arg. */
static bool rule_ours_flagged(json_t *rule, const char *name, unsigned arg, unsigned long flag)
{
	json_t *names = json_object_get(rule, "names"), *args = json_object_get(rule, "args");
	json_t *cmp = json_array_get(args, 0), *action = json_object_get(rule, "action");
	bool notify = is_action(action, ACT_NOTIFY);

	return json_array_size(names) == 1 && names_has(names, name) &&
	       (notify || is_action(action, ACT_ALLOW)) && json_array_size(args) == 1 &&
	       json_object_size(rule) == 3 && json_object_size(cmp) == 4 &&
	       json_integer_value(json_object_get(cmp, "index")) == (json_int_t)arg &&
	       json_integer_value(json_object_get(cmp, "value")) == (json_int_t)flag &&
	       json_integer_value(json_object_get(cmp, "valueTwo")) ==
		       (json_int_t)(notify ? flag : 0) &&
	       is_action(json_object_get(cmp, "op"), CMP_MASKED);
}

/*
 * Takes @name (NULL: nothing) out of the names of rule @i of @syscalls; a rule left naming
 * nothing goes. Returns whether it went.
 */
static bool names_drop(json_t *syscalls, size_t i, const char *name)
{
	json_t *names = json_object_get(json_array_get(syscalls, i), "names");

	for (size_t j = 0; name && j < json_array_size(names);) {
		json_t *v = json_array_get(names, j);

		if (json_is_string(v) && !strcmp(json_string_value(v), name))
			json_array_remove(names, j);
		else
			j++;
	}
	if (!json_is_array(names) || json_array_size(names) != 0)
		return false;
	json_array_remove(syscalls, i);
	return true;
}

/*
 * Our rules of an earlier merge, out: @name out of every plain notify rule, or (@flagged) the
 * pair add_flagged() made for it. Whatever else names it is the profile's, and judged as such.
 */
static void unname_ours(json_t *syscalls, const char *name, bool flagged, unsigned arg,
			unsigned long flag)
{
	for (size_t i = 0; i < json_array_size(syscalls);) {
		json_t *rule = json_array_get(syscalls, i);
		bool ours;

		if (flagged && rule_ours_flagged(rule, name, arg, flag)) {
			json_array_remove(syscalls, i);
			continue;
		}
		ours = !flagged && is_action(json_object_get(rule, "action"), ACT_NOTIFY) &&
		       rule_unconditioned(rule);
		if (!names_drop(syscalls, i, ours ? name : NULL))
			i++;
	}
}

/* Takes @name out of every (plain allowing) rule naming it; rules left naming nothing go. */
static void unname(json_t *syscalls, const char *name)
{
	for (size_t i = 0; i < json_array_size(syscalls);)
		if (!names_drop(syscalls, i, name))
			i++;
}

/* Whether @name is allowed on a condition only (an argument, a capability). */
static bool conditioned(json_t *syscalls, const char *name, bool allowing)
{
	json_t *rule;
	size_t i;

	json_array_foreach(syscalls, i, rule)
	{
		if (!names_has(json_object_get(rule, "names"), name) || rule_unconditioned(rule))
			continue;
		/* One that lets it run on a condition, or refuses it on one under a default that
		 * lets it run. */
		if (!refusing(json_object_get(rule, "action")) || allowing)
			return true;
	}
	return false;
}

/* Notify @name when argument @arg has @flag, allow it when not. */
static int add_flagged(json_t *syscalls, const char *name, unsigned arg, unsigned long flag)
{
	json_t *allow = json_pack("{s:[s], s:s, s:[{s:i, s:I, s:I, s:s}]}", "names", name, "action",
				  ACT_ALLOW, "args", "index", (int)arg, "value", (json_int_t)flag,
				  "valueTwo", (json_int_t)0, "op", CMP_MASKED);
	json_t *notify =
		json_pack("{s:[s], s:s, s:[{s:i, s:I, s:I, s:s}]}", "names", name, "action",
			  ACT_NOTIFY, "args", "index", (int)arg, "value", (json_int_t)flag,
			  "valueTwo", (json_int_t)flag, "op", CMP_MASKED);

	if (!allow || !notify || json_array_append_new(syscalls, allow) ||
	    json_array_append_new(syscalls, notify)) {
		json_decref(notify);
		return -ENOMEM;
	}
	return 0;
}

/* Every call of @spec->refused out of the profile's rules, and refused by one of ours. */
static int add_refused(json_t *syscalls, const struct oci_notify *spec)
{
	json_t *names = json_array();

	for (size_t i = 0; names && i < spec->n_refused; i++) {
		unname(syscalls, spec->refused[i]);
		json_array_append_new(names, json_string(spec->refused[i]));
	}
	if (!names || !spec->n_refused) {
		json_decref(names);
		return names ? 0 : -ENOMEM;
	}
	return json_array_append_new(syscalls,
				     json_pack("{s:o, s:s, s:i}", "names", names, "action",
					       ACT_ERRNO, "errnoRet", spec->refused_errno))
		       ? -ENOMEM
		       : 0;
}

/**
 * oci_seccomp_notify() - Hand @spec's calls to the listener at @listener in @config's profile
 * @config:	the config object
 * @listener:	linux.seccomp.listenerPath
 * @spec:	the calls to notify about (always, or on a flag) and to refuse
 * @ret_hooked:	how many of @spec->hooked the profile let us hook (the others it refuses)
 * @ret_unguarded: on -EPERM, the call the profile allows on a condition
 *
 * With no profile, one is made that allows everything but @spec's rules.
 *
 * Return: 0 on success, -EINVAL if linux or its seccomp part is not of the OCI type, -EEXIST
 *	   if the profile has another listener already, -EPERM if it allows a hooked or flagged
 *	   call on a condition, -ENOMEM
 */
int oci_seccomp_notify(json_t *config, const char *listener, const struct oci_notify *spec,
		       size_t *ret_hooked, const char **ret_unguarded)
{
	json_t *linux_obj = json_object_get(config, "linux"), *seccomp, *syscalls, *path, *moved;
	json_t *check;
	bool allowing;
	int err;

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

	allowing = !refusing(json_object_get(seccomp, "defaultAction"));
	/* Checked whole first, on a copy: a refused merge leaves the config as it was. */
	check = json_deep_copy(syscalls);
	if (!check)
		return -ENOMEM;
	for (size_t i = 0; i < spec->n_hooked + spec->n_flagged; i++) {
		bool flagged = i >= spec->n_hooked;
		const char *name = flagged ? spec->flagged[i - spec->n_hooked] : spec->hooked[i];

		unname_ours(check, name, flagged, flagged ? spec->flag_arg[i - spec->n_hooked] : 0,
			    spec->flag);
		if (conditioned(check, name, allowing)) {
			json_decref(check);
			*ret_unguarded = name;
			return -EPERM;
		}
	}
	json_decref(check);
	for (size_t i = 0; i < spec->n_hooked; i++)
		unname_ours(syscalls, spec->hooked[i], false, 0, 0);
	for (size_t i = 0; i < spec->n_flagged; i++)
		unname_ours(syscalls, spec->flagged[i], true, spec->flag_arg[i], spec->flag);
	moved = json_array();
	if (!moved)
		return -ENOMEM;
	*ret_hooked = 0;
	for (size_t i = 0; i < spec->n_hooked; i++) {
		if (!hookable(syscalls, spec->hooked[i], allowing))
			continue;
		unname(syscalls, spec->hooked[i]);
		json_array_append_new(moved, json_string(spec->hooked[i]));
		(*ret_hooked)++;
	}
	if (!json_array_size(moved))
		json_decref(moved);
	else if (json_array_append_new(
			 syscalls, json_pack("{s:o, s:s}", "names", moved, "action", ACT_NOTIFY)))
		return -ENOMEM;
	for (size_t i = 0; i < spec->n_flagged; i++) {
		const char *name = spec->flagged[i];

		if (!hookable(syscalls, name, allowing))
			continue;
		unname(syscalls, name);
		if ((err = add_flagged(syscalls, name, spec->flag_arg[i], spec->flag)))
			return err;
	}
	if ((err = add_refused(syscalls, spec)))
		return err;
	if (*ret_hooked && json_object_set_new(seccomp, "listenerPath", json_string(listener)))
		return -ENOMEM;
	return 0;
}
