/* Running one of our binaries for what it writes on one stream (its output, or its error). */
#ifndef ROOTLET_CAPTURE_H
#define ROOTLET_CAPTURE_H

#define CAPTURE_EXEC_FAILED 127 /* as a shell says of a command it cannot run */
#define CAPTURE_SIGNALED    128 /* ... and of one a signal ended: 128 + N */

int capture_run(const char *path, char *const argv[], int stream, char **ret_text);

#endif
