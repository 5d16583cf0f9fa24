/* Where our own binaries are: beside the running one, or where this build installs them. */
#ifndef ROOTLET_BINPATH_H
#define ROOTLET_BINPATH_H

#include <stddef.h>

#define BINPATH_LIBEXEC "/../libexec/rootlet" /* from bin/, where the daemons are installed */

int binary_path(const char *binary, const char *libexec_sub, char *buf, size_t len);

#endif
