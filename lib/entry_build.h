/* A netns entry built where no reader looks, <root>/~add.<pid>, then renamed into place. */
#ifndef ROOTLET_ENTRY_BUILD_H
#define ROOTLET_ENTRY_BUILD_H

#include <sys/types.h>

/* '~' is no name character: a directory being built never collides with an entry. */
#define ENTRY_TMP_PREFIX "~add."
#define ENTRY_TMP_MAX	 sizeof(ENTRY_TMP_PREFIX "-2147483648")

struct entry_build {
	int root_fd; /* the state root: the caller's, not closed here */
	int dir_fd;  /* <root>/~add.<pid>, its lock held until entry_build_close() */
	int lock_fd;
	char tmp[ENTRY_TMP_MAX];
};

int entry_build_begin(int root_fd, struct entry_build *ret);
int entry_build_link(int dir_fd, pid_t holder);
int entry_build_publish(struct entry_build *b, const char *name);
int entry_build_discard(struct entry_build *b);
void entry_build_close(struct entry_build *b);
int entry_build_sweep(int root_fd, pid_t builder);

#endif
