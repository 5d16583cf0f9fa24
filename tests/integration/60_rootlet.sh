# The front door: `rootlet VERB` and `rootlet doctor`, as the unprivileged test user.

ROOTLET=$BUILD/rootlet

test_verbs_run_their_binaries() {
	ok "$ROOTLET" netns add web
	ok "$ROOTLET" netns list --json
	assert_eq "$(echo "$OUT" | jq -r '.[].name')" web
	ok "$ROOTLET" uidmap --version
	assert_match "$OUT" "^rootlet-uidmap "
	ok "$ROOTLET" netns del web
	ok "$ROOTLET" network create shared
	assert_eq "$OUT" shared "rootlet network runs rootlet-network"
	ok "$ROOTLET" help
	for verb in netns uidmap slirp portfwd network doctor help; do
		assert_match "$OUT" "  $verb " "help lists $verb"
	done
	refused 2 "$ROOTLET" frob
	assert_match "$ERR" "unknown verb 'frob'"
	refused 2 "$ROOTLET"
}

test_doctor_reports_all_ok_on_this_machine() {
	ok "$ROOTLET" doctor
	assert_no_match "$OUT" "(^|"$'\n'")(fail|warn) " "doctor output"
	assert_eq "$(echo "$OUT" | grep -c '^ok ')" 12 "checks that passed"
	assert_match "$OUT" "ok +bypass +seccomp user notification, pidfd_getfd" "the bypass's kernel"
	# Whether TCP twins can be guarded: either way safe (without, none is made).
	assert_match "$OUT" "ok +bypass twins +(TCP twins guarded|socket filters refused .*: without --allow-host-loopback, no TCP twin)" \
		"the bypass's twins"
	ok "$ROOTLET" doctor --json
	assert_eq "$(echo "$OUT" | jq '[.[] | select(.status != "ok")] | length')" 0
}

test_doctor_names_a_missing_subuid_entry_and_its_fix() {
	printf 'somebody-else:300000:65536\n' >subuid
	run "$ROOTLET" doctor --subuid subuid
	assert_eq "$RC" 1 "exit status"
	assert_match "$OUT" "fail +subuid +no subuid entry for $(id -un)"
	assert_match "$OUT" "fix: usermod --add-subuids"
}

test_doctor_names_an_overlapping_or_broken_range() {
	me=$(id -un)
	printf '%s:%s:10\n' "$me" "$(( $(id -u) - 5 ))" >subuid
	run "$ROOTLET" doctor --subuid subuid
	assert_eq "$RC" 1
	assert_match "$OUT" "fail +subuid +.*own id $(id -u)"
	printf '%s:100000:65536\nother:100100:10\n' "$me" >subuid2
	run "$ROOTLET" doctor --subuid subuid2
	assert_match "$OUT" "warn +subuid overlap +ranges overlap"
}

test_doctor_names_a_newuidmap_without_setuid_and_its_fix() {
	mkdir bin
	cp /usr/bin/newuidmap /usr/bin/newgidmap bin/
	run env PATH="$TEST_WORK/bin:$PATH" "$ROOTLET" doctor
	assert_eq "$RC" 1
	assert_match "$OUT" "fail +newuidmap +.*bin/newuidmap is neither setuid root"
	assert_match "$OUT" "fix: chmod u\+s"
}

test_doctor_names_an_unset_xdg_runtime_dir_and_its_fix() {
	run env -u XDG_RUNTIME_DIR -u ROOTLET_STATE_DIR "$ROOTLET" doctor
	assert_match "$OUT" "warn +XDG_RUNTIME_DIR +not set; rootlet uses /run/user/$(id -u)/rootlet"
	assert_match "$OUT" "fix: export XDG_RUNTIME_DIR=/run/user/$(id -u)"
}

test_doctor_names_stale_state_and_its_fix() {
	ok "$NETNS" add web
	kill -9 "$(holder_pid web)"
	wait_until 5 '[ "$(netns_state web)" = stale ]'
	ok "$ROOTLET" doctor
	assert_match "$OUT" "warn +rootlet state +stale netns: web"
	assert_match "$OUT" "fix: rootlet netns gc"
}

