/* Unit tests of the bypass's notify filter: the rules of every ABI, read from libseccomp. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bypass_filter.h"
#include "unit.h"

#define PFC_MAX (64 * 1024)

/* The filter as libseccomp's pseudo filter code: its rules per ABI, in words. */
static char *pfc(void)
{
	scmp_filter_ctx ctx;
	char *text = calloc(1, PFC_MAX);
	int fd = memfd_create("pfc", MFD_CLOEXEC);

	if (!text || fd < 0 || bypass_filter_make(&ctx))
		abort();
	seccomp_export_pfc(ctx, fd);
	seccomp_release(ctx);
	if (pread(fd, text, PFC_MAX - 1, 0) < 0)
		abort();
	close(fd);
	return text;
}

/* The action the block of @arch's filter gives syscall @nr: the first "action" after it. */
static bool acts(const char *text, const char *arch, const char *syscall, const char *action)
{
	const char *a = strstr(text, arch), *s, *act, *next;

	if (!a || !(s = strstr(a, syscall)) || !(act = strstr(s, "action ")))
		return false;
	/* Within @arch's block: no other arch's header before it. */
	next = strstr(a + 1, "# filter for arch");
	if (next && next < act)
		return false;
	return !strncmp(act + strlen("action "), action, strlen(action));
}

/* Whether each of the NULL-ended @syscalls gets @action in @arch's block; the first that does
 * not is named. */
static bool all_act(const char *text, const char *arch, const char *action,
		    const char *const *syscalls)
{
	for (; *syscalls; syscalls++)
		if (!acts(text, arch, *syscalls, action)) {
			fprintf(stderr, "  %s: not %s\n", *syscalls, action);
			return false;
		}
	return true;
}

#define X86_64	      "# filter for arch x86_64"
#define X86	      "# filter for arch x86 "
#define NOTIFY	      "0x7fc00000"
#define ENOSYS_ACTION "ERRNO(38)"

TEST(native_connect_bind_and_fast_open_sends_are_notified)
{
	char *t = pfc();

	CHECK(all_act(t, X86_64, NOTIFY,
		      (const char *[]){ "\"connect\"", "\"bind\"", "\"sendto\"", "\"sendmsg\"",
					"\"sendmmsg\"", NULL }));
	/* On MSG_FASTOPEN alone: the flags' bit is tested, sendto's and sendmmsg's a3, sendmsg's a2
	 */
	CHECK(strstr(strstr(t, "\"sendto\""), "$a3.lo32 & 0x20000000 == 536870912") != NULL);
	CHECK(strstr(strstr(t, "\"sendmsg\""), "$a2.lo32 & 0x20000000 == 536870912") != NULL);
	free(t);
}

TEST(io_uring_is_refused)
{
	char *t = pfc();

	CHECK(all_act(t, X86_64, ENOSYS_ACTION,
		      (const char *[]){ "\"io_uring_setup\"", "\"io_uring_enter\"",
					"\"io_uring_register\"", NULL }));
	free(t);
}

TEST(i386_ways_to_a_peer_are_refused_and_other_abis_whole)
{
	char *t = pfc();

	CHECK(all_act(t, X86, ENOSYS_ACTION,
		      (const char *[]){ "\"connect\" (362)", "\"bind\" (361)",
					"\"socketcall\" (102)", "\"sendto\" (369)",
					"\"io_uring_setup\" (425)", NULL }));
	CHECK(strstr(t, "# invalid architecture action\naction ERRNO(38);") != NULL);
	free(t);
}

UNIT_MAIN("bypass_filter", T(native_connect_bind_and_fast_open_sends_are_notified),
	  T(io_uring_is_refused), T(i386_ways_to_a_peer_are_refused_and_other_abis_whole))
