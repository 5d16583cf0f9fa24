/* Whether rootlet-bypass can guard a TCP twin: one probe for the supervisor and rootlet-netns. */
#ifndef ROOTLET_BYPASS_GUARD_H
#define ROOTLET_BYPASS_GUARD_H

#include <linux/filter.h>

int bypass_guard_lock(int fd, const struct sock_filter *filter, unsigned short len);
int bypass_guard_probe(void);

#endif