test_man_page() {
	check_man_page rootlet netns uidmap slirp portfwd doctor help
}

test_run_exits_with_the_commands_status_and_leaves_nothing() {
	run "$ROOTLET" run -- sh -c 'exit 7'
	assert_eq "$RC" 7 "exit status of rootlet run"
	wait_until 5 '[ -z "$(ls -A "$ROOTLET_STATE_DIR" 2>/dev/null)" ]'
	ok "$ROOTLET" run -- sh -c 'ip -4 -o addr show tap0; cat /etc/resolv.conf; id -u'
	assert_match "$OUT" "inet 10\.0\.2\.100/24" "the command's netns has slirp"
	assert_match "$OUT" "nameserver 10\.0\.2\.3" "and its resolv.conf"
	assert_match "$OUT" $'\n''0$' "root of the user namespace"
}

# rootlet run parses its --publish SPECs itself: a bad one is its usage error (exit 2, the SPEC
# named), before rootlet-netns add, and the command never runs.
test_run_with_a_bad_publish_spec_is_a_usage_error_and_makes_nothing() {
	refused 2 "$ROOTLET" run --publish 127.0.0.1:0:80 --publish 8080:80/sctp -- touch "$TEST_WORK/ran"
	assert_match "$ERR" "^rootlet: run: --publish '8080:80/sctp': protocol must be tcp or udp"
	[ ! -e "$TEST_WORK/ran" ] || fail "the command ran"
	[ -z "$(ls -A "$ROOTLET_STATE_DIR" 2>/dev/null)" ] ||
		fail "state made: $(ls -A "$ROOTLET_STATE_DIR")"
	assert_eq "$(live_holders)" 0 "holders"
	assert_eq "$(state_root_procs)" "" "processes left"
}

test_run_sigterm_reaches_the_command_and_everything_goes() {
	port=$(free_port)
	"$ROOTLET" run --name r --publish "127.0.0.1:$port:80" -- sleep 100 &
	pid=$!
	wait_until 10 '[ -S "$ROOTLET_STATE_DIR/r/portfwd.sock" ] && grep -qx sleep /proc/$pid/comm'
	kill -TERM "$pid"
	wait "$pid"
	assert_eq "$?" 143 "status of the command killed by SIGTERM"
	wait_until 5 '[ ! -e "$ROOTLET_STATE_DIR/r" ]'
	assert_eq "$(live_holders)" 0 "holders left"
	for helper in rootlet-slirp rootlet-portfwd; do
		for p in $(pgrep -u "$(id -u)" -f -- "$helper --netns r "); do
			grep -q '^State:.*Z' /proc/$p/status || fail "$helper $p still runs"
		done
	done
	serve hold $NET hold-port 127.0.0.1 "$port"
}

test_run_publish_forwards_while_the_command_runs_and_not_after() {
	port=$(free_port)
	"$ROOTLET" run --publish "127.0.0.1:$port:80" -- $NET serve-echo tcp 0.0.0.0 80 \
		--ready "$TEST_WORK/srv.ready" &
	pid=$!
	wait_until 10 "[ -e '$TEST_WORK/srv.ready' ]"
	ok $NET echo-client tcp 127.0.0.1 "$port" through-run
	assert_eq "$OUT" through-run
	kill -TERM "$pid"
	wait "$pid"
	wait_until 5 "! $NET echo-client tcp 127.0.0.1 $port gone --timeout 1"
}

test_run_keep_leaves_a_named_netns_for_exec() {
	ok "$ROOTLET" run --name kept --keep -- true
	ok "$NETNS" exec kept -- ip -4 -o addr show tap0
	assert_match "$OUT" "10\.0\.2\.100"
	# Kept on purpose: it has no owner to outlive, and gc leaves it.
	jq -e 'has("owners") | not' "$ROOTLET_STATE_DIR/kept/state.json" >/dev/null ||
		fail "a kept netns records owners: $(cat "$ROOTLET_STATE_DIR/kept/state.json")"
	ok "$NETNS" gc
	assert_eq "$OUT" "" "what gc removed"
	refused 2 "$ROOTLET" run --bogus -- true
	refused 2 "$ROOTLET" run
}

