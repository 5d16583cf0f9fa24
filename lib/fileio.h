/* Small-file I/O relative to a directory fd: atomic replace and bounded reads. */
#ifndef ROOTLET_FILEIO_H
#define ROOTLET_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/* How state directories are opened: never through a symlink someone planted. */
#define DIR_OPEN_FLAGS (O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)

/* state.json, uid_map and /proc/PID/stat all fit well within this; larger means corrupt. */
#define FILEIO_SMALL_MAX (64 * 1024)
/*
 * file_write_atomic()'s and file_write_state()'s temporary file: FILEIO_TMP_PREFIX "<name>"
 * FILEIO_TMP_INFIX "<pid>". '~' is no name character (lib/name.c): no netns, network or
 * container name can make a file named so, so a sweep of temporary files never takes a record.
 */
#define FILEIO_TMP_PREFIX "~"
#define FILEIO_TMP_INFIX  ".tmp."

int file_write_atomic(int dir_fd, const char *name, const void *buf, size_t len, mode_t mode);
int file_write_state(int dir_fd, const char *name, const void *buf, size_t len, mode_t mode);
int file_read_small(int dir_fd, const char *name, char **ret_buf, size_t *ret_len);
int buf_reserve(char **buf, size_t *cap, size_t len, size_t max);
int file_read_max(int dir_fd, const char *name, size_t max, char **ret_buf, size_t *ret_len);
int dir_remove_contents(int dir_fd);

#include <dirent.h>
int dir_stream(int dir_fd, DIR **ret_dir);
void file_sweep_tmp(int dir_fd, const char *name);

#endif
