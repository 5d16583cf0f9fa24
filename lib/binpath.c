/* Where our own binaries are: beside the running one, or where this build installs them. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "binpath.h"

/**
 * binary_path() - Find a binary of ours that one of ours runs
 * @binary:	its name
 * @libexec_sub: where it sits relative to our own directory when installed, or NULL
 * @buf:	output
 * @len:	size of @buf
 *
 * $ROOTLET_<NAME> is not read: the environment of a user's shell does not choose what runs
 * inside their netns, or as their network's daemons. Next to our own binary (the build tree and
 * bin/), then @libexec_sub beside it (an installed tree, wherever PREFIX or DESTDIR put it), then
 * where this build was told it would be installed.
 *
 * Return: 0 on success, -ENOENT
 */
int binary_path(const char *binary, const char *libexec_sub, char *buf, size_t len)
{
	const char *beside[] = { "", libexec_sub };
	char self[PATH_MAX], *dir;
	ssize_t n;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		dir = dirname(self);
		for (size_t i = 0; i < sizeof(beside) / sizeof(beside[0]); i++) {
			if (!beside[i])
				continue;
			snprintf(buf, len, "%s%s/%s", dir, beside[i], binary);
			if (!access(buf, X_OK))
				return 0;
		}
	}
	snprintf(buf, len, "%s/%s", libexec_sub ? LIBEXECDIR : BINDIR, binary);
	return access(buf, X_OK) ? -ENOENT : 0;
}
