# rootlet-bypass against a caller whose sockaddr is on a FUSE page never read (the fourth
# outside attack on issue 24). Root sets the scene: /dev/fuse is root's alone here (mode 0600,
# left as it is), so root mounts the FUSE filesystem (allow_other) and serves it. The netns,
# its supervisor and every try run as the test user.

# A netns of the test user's with the supervisor, and root's FUSE file at $FUSE_FILE whose
# READ is never answered (and its FLUSH neither, with "flush": a close() of it waits).
setup_fuse_bypass() {
	[ -c /dev/fuse ] || skip "no /dev/fuse"
	[ -d /sys/fs/fuse/connections ] || skip "no fusectl at /sys/fs/fuse/connections"
	MNT=$TEST_WORK/fuse
	owner_scene fuse teardown_fuse_bypass
	mkdir -m 0755 "$MNT"
	"$BUILD/tools/fusehang" serve "$MNT" ${1:-} >"$TEST_WORK/fuse.out" 2>"$TEST_WORK/fuse.log" &
	FUSE_PID=$!
	wait_until 10 "grep -q mounted '$TEST_WORK/fuse.out'"
	FUSE_CONN=$(mountpoint -d "$MNT" | cut -d: -f2)
	FUSE_FILE=$MNT/f
	ok owner "$NETNS" add n1 --slirp --bypass
}

teardown_fuse_bypass() {
	# Whatever waits on the page (an unfixed supervisor) is let go first: the connection
	# aborted, its server killed, the mount gone.
	[ -n "${FUSE_CONN:-}" ] && echo 1 >"/sys/fs/fuse/connections/$FUSE_CONN/abort" 2>/dev/null
	[ -n "${FUSE_PID:-}" ] && kill -9 "$FUSE_PID" 2>/dev/null
	umount -l "$MNT" 2>/dev/null
	teardown_owner
}

# start_stuck_connect [ADDR GO]: the stuck command, its connect()'s sockaddr on the page nobody
# answers, once it is asked for; with ADDR and GO, it then connects to ADDR, and again once GO
# exists (fusehang's connect).
start_stuck_connect() {
	owner "$NETNS" exec n1 --bypass -- "$BUILD/tools/fusehang" connect "$FUSE_FILE" "$@" \
		>"$TEST_WORK/stuck.out" 2>&1 &
	STUCK_PID=$!
	wait_until 10 "grep -q READ '$TEST_WORK/fuse.log'"
}

# stuck_says N TEXT WHAT: once the stuck command has answered N connect()s, its output is TEXT.
stuck_says() {
	wait_until 10 "[ \$(grep -c 'connect:' '$TEST_WORK/stuck.out') -ge $1 ]"
	assert_eq "$(cat "$TEST_WORK/stuck.out")" "$2" "$3"
}

# Another command's connect() under the same supervisor: served (by the netns, 10.0.2.3 is
# slirp's), or hung (the timeout's 124).
other_connect() {
	run timeout 10 runuser -u "$OWNER" -- env -i PATH=/usr/bin:/bin \
		XDG_RUNTIME_DIR="/run/user/$(id -u "$OWNER")" ROOTLET_STATE_DIR="$OWNER_STATE" \
		"$NETNS" exec n1 --bypass -- "$BUILD/tools/fusehang" name 10.0.2.3
	assert_eq "$RC:$OUT" "0:connect: ok" "$1"
}

pid_of_bypass() {
	cut -d' ' -f1 "$OWNER_STATE/n1/$1"
}

# The supervisor never reads a caller's memory itself: a reader it waits for a bounded time
# does. Another command's connect() is served while the page is unanswered, and the stuck
# command's connect() fails with EFAULT rather than waiting forever.
test_bypass_a_sockaddr_on_an_unanswered_fuse_page_fails_and_hangs_no_other_command() {
	setup_fuse_bypass
	start_stuck_connect
	other_connect "another command's connect() while the FUSE page is unanswered"
	stuck_says 1 "connect: Bad address" "the connect() whose sockaddr cannot be read"
	kill "$STUCK_PID" 2>/dev/null || true
}

