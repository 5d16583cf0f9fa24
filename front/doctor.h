/* rootlet doctor: the checks and their results. */
#ifndef ROOTLET_FRONT_DOCTOR_H
#define ROOTLET_FRONT_DOCTOR_H

#define DOCTOR_TEXT_MAX 512
#define DOCTOR_CHECKS	16

enum doctor_status {
	DOCTOR_OK,
	DOCTOR_WARN,
	DOCTOR_FAIL,
};

struct doctor_result {
	enum doctor_status status;
	char check[32];
	char detail[DOCTOR_TEXT_MAX];
	char fix[DOCTOR_TEXT_MAX]; /* "" when there is nothing to do */
};

struct doctor {
	const char *subuid, *subgid; /* the files checked */
	struct doctor_result results[DOCTOR_CHECKS];
	int n;
};

/* doctor_result.c, below the run (doctor.c) and the checks (doctor_checks.c, doctor_bypass.c). */
void doctor_result(struct doctor *d, enum doctor_status status, const char *check, const char *fix,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

void check_userns(struct doctor *d);
void check_helpers(struct doctor *d);
void check_subids(struct doctor *d);
void check_tun(struct doctor *d);
void check_runtime_dir(struct doctor *d);
void check_ports(struct doctor *d);
void check_libslirp(struct doctor *d);
void check_stale(struct doctor *d);
void check_bypass(struct doctor *d);

#endif
