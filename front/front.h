/* rootlet, the front door: `rootlet VERB` runs rootlet-VERB; run, doctor and teardown are ours. */
#ifndef ROOTLET_FRONT_H
#define ROOTLET_FRONT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define FRONT_EXIT_USAGE      2
#define FRONT_EXIT_RUN	      125 /* run: the netns could not be made (as `podman run`) */
#define FRONT_EXIT_CANNOT_RUN 126 /* the binary is there and cannot be run, as a shell says */
#define FRONT_EXIT_NOT_FOUND  127 /* ... or is not there */

int front_run(int argc, char **argv);
int front_doctor(int argc, char **argv);
int front_teardown(int argc, char **argv);

/* The relay between a command's notify socket and the real one (notify_relay.c). */
#define RELAY_PID_TEXT sizeof("MAINPID=2147483647\n")
size_t relay_translate(const char *msg, size_t len, pid_t main_pid,
		       pid_t (*host_pid)(pid_t inner, void *ctx), void *ctx, char *out,
		       size_t out_len);

#endif
