/* Unit tests of /proc parsing: start time (the pid-reuse guard), zombies, pidfds proven by it. */
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"
#include "unit.h"

TEST(start_time_read_after_tricky_comm)
{
	const char *stat = "42 (a) b (c) d) S 1 42 42 0 -1 4194560 97 0 0 0 0 0 0 0 20 0 1 0 "
			   "123456 1000 10 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0";
	unsigned long long start = 0;

	CHECK(proc_stat_start_time(stat, &start) == 0);
	CHECK(start == 123456);
}

TEST(zombie_counts_as_exited)
{
	const char *stat = "42 (h) Z 1 42 42 0 -1 4194560 97 0 0 0 0 0 0 0 20 0 1 0 777 0 0";
	unsigned long long start = 0;

	CHECK(proc_stat_start_time(stat, &start) == -ESRCH);
}

TEST(malformed_stat_refused)
{
	unsigned long long start;

	CHECK(proc_stat_start_time("", &start) == -EINVAL);
	CHECK(proc_stat_start_time("42 (x", &start) == -EINVAL);
	CHECK(proc_stat_start_time("42 (x) S 1 2", &start) == -EINVAL);
	CHECK(proc_stat_start_time("42 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 -5 1",
				   &start) == -EINVAL);
}

TEST(own_start_time_is_stable_and_status_has_rss)
{
	unsigned long long a = 0, b = 0;
	long rss = -1;

	CHECK(proc_start_time(getpid(), &a) == 0);
	CHECK(proc_start_time(getpid(), &b) == 0);
	CHECK(a == b && a > 0);
	CHECK(proc_status_kib(getpid(), "RssAnon", &rss) == 0 && rss > 0);
	CHECK(proc_status_kib(getpid(), "NoSuchField", &rss) == -ENODATA);
}

TEST(pidfd_is_taken_for_the_recorded_start_time_only)
{
	unsigned long long start = 0;
	int fd = -2;

	CHECK(proc_start_time(getpid(), &start) == 0);
	CHECK(proc_pidfd_open(getpid(), start, &fd) == 0 && fd >= 0);
	if (fd >= 0)
		close(fd);
	/* The same pid with another start time is a process that reused it: not ours to watch. */
	CHECK(proc_pidfd_open(getpid(), start + 1, &fd) == -ESRCH && fd == -1);
}

TEST(pidfd_of_an_exited_process_is_refused)
{
	unsigned long long start = 0;
	pid_t child = fork();
	int fd = -2;

	if (child == 0)
		pause();
	CHECK(child > 0 && proc_start_time(child, &start) == 0);
	kill(child, SIGKILL);
	/* Not reaped yet: a zombie, which pidfd_open() still takes, has ended all the same. */
	CHECK(waitid(P_PID, child, NULL, WEXITED | WNOWAIT) == 0);
	CHECK(proc_pidfd_open(child, start, &fd) == -ESRCH && fd == -1);
	waitpid(child, NULL, 0);
	CHECK(proc_pidfd_open(child, start, &fd) == -ESRCH && fd == -1);
}

UNIT_MAIN("proc", T(start_time_read_after_tricky_comm), T(zombie_counts_as_exited),
	  T(malformed_stat_refused), T(own_start_time_is_stable_and_status_has_rss),
	  T(pidfd_is_taken_for_the_recorded_start_time_only),
	  T(pidfd_of_an_exited_process_is_refused))
