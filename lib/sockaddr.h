/* IPv4 and IPv6 socket addresses alike: length, port, address text. */
#ifndef ROOTLET_SOCKADDR_H
#define ROOTLET_SOCKADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

socklen_t sockaddr_len(const struct sockaddr_storage *ss);
uint16_t sockaddr_port(const struct sockaddr_storage *ss);
void sockaddr_set_port(struct sockaddr_storage *ss, uint16_t port);
const char *sockaddr_addr_text(const struct sockaddr_storage *ss, char *buf, size_t len);
bool sockaddr_is_loopback(const struct sockaddr_storage *ss);

#endif
