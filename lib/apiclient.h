/* A client of rootlet's JSON API sockets: one request, one reply. */
#ifndef ROOTLET_APICLIENT_H
#define ROOTLET_APICLIENT_H

#include <jansson.h>

#define APICLIENT_TIMEOUT_MS 5000

int api_call(const char *path, json_t *request, json_t **ret_reply, int timeout_ms);

#endif
