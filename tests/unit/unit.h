/* A tiny unit-test harness: one function per behaviour, TAP-like lines the runner counts. */
#ifndef ROOTLET_UNIT_H
#define ROOTLET_UNIT_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct unit_test {
	const char *name;
	void (*fn)(int *failed);
};

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
			*failed = 1;                                                               \
		}                                                                                  \
	} while (0)

#define TEST(name) static void name(int *failed)

static inline int unit_run(const char *suite, const struct unit_test *tests, size_t n)
{
	int bad = 0;

	for (size_t i = 0; i < n; i++) {
		int failed = 0;

		tests[i].fn(&failed);
		printf("%s - unit %s: %s\n", failed ? "not ok" : "ok", suite, tests[i].name);
		bad |= failed;
	}
	return bad;
}

#define UNIT_MAIN(suite, ...)                                                                      \
	int main(void)                                                                             \
	{                                                                                          \
		static const struct unit_test tests[] = { __VA_ARGS__ };                           \
		return unit_run(suite, tests, sizeof(tests) / sizeof(tests[0]));                   \
	}

#define T(fn)                                                                                      \
	{                                                                                          \
#fn, fn                                                                            \
	}

#endif
