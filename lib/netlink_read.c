/* Reading a netns's links, addresses and routes over rtnetlink (libnl-route-3). */
#include <errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>

#include "netlink.h"

/**
 * netlink_view_read() - Dump the socket's netns: links, addresses, routes of every table
 * @sk:		from netlink_open()
 * @ret:	the caches; netlink_view_free() them
 *
 * Return: 0 on success, negative errno
 */
int netlink_view_read(struct nl_sock *sk, struct netlink_view *ret)
{
	int err;

	*ret = (struct netlink_view){ 0 };
	if ((err = rtnl_link_alloc_cache(sk, AF_UNSPEC, &ret->links)) < 0 ||
	    (err = rtnl_addr_alloc_cache(sk, &ret->addrs)) < 0 ||
	    (err = rtnl_route_alloc_cache(sk, AF_UNSPEC, 0, &ret->routes)) < 0) {
		netlink_view_free(ret);
		return netlink_errno(err);
	}
	return 0;
}

/**
 * netlink_view_free() - Free what netlink_view_read() read
 * @v:		the view
 */
void netlink_view_free(struct netlink_view *v)
{
	nl_cache_free(v->routes);
	nl_cache_free(v->addrs);
	nl_cache_free(v->links);
	*v = (struct netlink_view){ 0 };
}
