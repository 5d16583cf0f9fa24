/* Installing a seccomp allow-list: everything not listed fails with EPERM. */
#include <errno.h>
#include <seccomp.h>

#include "seccomp_allow.h"

/* libseccomp's SCMP_FLTATR_CTL_OPTIMIZE level for a binary tree of syscall numbers. */
#define SECCOMP_OPTIMIZE_TREE 2

/**
 * seccomp_allow_args() - Load a filter allowing @syscalls, and @calls with their arguments only
 * @syscalls:	syscall numbers (SCMP_SYS())
 * @n:		how many
 * @calls:	calls allowed with these argument values only (none of them in @syscalls)
 * @ncalls:	how many
 * @all_threads: apply to every thread of the process, not only the caller
 *
 * Every packet a helper moves goes through the filter, so it is a binary tree, not a list.
 *
 * Return: 0 on success, negative errno on failure
 */
int seccomp_allow_args(const int *syscalls, size_t n, const struct seccomp_allow_args *calls,
		       size_t ncalls, bool all_threads)
{
	scmp_filter_ctx ctx;
	int err;

	ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	if (!ctx)
		return -ENOMEM;
	err = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, SECCOMP_OPTIMIZE_TREE);
	if (!err && all_threads)
		err = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	for (size_t i = 0; i < n && !err; i++)
		err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, syscalls[i], 0);
	for (size_t i = 0; i < ncalls && !err; i++) {
		struct scmp_arg_cmp cmp[SECCOMP_ARGS_MAX];
		unsigned nargs = calls[i].n;

		if (nargs > SECCOMP_ARGS_MAX)
			err = -EINVAL;
		for (unsigned a = 0; a < nargs && !err; a++)
			cmp[a] = (struct scmp_arg_cmp){ .arg = a,
							.op = SCMP_CMP_MASKED_EQ,
							.datum_a = UINT32_MAX,
							.datum_b = calls[i].eq[a] };
		if (!err)
			err = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, calls[i].syscall, nargs,
						     cmp);
	}
	if (!err)
		err = seccomp_load(ctx);
	seccomp_release(ctx);
	return err;
}

/**
 * seccomp_allow() - Load a filter allowing @syscalls only
 * @syscalls:	syscall numbers (SCMP_SYS())
 * @n:		how many
 * @all_threads: apply to every thread of the process, not only the caller
 *
 * Return: 0 on success, negative errno on failure
 */
int seccomp_allow(const int *syscalls, size_t n, bool all_threads)
{
	return seccomp_allow_args(syscalls, n, NULL, 0, all_threads);
}
