/* Installing a seccomp allow-list: everything not listed fails with EPERM. */
#include <errno.h>
#include <seccomp.h>

#include "seccomp_allow.h"

/* libseccomp's SCMP_FLTATR_CTL_OPTIMIZE level for a binary tree of syscall numbers. */
#define SECCOMP_OPTIMIZE_TREE 2

/**
 * seccomp_allow() - Load a filter allowing @syscalls only
 * @syscalls:	syscall numbers (SCMP_SYS())
 * @n:		how many
 * @all_threads: apply to every thread of the process, not only the caller
 *
 * Every packet a helper moves goes through the filter, so it is a binary tree, not a list.
 *
 * Return: 0 on success, negative errno on failure
 */
int seccomp_allow(const int *syscalls, size_t n, bool all_threads)
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
	if (!err)
		err = seccomp_load(ctx);
	seccomp_release(ctx);
	return err;
}
