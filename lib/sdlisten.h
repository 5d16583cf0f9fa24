/* systemd's socket activation (sd_listen_fds): the sockets a service inherits, by number or name.
 */
#ifndef ROOTLET_SDLISTEN_H
#define ROOTLET_SDLISTEN_H

#include <stdbool.h>

#define SDLISTEN_FDS_START 3 /* LISTEN_FDS sockets are fds 3 ... 3 + N - 1 */

int sdlisten_count(void);
int sdlisten_find(const char *what, int *ret_fd);

#endif