test_run_gives_an_interactive_shell_a_prompt() {
	command -v tmux >/dev/null || fail "tmux is not installed"
	sock=rootlet-$$
	tmux -L "$sock" new-session -d -x 200 -y 50 "'$ROOTLET' run --name tty -- sh"
	wait_until 10 "tmux -L $sock capture-pane -p | grep -q '#'"
	tmux -L "$sock" send-keys 'ip -4 addr show tap0' Enter
	wait_until 5 "tmux -L $sock capture-pane -p | grep -q 'inet 10.0.2.100/24'"
	tmux -L "$sock" send-keys 'exit' Enter
	wait_until 5 "! tmux -L $sock has-session 2>/dev/null"
	wait_until 5 '[ ! -e "$ROOTLET_STATE_DIR/tty" ]'
}

test_run_ctrl_c_on_the_terminal_reaches_the_command() {
	# Ctrl-C is SIGINT to the terminal's foreground process group: here, a group of its own,
	# started with SIGINT at its default as a terminal's would be (not ignored, as bash leaves
	# it for a background job).
	setsid env --default-signal=INT "$ROOTLET" run --name cc -- sleep 100 &
	pid=$!
	wait_until 10 "grep -qx sleep /proc/$pid/comm && [ -e '$ROOTLET_STATE_DIR/cc' ]"
	kill -INT -- "-$pid"
	wait "$pid"
	assert_eq "$?" 130 "status of the command after SIGINT to its group"
	wait_until 5 '[ ! -e "$ROOTLET_STATE_DIR/cc" ]'
}

# run_bg NAME: `rootlet run --name NAME --publish 127.0.0.1:PORT:80 -- sleep 100` in the
# background, up; its pid in RUN_PID (soon sleep's), its teardown's in TEARDOWN, PORT in PORT.
run_bg() {
	PORT=$(free_port)
	"$ROOTLET" run --name "$1" --publish "127.0.0.1:$PORT:80" -- sleep 100 &
	RUN_PID=$!
	echo "$RUN_PID" >>"$TEST_WORK/bg.pids"
	wait_until 10 "[ -S '$ROOTLET_STATE_DIR/$1/portfwd.sock' ] && grep -qx sleep /proc/$RUN_PID/comm"
	TEARDOWN=$(pgrep -u "$(id -u)" -f -- "^rootlet teardown $RUN_PID ")
	[ -n "$TEARDOWN" ] || fail "no teardown waits for $RUN_PID"
}

# nothing_left NAME PORT: no entry, no holder, no helper of NAME, PORT free.
nothing_left() {
	[ ! -e "$ROOTLET_STATE_DIR/$1" ] || fail "$1 is left: $(ls "$ROOTLET_STATE_DIR/$1")"
	wait_until 5 '[ "$(live_holders)" = 0 ]'
	wait_until 5 "! ss -Hltn 'sport = :$2' | grep -q ."
	for p in $(pgrep -u "$(id -u)" -f -- "rootlet-(slirp|portfwd) --netns $1 "); do
		grep -q '^State:.*Z' /proc/$p/status || fail "helper $p of $1 still runs"
	done
}

# The netns is the command's (add --owner): its holder ends with the command, its helpers with
# the holder, and the entry with the holder's release; no gc is needed.
test_run_whose_teardown_is_killed_ends_with_its_command() {
	run_bg kt
	kill -9 "$TEARDOWN"
	ok "$NETNS" gc
	assert_eq "$OUT" "" "what gc removed while the command runs"
	ok "$NETNS" exec kt -- true
	kill -TERM "$RUN_PID"
	wait "$RUN_PID"
	wait_until 10 "[ ! -e '$ROOTLET_STATE_DIR/kt' ]"
	nothing_left kt "$PORT"
}

test_run_whose_command_is_killed_goes_with_its_teardown() {
	run_bg kc
	kill -9 "$RUN_PID"
	wait "$RUN_PID"
	wait_until 10 "[ ! -e '$ROOTLET_STATE_DIR/kc' ]"
	nothing_left kc "$PORT"
}

test_run_whose_command_and_teardown_are_killed_leaves_nothing() {
	run_bg kb
	kill -9 "$TEARDOWN" "$RUN_PID"
	wait "$RUN_PID"
	wait_until 10 "[ ! -e '$ROOTLET_STATE_DIR/kb' ]"
	nothing_left kb "$PORT"
}

