/* libslirp's own log lines (glib's), through ours: a burst of them logged at most once. */
#include <glib.h>

#include "log.h"
#include "monoclock.h"
#include "loop.h"

/*
 * libslirp complains through glib (g_critical(), g_warning()) about what a guest sends: an
 * ICMPv6 echo request to any outside address costs a line ("external icmpv6 not supported
 * yet"). glib's default handler writes every one, and a network's slirp.log lives in the
 * user's runtime directory, a tmpfs: a container pinging the outside in a loop filled it at
 * wire speed, 2.8 MB for 50,000 echoes (seventh outside attack). So at most GLOG_BURST_LINES
 * lines are written each GLOG_WINDOW_MS, and how many were left out is said once the window
 * after is open. A rate alone still let a guest grow the file for as long as it pinged (2.6 MB
 * an hour, eighth outside attack): after GLOG_TOTAL_LINES lines, none but how many were left
 * out, once each GLOG_QUIET_MS. Debug and info lines only with --debug, as glib's own handler
 * would; --debug logs every line, as asked.
 */
#define GLOG_WINDOW_MS	 1000
#define GLOG_BURST_LINES 10
#define GLOG_TOTAL_LINES 100
#define GLOG_QUIET_MS	 (60 * 60 * 1000)

static void glog_line(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer data)
{
	struct glog_limit *g = data;
	bool quiet = !g->debug && g->total >= GLOG_TOTAL_LINES;
	int64_t now = mono_ms();

	if ((level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO)) && !g->debug)
		return;
	if (now - g->window_ms >= (quiet ? GLOG_QUIET_MS : GLOG_WINDOW_MS)) {
		if (g->left_out)
			log_warn("libslirp: %u more lines like the last not logged", g->left_out);
		g->window_ms = now;
		g->lines = g->left_out = 0;
	}
	if (!g->debug && (quiet || g->lines >= GLOG_BURST_LINES)) {
		g->left_out++;
		return;
	}
	g->lines++;
	g->total++;
	log_warn("%s: %s", domain ? domain : "libslirp", msg);
	if (!g->debug && g->total == GLOG_TOTAL_LINES)
		log_warn("libslirp: %u lines logged; from now on only how many more, once an hour "
			 "(--debug logs them all)",
			 g->total);
}

/**
 * glog_limit_install() - Route glib's log lines (libslirp's) through @g's limit
 * @g:		the limit's state, zeroed, living as long as the process logs
 * @debug:	debug and info lines too
 */
void glog_limit_install(struct glog_limit *g, bool debug)
{
	g->debug = debug;
	g->window_ms = mono_ms();
	g_log_set_default_handler(glog_line, g);
}