# The attacker's second finding: kill -9 of a supervisor stuck on the page left it in D state
# with its listener fds, and its standby never took over. With the read in a reader process,
# the supervisor ends, its standby serves, and connect()s are served again.
test_bypass_supervisor_killed_while_a_read_is_stuck_is_replaced_by_its_standby() {
	setup_fuse_bypass
	start_stuck_connect
	bpid=$(pid_of_bypass bypass.pid)
	spid=$(pid_of_bypass bypass-standby.pid)
	kill -9 "$bpid"
	wait_until 10 "! [ -d /proc/$bpid ] || grep -q '^State:.*Z' /proc/$bpid/status"
	wait_until 10 "[ \"\$(cut -d' ' -f1 '$OWNER_STATE/n1/bypass.pid')\" = $spid ]"
	other_connect "a connect() once the standby took over"
	kill "$STUCK_PID" 2>/dev/null || true
}

# One stuck reader a listener at most: the stuck command's next connect() fails at once,
# unread; once its read has returned (the FUSE connection aborted), its connect()s are served
# again.
test_bypass_a_listener_with_a_stuck_read_is_refused_unread_until_that_read_returns() {
	setup_fuse_bypass
	start_stuck_connect 10.0.2.3 "$TEST_WORK/go"
	stuck_says 2 "connect: Bad address
connect: Bad address" "the page's connect(), then the same command's ordinary one"
	echo 1 >"/sys/fs/fuse/connections/$FUSE_CONN/abort"
	touch "$TEST_WORK/go"
	wait_until 15 "[ \$(grep -c 'connect:' '$TEST_WORK/stuck.out') -ge 3 ]"
	assert_eq "$(sed -n 3p "$TEST_WORK/stuck.out")" "connect: ok" \
		"the same command's connect() once the stuck read has returned"
	kill "$STUCK_PID" 2>/dev/null || true
}

# The same wait by another route: connect() on the fd of the FUSE file itself. The supervisor
# took a copy of the caller's fd (pidfd_getfd) to see what socket it was, found none and closed
# it, and a FUSE file's close() waits for its FLUSH. Then the reader took the copy and closed
# it: a reader stuck in a FLUSH never answered cannot be killed, and it outlived
# `rootlet-netns del` (outside attack B2). Now no copy of a file that is no socket is taken
# (its /proc/TID/fd link says so): the call continues, the kernel answers ENOTSOCK, and del
# leaves no process of rootlet-bypass's, reader or other.
test_bypass_a_connect_on_a_fuse_file_fd_whose_flush_never_returns_leaves_no_process_after_del() {
	fuse_fd_call_scene fdconnect 10.0.2.3 1
	no_bypass_process_after_del
	assert_eq "$(cat "$TEST_WORK/stuck.out")" "connect: Socket operation on non-socket" \
		"the connect() on the FUSE file's fd: continued, the kernel's answer"
}

# The same by bind() on the FUSE file's fd, its FLUSH never answered: no copy, the kernel's
# ENOTSOCK, nothing of rootlet-bypass's left after del.
test_bypass_a_bind_on_a_fuse_file_fd_whose_flush_never_returns_leaves_no_process_after_del() {
	fuse_fd_call_scene fdbind 10.0.2.15 1
	no_bypass_process_after_del
	assert_eq "$(cat "$TEST_WORK/stuck.out")" "bind: Socket operation on non-socket" \
		"the bind() on the FUSE file's fd: continued, the kernel's answer"
}

