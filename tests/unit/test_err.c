/* Unit tests of lib/err: an error made, wrapped layer by layer, and printed once. */
#include "err.h"
#include "unit.h"

/* The example of issue 13: each layer adds what it was doing in front. */
TEST(wrapping_adds_context_in_front)
{
	struct err e = { 0 };

	CHECK(err_errno(&e, -EPERM, "configuring %s", "tap0") == -EPERM);
	CHECK(err_wrap(&e, -EIO, "starting %s", "rootlet-slirp") == -EPERM);
	CHECK(err_wrap(&e, 0, "add %s", "web") == -EPERM);
	CHECK(!strcmp(
		err_text(&e),
		"add web: starting rootlet-slirp: configuring tap0: Operation not permitted"));
}

/* A callee that returned only a code: its errno's text is the cause. */
TEST(a_bare_code_reads_as_its_errno)
{
	struct err e = { 0 };

	CHECK(!strcmp(err_text(&(struct err){ .code = -ENOENT }), "No such file or directory"));
	CHECK(err_wrap(&e, -ENOENT, "reading %s", "state.json") == -ENOENT);
	CHECK(!strcmp(err_text(&e), "reading state.json: No such file or directory"));
}

/* Words of our own carry no errno text; a NULL error keeps only the code. */
TEST(own_words_and_no_error_wanted)
{
	struct err e = { 0 };

	CHECK(err_make(&e, -EINVAL, "name '%s': too long", "x") == -EINVAL);
	CHECK(!strcmp(err_text(&e), "name 'x': too long"));
	CHECK(err_make(NULL, -EINVAL, "ignored") == -EINVAL);
	CHECK(err_wrap(NULL, -EIO, "ignored") == -EIO);
	err_clear(&e);
	CHECK(e.code == 0 && !strcmp(err_text(&e), ""));
}

/* A text longer than the buffer is cut, never overrun. */
TEST(long_text_is_truncated)
{
	struct err e = { 0 };
	char big[2 * ERR_TEXT_MAX];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	err_make(&e, -E2BIG, "%s", big);
	err_wrap(&e, 0, "outer");
	CHECK(strlen(err_text(&e)) == ERR_TEXT_MAX - 1);
	CHECK(!strncmp(e.text, "outer: aaa", 10));
}

UNIT_MAIN("err", T(wrapping_adds_context_in_front), T(a_bare_code_reads_as_its_errno),
	  T(own_words_and_no_error_wanted), T(long_text_is_truncated))
