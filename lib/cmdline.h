/* Command-line helpers the binaries share. */
#ifndef ROOTLET_CMDLINE_H
#define ROOTLET_CMDLINE_H

#define CMDLINE_OPT_TEXT 3 /* "-x" and its NUL */

const char *cmdline_bad_option(char **argv, char buf[CMDLINE_OPT_TEXT]);

#endif