# The same by a fast open: sendto(MSG_FASTOPEN) on the FUSE file's fd, its FLUSH never
# answered. Its copy, closed by a reader, left that reader stuck past `rootlet-netns del`; now
# none is taken: the kernel's ENOTSOCK, and nothing of rootlet-bypass's is left after del.
test_bypass_a_fast_open_on_a_fuse_file_fd_whose_flush_never_returns_leaves_no_process_after_del() {
	fuse_fd_call_scene fastopen 2 2
	no_bypass_process_after_del
	assert_eq "$(cat "$TEST_WORK/stuck.out")" "fastopen: Socket operation on non-socket
fastopen: Socket operation on non-socket" "the fast opens on the FUSE file's fd: the kernel's answer"
}

# fuse_fd_call_scene CALL ARG N: "fusehang CALL FUSE_FILE ARG" run under the supervisor, the
# FUSE server never answering a FLUSH, until it has printed its N calls' answers (its own close() of
# the file at its exit then waits: the caller's own process, let go at teardown).
fuse_fd_call_scene() {
	setup_fuse_bypass flush
	owner "$NETNS" exec n1 --bypass -- "$BUILD/tools/fusehang" "$1" "$FUSE_FILE" "$2" \
		>"$TEST_WORK/stuck.out" 2>&1 &
	STUCK_PID=$!
	wait_until 10 "[ \$(grep -c ': ' '$TEST_WORK/stuck.out') -ge $3 ]"
}

# This netns's rootlet-bypass processes: its supervisor, its standby and their readers (forked
# from them), as they are now.
bypass_tree() {
	local pids p
	pids="$(pid_of_bypass bypass.pid) $(pid_of_bypass bypass-standby.pid)"
	for p in $pids; do
		pids="$pids $(pgrep -P "$p" | tr '\n' ' ')"
	done
	echo $pids
}

# Which of the pids given are still alive rootlet-bypass processes (not a zombie, not a pid
# reused by another command).
alive_bypass() {
	local p
	for p in "$@"; do
		grep -qs rootlet-bypass "/proc/$p/cmdline" && ! grep -qs '^State:.*Z' "/proc/$p/status" &&
			printf '%s ' "$p"
	done
}

# `rootlet-netns del n1`, then no process of its rootlet-bypass's left, readers included (waited
# for a while: del does not wait for its supervisor's end).
no_bypass_process_after_del() {
	local pids deadline=$((SECONDS + 10))
	pids=$(bypass_tree)
	ok owner "$NETNS" del n1
	while [ -n "$(alive_bypass $pids)" ] && [ $SECONDS -lt $deadline ]; do
		sleep 0.1
	done
	assert_eq "$(alive_bypass $pids)" "" "rootlet-bypass's processes left after rootlet-netns del"
}

# The fifth outside attack: sockaddrs on pages its own FUSE server answers in 200 ms, under
# BP_READ_TIMEOUT_MS (never abandoned, never refused). The supervisor waited for each read in
# its loop, and every other command's hooked call waited behind it. Now a read not answered at
# once is held off the loop: another command's connect() is served while a slow read is under
# way. Said by order, not by time: some connect() of the other command began after a READ came
# to the FUSE server and ended before that READ was answered (CLOCK_MONOTONIC, one clock for
# all). A supervisor that waits in its loop for the read cannot serve anything in between.
test_bypass_a_slow_read_of_one_command_does_not_hold_another_commands_connect() {
	slow_command_scene "slow 200" slowconnect READ
	assert_match "$(cat "$TEST_WORK/slow.out")" "connect: ok" \
		"the slow command's connect()s, read in 200 ms, are served"
}

