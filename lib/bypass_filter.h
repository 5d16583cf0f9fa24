/* The seccomp filter that hands a process's connect() and bind() to rootlet-bypass. */
#ifndef ROOTLET_BYPASS_FILTER_H
#define ROOTLET_BYPASS_FILTER_H

#include <seccomp.h>
#include <stddef.h>
#include <sys/types.h>

#include "oci.h"

/* The calls rootlet-bypass is asked about: their names as libseccomp and OCI profiles say. */
#define BYPASS_HOOKED_N 2
extern const char *const bypass_hooked[BYPASS_HOOKED_N];
/* Sends it is asked about when their flags (argument bypass_send_flags_arg[i]) have MSG_FASTOPEN */
#define BYPASS_SEND_N 3
extern const char *const bypass_send_hooked[BYPASS_SEND_N];
extern const unsigned bypass_send_flags_arg[BYPASS_SEND_N];
/* Calls refused under the filter (ENOSYS): they reach sockets past seccomp. */
#define BYPASS_REFUSED_N 3
extern const char *const bypass_refused[BYPASS_REFUSED_N];

/* The OCI runtime-spec's name for the one fd a listener is sent (ContainerProcessState). */
#define BYPASS_FD_NAME	   "seccompFd"
#define BYPASS_OCI_VERSION "1.0.2"

/* The same rules for an OCI runtime's profile (rootlet-netns oci --bypass, rootlet-runtime). */
extern const struct oci_notify bypass_oci_notify;

int bypass_filter_make(scmp_filter_ctx *ret_ctx);
int bypass_filter_load(int *ret_fd);
int bypass_listener_connect(const char *listener, int *ret_sock);
int bypass_filter_send(int sock, int notify_fd, pid_t pid, const char *metadata);

#endif