# On a network the netns is CMD's from its making (alloc --owner): with the command and the
# teardown killed, its holder ends with the command (no gc needed for that), and one
# rootlet-network gc drops the attachment (issue 24, F2).
attached='[.. | objects | select(has("attachments")) | .attachments[] | .id]'
test_run_on_a_network_whose_command_and_teardown_are_killed_ends_its_holder() {
	ok "$NETWORK" create n
	"$ROOTLET" run --network n --name c -- sleep 100 &
	pid=$!
	echo "$pid" >>"$TEST_WORK/bg.pids"
	wait_until 10 "[ -e '$ROOTLET_STATE_DIR/c' ] && grep -qx sleep /proc/$pid/comm"
	teardown=$(pgrep -u "$(id -u)" -f -- "^rootlet teardown $pid ")
	[ -n "$teardown" ] || fail "no teardown waits for $pid"
	ok "$NETWORK" inspect n
	assert_eq "$(echo "$OUT" | jq -c "$attached")" '["c"]' "attachments while it runs"
	holder=$(holder_pid c)
	kill -9 "$teardown" "$pid"
	wait "$pid"
	wait_until 10 "[ ! -d /proc/$holder ] || grep -q '^State:.*Z' /proc/$holder/status"
	ok "$NETWORK" gc
	ok "$NETWORK" inspect n
	assert_eq "$(echo "$OUT" | jq -c "$attached")" "[]" "attachments left"
	[ ! -e "$ROOTLET_STATE_DIR/c" ] || fail "c's netns entry is left"
}

# alloc --owner PID: PID is the owner in state.json from the making (nothing left for run to
# record in a window a kill -9 could hit), and the holder ends with PID.
test_alloc_owner_is_recorded_at_the_making_and_the_holder_ends_with_it() {
	ok "$NETWORK" create n
	bg owner sleep 100
	owner=$BG_PID
	ok "$NETWORK" alloc n c --owner "$owner"
	assert_eq "$(jq -c '[.owners[].pid]' "$ROOTLET_STATE_DIR/c/state.json")" "[$owner]" \
		"the owners alloc recorded"
	holder=$(holder_pid c)
	assert_eq "$(awk '/^Pid:/ { print $2 }' "/proc/$holder/fdinfo/4")" "$owner" \
		"the holder's pidfd's process"
	refused 1 "$NETWORK" alloc n d --owner 999999999
	assert_match "$ERR" "--owner 999999999: no such process"
	refused 2 "$NETWORK" alloc n d --owner "$owner" --netns c
	kill -9 "$owner"
	wait "$owner"
	wait_until 10 "[ ! -e '$ROOTLET_STATE_DIR/c' ]"
	ok "$NETWORK" gc
	ok "$NETWORK" inspect n
	assert_eq "$(echo "$OUT" | jq -c "$attached")" "[]" "attachments left"
}

# A container netns whose every owner has ended while its holder runs (as an older rootlet run
# left it): one rootlet-network gc, before any rootlet-netns gc, leaves nothing of it.
test_one_network_gc_removes_a_container_whose_owners_ended() {
	ok "$NETWORK" create n
	ok "$NETWORK" alloc n c
	ok "$NETWORK" alloc n keep
	# An owner that has ended: no process has pid 999999999 (over any pid_max).
	jq -c '.owners = [{pid: 999999999, start: 1}]' "$ROOTLET_STATE_DIR/c/state.json" \
		>"$TEST_WORK/st" && cat "$TEST_WORK/st" >"$ROOTLET_STATE_DIR/c/state.json"
	holder=$(holder_pid c)
	ok "$NETWORK" gc
	ok "$NETWORK" inspect n
	assert_eq "$(echo "$OUT" | jq -c "$attached")" '["keep"]' "attachments after one gc"
	[ ! -e "$ROOTLET_STATE_DIR/c" ] || fail "c's netns entry is left"
	wait_until 5 "[ ! -d /proc/$holder ] || grep -q '^State:.*Z' /proc/$holder/status"
	ok "$NETNS" gc
	assert_eq "$OUT" "" "what rootlet-netns gc found left"
}

