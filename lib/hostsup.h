/* The files of a host-side rootlet-bypass in the state root, and gc of a dead one's. */
#ifndef ROOTLET_HOSTSUP_H
#define ROOTLET_HOSTSUP_H

#define HOSTSUP_PREFIX "bypass@host" /* '@': no netns name */
#define HOSTSUP_SOCK   ".sock"
#define HOSTSUP_RUN    ".run"  /* held by the daemon (and its standby) for its life */
#define HOSTSUP_LOCK   ".lock" /* shared by wrappers from finding it live to the handover */
#define HOSTSUP_LOG    ".log"

int hostsup_lock_shared(int root_fd, const char *name, int *ret_fd);
int hostsup_gc(int root_fd, const char *name);

#endif
