/* The process a rootlet netns path belongs to (its holder), for a helper to end with it. */
#ifndef ROOTLET_OWNER_H
#define ROOTLET_OWNER_H

int owner_pidfd(const char *netns_path, int *ret_fd);

#endif