# slow_command_scene SERVE CALLS EVENT: the FUSE server as "fusehang serve MNT SERVE", the slow
# command (fusehang CALLS FILE 40, its output in slow.out) started; once the server has logged
# EVENT (READ, FLUSH), another command's 20 connect()s, each served; then, the slow command
# ended, some of them began after an EVENT came and ended before it was answered
# (CLOCK_MONOTONIC, one clock for all): a supervisor that waits in its loop for the slow
# request serves nothing in between.
slow_command_scene() {
	local inside event=$3
	setup_fuse_bypass "$1"
	owner "$NETNS" exec n1 --bypass -- "$BUILD/tools/fusehang" "$2" "$FUSE_FILE" 40 \
		>"$TEST_WORK/slow.out" 2>&1 &
	SLOW_PID=$!
	wait_until 10 "grep -q $event '$TEST_WORK/fuse.log'"
	run timeout 20 runuser -u "$OWNER" -- env -i PATH=/usr/bin:/bin \
		XDG_RUNTIME_DIR="/run/user/$(id -u "$OWNER")" ROOTLET_STATE_DIR="$OWNER_STATE" \
		"$NETNS" exec n1 --bypass -- "$BUILD/tools/fusehang" times 10.0.2.3 20
	assert_eq "$RC" 0 "the other command's connect()s"
	assert_eq "$(grep -vc ' ok$' <<<"$OUT")" 0 "the other command's connect()s all ok"
	wait "$SLOW_PID" 2>/dev/null || true
	inside=$(awk -v ev="$event" 'FNR == NR { if ($1 == ev) r = $2; else if ($1 == "ANSWERED") { rs[n] = r; as[n++] = $2 } next }
		$1 == "CONNECT" { for (i = 0; i < n; i++) if (rs[i] < $2 && $3 < as[i]) { c++; break } }
		END { print c + 0 }' "$TEST_WORK/fuse.log" - <<<"$OUT")
	assert_match "$inside" '^[1-9]' \
		"connect()s of the other command served while a slow $event was unanswered"
}

# A call held for its read stays in the shared table: the supervisor killed -9 while it is
# held, its standby takes over and handles it again. Every connect() of the slow command is
# served, none lost with the supervisor that held it.
test_bypass_a_call_held_for_its_read_is_replayed_by_the_standby_when_the_supervisor_is_killed() {
	setup_fuse_bypass "slow 200"
	owner "$NETNS" exec n1 --bypass -- "$BUILD/tools/fusehang" slowconnect "$FUSE_FILE" 6 \
		>"$TEST_WORK/slow.out" 2>&1 &
	SLOW_PID=$!
	bpid=$(pid_of_bypass bypass.pid)
	spid=$(pid_of_bypass bypass-standby.pid)
	wait_until 10 "[ \$(grep -c READ '$TEST_WORK/fuse.log') -ge 2 ]"
	kill -9 "$bpid"
	wait_until 10 "[ \"\$(cut -d' ' -f1 '$OWNER_STATE/n1/bypass.pid')\" = $spid ]"
	wait_until 20 "! kill -0 $SLOW_PID 2>/dev/null"
	assert_eq "$(sort "$TEST_WORK/slow.out" | uniq -c | sed 's/^ *//')" "6 connect: ok" \
		"the slow command's connect()s, one held when its supervisor was killed"
}

# Issue 24's residual: the copy of a fast open's fd (the supervisor's look at which socket the
# send is on) was waited for in the loop, then held off it while the reader took it, found no
# socket and closed it, a FUSE file's close() waiting for its FLUSH each time. Now a file that
# is no socket is never copied: its 40 fast opens have the kernel's own answer, and the FUSE
# server sees one FLUSH, the command's own close() at its exit, not one more a fast open.
test_bypass_fast_opens_on_a_file_fd_take_no_copy_of_it() {
	setup_fuse_bypass "slowflush 10"
	run owner "$NETNS" exec n1 --bypass -- "$BUILD/tools/fusehang" fastopen "$FUSE_FILE" 40
	assert_eq "$RC" 0 "the fast-opening command"
	assert_eq "$(sort <<<"$OUT" | uniq -c | sed 's/^ *//')" \
		"40 fastopen: Socket operation on non-socket" "the fast opens on a file's fd"
	assert_eq "$(grep -c '^FLUSH' "$TEST_WORK/fuse.log")" 1 \
		"FLUSHes of the file: the command's own close() alone, no copy's"
}
