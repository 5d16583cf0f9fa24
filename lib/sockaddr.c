/* IPv4 and IPv6 socket addresses alike: length, port, address text. */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "sockaddr.h"

/**
 * sockaddr_len() - The length bind() and connect() want for @ss
 * @ss:		an AF_INET or AF_INET6 address
 *
 * Return: sizeof the family's struct
 */
socklen_t sockaddr_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
}

/**
 * sockaddr_port() - The port of @ss, in host order
 * @ss:		an AF_INET or AF_INET6 address
 *
 * Return: the port
 */
uint16_t sockaddr_port(const struct sockaddr_storage *ss)
{
	return ntohs(ss->ss_family == AF_INET ? ((const struct sockaddr_in *)ss)->sin_port
					      : ((const struct sockaddr_in6 *)ss)->sin6_port);
}

/**
 * sockaddr_set_port() - Set the port of @ss
 * @ss:		an AF_INET or AF_INET6 address
 * @port:	the port, in host order
 */
void sockaddr_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

/**
 * sockaddr_addr_text() - The address of @ss as text, without brackets or port
 * @ss:		an AF_INET or AF_INET6 address
 * @buf:	output, INET6_ADDRSTRLEN bytes are enough
 * @len:	size of @buf
 *
 * Return: @buf
 */
const char *sockaddr_addr_text(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const void *a = ss->ss_family == AF_INET
				? (const void *)&((const struct sockaddr_in *)ss)->sin_addr
				: (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;

	if (!inet_ntop(ss->ss_family, a, buf, (socklen_t)len) && len)
		buf[0] = '\0';
	return buf;
}

/**
 * sockaddr_is_loopback() - Is @ss an address of the loopback (127.0.0.0/8, ::1)?
 * @ss:		an AF_INET or AF_INET6 address
 *
 * Return: true if so
 */
bool sockaddr_is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >>
			IN_CLASSA_NSHIFT) == IN_LOOPBACKNET;
	return ss->ss_family == AF_INET6 &&
	       IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}
