/* A daemon saying it is ready (to whoever started it, its ready fd, and to systemd), and one
 * started early waiting for its go. */
#ifndef ROOTLET_READY_H
#define ROOTLET_READY_H

#define READY_MESSAGE "1" /* what a --ready-fd gets, as slirp4netns writes it */

int ready_say(int *ready_fd, int notify_fd, const char **ret_what);
int ready_wait_go(int *wait_fd);
struct evloop;
int ready_serve(struct evloop *ev, int *ready_fd, int *notify_fd);

#endif
