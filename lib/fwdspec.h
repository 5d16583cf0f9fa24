/* Port forward specs as podman and docker take them: [HOSTIP:][HOSTPORT[-END]:]PORT[-END][/PROTO].
 */
#ifndef ROOTLET_FWDSPEC_H
#define ROOTLET_FWDSPEC_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "err.h"

#define SPEC_TEXT_MAX 128

struct fwd_spec {
	int proto;		      /* IPPROTO_TCP or IPPROTO_UDP */
	struct sockaddr_storage host; /* family and address; :: for dual */
	bool dual;		      /* no HOSTIP: every address of both families, as podman */
	uint16_t host_port;	      /* first host port; 0: ephemeral, one per port */
	uint16_t port;		      /* first port inside the netns */
	uint16_t count;		      /* ports in the range, 1 for a single port */
};

int spec_parse(const char *text, struct fwd_spec *ret, struct err *e);
int spec_check_publish(const char *text, struct err *e);
void spec_format(const struct fwd_spec *s, char *buf, size_t len);
int fwdspec_fd(const char *text, int *ret_fd, struct fwd_spec *ret_spec, struct err *e);

#endif
