/* An error as it travels up: a negative errno and its text, wrapped with context at each layer. */
#ifndef ROOTLET_ERR_H
#define ROOTLET_ERR_H

#define ERR_TEXT_MAX 512

/*
 * A function that can fail returns 0 or a negative errno and, when its caller gave one, fills
 * a struct err with what went wrong. Each layer above may wrap it with what it was doing, and
 * main() prints "rootlet-X: " and err_text(): "add web: starting rootlet-slirp: configuring
 * tap0: Operation not permitted". Nothing prints on the way up.
 */
struct err {
	int code;		 /* a negative errno; 0: none */
	char text[ERR_TEXT_MAX]; /* "context: context: cause"; "" until said */
};

int err_make(struct err *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int err_errno(struct err *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int err_wrap(struct err *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
const char *err_text(struct err *e);
const char *err_why(struct err *e, int code);
void err_clear(struct err *e);

#endif
