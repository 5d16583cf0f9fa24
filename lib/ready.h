/* A daemon saying it is ready: to whoever started it (its ready fd) and to systemd. */
#ifndef ROOTLET_READY_H
#define ROOTLET_READY_H

#define READY_MESSAGE "1" /* what a --ready-fd gets, as slirp4netns writes it */

int ready_say(int *ready_fd, int notify_fd, const char **ret_what);

#endif