# The holder keeps a pidfd of its owner, and nothing else beyond stdio and its signalfd.
test_add_owner_holder_ends_with_its_owner() {
	bg owner sleep 100
	owner=$BG_PID
	ok "$NETNS" add o --slirp --owner "$owner"
	holder=$(holder_pid o)
	assert_eq "$(readlink "/proc/$holder/fd/4")" "anon_inode:[pidfd]" "the holder's fd 4"
	assert_eq "$(awk '/^Pid:/ { print $2 }' "/proc/$holder/fdinfo/4")" "$owner" "its pidfd's process"
	assert_eq "$(ls "/proc/$holder/fd" | wc -l)" 5 "the holder's fds: stdio, signalfd, pidfd"
	kill "$owner"
	wait "$owner"
	wait_until 10 "[ ! -e '$ROOTLET_STATE_DIR/o' ]"
	assert_eq "$(live_holders)" 0 "holders left"
}

test_run_records_its_command_and_teardown_as_owners_with_start_times() {
	run_bg ow
	start() { awk '{ sub(/.*\) /, ""); print $20 }' "/proc/$1/stat"; }
	assert_eq "$(jq -c '[.owners[] | [.pid, .start]]' "$ROOTLET_STATE_DIR/ow/state.json")" \
		"[[$RUN_PID,$(start "$RUN_PID")],[$TEARDOWN,$(start "$TEARDOWN")]]"
	ok "$NETNS" show ow --json
	assert_eq "$(echo "$OUT" | jq -c '[.owners[] | [.pid, .state]]')" \
		"[[$RUN_PID,\"running\"],[$TEARDOWN,\"running\"]]" "show's owners"
	kill -9 "$TEARDOWN"
	ok "$NETNS" show ow
	assert_match "$OUT" "  owner    pid $TEARDOWN \(ended\)" "a killed teardown in show"
}

# A pid is never trusted alone: the owner's pid alive with another start time is another
# process, and the entry is gc's.
test_gc_removes_a_netns_whose_owners_pid_was_reused() {
	bg owner sleep 100
	owner=$BG_PID
	ok "$NETNS" add o --slirp --owner "$owner"
	ok "$NETNS" gc
	assert_eq "$OUT" "" "what gc removed while the owner runs"
	state=$ROOTLET_STATE_DIR/o/state.json
	jq '.owners[0].start += 1' "$state" >"$TEST_WORK/state.json"
	cat "$TEST_WORK/state.json" >"$state"
	ok "$NETNS" gc
	assert_eq "$OUT" "removed o"
	assert_eq "$(live_holders)" 0 "holders left"
}

test_add_owner_refuses_what_is_not_a_running_process() {
	refused 2 "$NETNS" add o --owner 12ab
	assert_eq "$ERR" "rootlet-netns: --owner '12ab': not a process id; see 'rootlet-netns --help'"
	refused 2 "$NETNS" del o --owner 1
	sh -c 'exit 0' &
	gone=$!
	wait "$gone"
	refused 1 "$NETNS" add o --owner "$gone"
	assert_eq "$ERR" "rootlet-netns: add o: --owner $gone: no such process"
	[ ! -e "$ROOTLET_STATE_DIR/o" ] || fail "a refused add left o"
}

# The teardown that waits for the command forks nothing while it waits: its own CPU and its
# children's (fields 14 to 17 of /proc/PID/stat) stay near zero over two seconds.
test_run_waits_for_the_command_without_forking() {
	bg run "$ROOTLET" run --name waiter -- sleep 4
	wait_until 10 "pgrep -u $(id -u) -f -- 'rootlet-netns waiter( |\$)'"
	pid=$(pgrep -u "$(id -u)" -f -- 'rootlet-netns waiter( |$)')
	sleep 0.5
	before=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pid/stat")
	sleep 2
	used=$(($(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pid/stat") - before))
	echo "teardown CPU in 2 s: $used ticks"
	[ "$used" -le 2 ] || fail "the waiting teardown used $used ticks in 2 s"
	wait_until 10 '[ ! -e "$ROOTLET_STATE_DIR/waiter" ]'
}
