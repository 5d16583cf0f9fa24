/* The notify relay's rewriting: a datagram from inside, as the host's systemd must read it. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "front.h"

/* Append @n bytes and a newline, if they fit. */
static void put_line(char *out, size_t out_len, size_t *used, const char *s, size_t n)
{
	if (*used + n + 1 >= out_len)
		return;
	memcpy(out + *used, s, n);
	*used += n;
	out[(*used)++] = '\n';
}

/**
 * relay_translate() - Rewrite a notification for the host's service manager
 * @msg:	the datagram: "KEY=VALUE" lines
 * @len:	its length
 * @main_pid:	the host pid of the service's main process (the one that became CMD)
 * @host_pid:	maps a pid of the sender's pid namespace to the host's; < 0 when it cannot
 * @ctx:	for @host_pid
 * @out:	the rewritten datagram (not NUL-terminated)
 * @out_len:	size of @out
 *
 * Every assignment passes unchanged but MAINPID=, whose pid is the sender's and becomes the
 * host's (dropped when it names no process the host can find). READY=1 without a MAINPID
 * gets MAINPID=@main_pid, so that the manager follows the command rather than whichever
 * process (a systemd-notify, a shell) happened to send it.
 *
 * Return: the length of @out; 0 when nothing is left to send
 */
size_t relay_translate(const char *msg, size_t len, pid_t main_pid,
		       pid_t (*host_pid)(pid_t inner, void *ctx), void *ctx, char *out,
		       size_t out_len)
{
	bool ready = false, had_pid = false;
	char line[RELAY_PID_TEXT];
	size_t used = 0;

	for (const char *p = msg, *end = msg + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);

		if (n == strlen("READY=1") && !memcmp(p, "READY=1", n))
			ready = true;
		if (n > strlen("MAINPID=") && !memcmp(p, "MAINPID=", strlen("MAINPID="))) {
			char num[sizeof("-2147483648")], *e;
			size_t d = n - strlen("MAINPID=");
			long v = -1;
			pid_t h = -1;

			if (d < sizeof(num)) {
				memcpy(num, p + strlen("MAINPID="), d);
				num[d] = '\0';
				v = strtol(num, &e, 10);
				if (*e || v <= 0)
					v = -1;
			}
			if (v > 0)
				h = host_pid((pid_t)v, ctx);
			if (h > 0) {
				snprintf(line, sizeof(line), "MAINPID=%d", (int)h);
				put_line(out, out_len, &used, line, strlen(line));
				had_pid = true;
			}
		} else if (n) {
			put_line(out, out_len, &used, p, n);
		}
		p += n + 1;
	}
	if (ready && !had_pid && main_pid > 0) {
		snprintf(line, sizeof(line), "MAINPID=%d", (int)main_pid);
		put_line(out, out_len, &used, line, strlen(line));
	}
	return used ? used - 1 : 0; /* the last newline is not sent */
}
