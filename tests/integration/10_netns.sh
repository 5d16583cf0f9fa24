# rootlet-netns as an unprivileged user: lifecycle, persistence, exec, path, show, gc, races.

test_add_list_del_lifecycle() {
	ok "$NETNS" add web
	assert_eq "$(netns_state web)" live "state after add"
	ok "$NETNS" list
	assert_match "$OUT" "^NAME +STATE +PID" "list header"
	assert_match "$OUT" $'\n''web +live +[0-9]+ ' "list row"
	ok "$NETNS" del web
	ok "$NETNS" list --json
	assert_eq "$(echo "$OUT" | jq length)" 0 "entries after del"
	[ ! -e "$ROOTLET_STATE_DIR/web" ] || fail "state directory left behind by del"
}

test_add_of_existing_name_is_refused() {
	ok "$NETNS" add web
	refused 1 "$NETNS" add web
	assert_match "$ERR" "^rootlet-netns: add web: exists$"
	assert_eq "$(netns_state web)" live "the first netns is untouched"
}

test_state_set_by_one_exec_is_seen_by_the_next() {
	ok "$NETNS" add web
	ok "$NETNS" exec web -- ip addr add 10.77.0.1/32 dev lo
	ok "$NETNS" exec web -- ip link add v0 type veth peer name v1
	ok "$NETNS" exec web -- ip -o addr show dev lo
	assert_match "$OUT" "10\.77\.0\.1/32" "address from the first exec"
	ok "$NETNS" exec web -- ip -o link show v1
	assert_match "$OUT" "v1@v0" "veth pair from the first exec"
}

test_netns_survives_the_shell_that_made_it() {
	# The shell (and its whole session) is gone before we look.
	setsid bash -c "'$NETNS' add web" </dev/null
	pid=$(holder_pid web)
	[ -n "$pid" ] || fail "no holder recorded"
	ppid=$(ps -o ppid= -p "$pid" | tr -d ' ')
	assert_no_match "$ppid" "^$$\$" "holder parent"
	ok "$NETNS" exec web -- ip addr add 10.77.0.2/32 dev lo
	ok "$NETNS" exec web -- ip -o addr show dev lo
	assert_match "$OUT" "10\.77\.0\.2/32"
	assert_eq "$(netns_state web)" live
}

test_exec_runs_as_root_of_the_userns_with_own_uid_mapped() {
	ok "$NETNS" add web
	ok "$NETNS" exec web -- id -u
	assert_eq "$OUT" 0 "uid inside"
	ok "$NETNS" exec web -- cat /proc/self/uid_map
	assert_match "$OUT" "^ +0 +$(id -u) +1" "first uid_map line maps own uid to 0"
	# The subordinate ranges of /etc/subuid follow (rootlet-uidmap's layout).
	assert_eq "$(echo "$OUT" | awk '{print $1, $2, $3}')" "$(expected_map /etc/subuid "$(id -u)")" \
		"uid_map of a new netns"
}

test_exec_propagates_exit_status_and_signals() {
	ok "$NETNS" add web
	run "$NETNS" exec web -- sh -c 'exit 7'
	assert_eq "$RC" 7 "exit status"
	run "$NETNS" exec web -- sh -c 'kill -TERM $$'
	assert_eq "$RC" 143 "status of a command killed by SIGTERM"
	# exec replaces itself with the command, so a signal sent to it reaches the command.
	"$NETNS" exec web -- sleep 60 &
	bg=$!
	wait_until 5 'grep -qx sleep /proc/$bg/comm'
	kill -TERM $bg
	wait $bg
	assert_eq "$?" 143 "status after SIGTERM to exec"
}

test_exec_keeps_the_environment() {
	ok "$NETNS" add web
	ok env ROOTLET_PROBE=kept-value "$NETNS" exec web -- sh -c 'echo $ROOTLET_PROBE'
	assert_eq "$OUT" kept-value
}

test_exec_of_missing_command_is_127() {
	ok "$NETNS" add web
	refused 127 "$NETNS" exec web -- /nonexistent/cmd
	assert_match "$ERR" "/nonexistent/cmd"
}

test_exec_in_unknown_netns_fails_with_125() {
	refused 125 "$NETNS" exec nosuch -- true
	assert_match "$ERR" "no such netns"
}

test_path_handles_work_with_setns() {
	ok "$NETNS" add web
	ok "$NETNS" exec web -- ip addr add 10.77.0.3/32 dev lo
	ok "$NETNS" path web
	net=$OUT
	ok "$NETNS" path web --user
	user=$OUT
	assert_eq "$net" "$ROOTLET_STATE_DIR/web/net"
	assert_eq "$user" "$ROOTLET_STATE_DIR/web/user"
	ok nsenter --preserve-credentials --user="$user" --net="$net" ip -o addr show dev lo
	assert_match "$OUT" "10\.77\.0\.3/32" "netns reached through the printed paths"
}

test_show_lists_interfaces_addresses_routes_and_holder() {
	ok "$NETNS" add web
	ok "$NETNS" exec web -- sh -c 'ip link add v0 type veth peer name v1 &&
		ip link set v0 up && ip link set v1 up && ip addr add 10.77.0.4/24 dev v0 &&
		ip route add default via 10.77.0.1 dev v0'
	ok "$NETNS" show web --json
	json=$OUT
	assert_eq "$(echo "$json" | jq -r .state)" live
	assert_eq "$(echo "$json" | jq -r '.interfaces[] | select(.name=="v0") | .addresses[].address' | grep -c 10.77.0.4/24)" 1 "address in show"
	assert_eq "$(echo "$json" | jq -r '.routes[] | select(.dst=="10.77.0.0/24") | .dev')" v0 "route in show"
	assert_eq "$(echo "$json" | jq -r '.routes[] | select(.dst=="default") | .gateway')" 10.77.0.1 "default route"
	assert_eq "$(echo "$json" | jq -r .holder.pid)" "$(holder_pid web)" "holder pid"
	ok "$NETNS" show web
	assert_match "$OUT" "inet 10\.77\.0\.4/24" "human output"
	assert_match "$OUT" "default via 10\.77\.0\.1 dev v0" "human routes"
	assert_match "$OUT" "holder +pid [0-9]+, RssAnon [0-9]+ KiB"
}

test_holder_private_memory_stays_under_256_KiB() {
	ok "$NETNS" add web
	ok "$NETNS" show web --json
	rss=$(echo "$OUT" | jq -r .holder.rss_anon_kib)
	assert_match "$rss" '^[0-9]+$' "RssAnon reported"
	[ "$rss" -lt 256 ] || fail "holder RssAnon is $rss KiB, not under 256"
	# The holder itself: no threads, stdio on /dev/null, no capabilities, still dumpable.
	pid=$(holder_pid web)
	assert_eq "$(awk '/^Threads:/ {print $2}' /proc/$pid/status)" 1 "holder threads"
	assert_eq "$(awk '/^CapEff:/ {print $2}' /proc/$pid/status)" 0000000000000000 "holder CapEff"
	assert_eq "$(awk '/^CapBnd:/ {print $2}' /proc/$pid/status)" 0000000000000000 "holder CapBnd"
	assert_eq "$(ls /proc/$pid/fd | wc -l)" 3 "holder open fds (stdio only)"
	assert_eq "$(readlink /proc/$pid/fd/0)" /dev/null "holder stdin"
}

test_killed_holder_shows_stale_and_gc_removes_it() {
	ok "$NETNS" add web
	kill -9 "$(holder_pid web)"
	wait_until 5 '[ "$(netns_state web)" = stale ]'
	refused 125 "$NETNS" exec web -- true
	assert_match "$ERR" "stale"
	refused 1 "$NETNS" add web
	assert_match "$ERR" "stale.*gc"
	ok "$NETNS" gc
	assert_eq "$OUT" "removed web" "gc output"
	[ ! -e "$ROOTLET_STATE_DIR/web" ] || fail "gc left the entry"
	ok "$NETNS" add web
	assert_eq "$(netns_state web)" live "re-added after gc"
}

test_gc_leaves_live_entries_alone() {
	ok "$NETNS" add keep
	ok "$NETNS" add gone
	kill -9 "$(holder_pid gone)"
	wait_until 5 '[ "$(netns_state gone)" = stale ]'
	ok "$NETNS" gc
	assert_eq "$OUT" "removed gone"
	assert_eq "$(netns_state keep)" live
}

test_sigterm_to_holder_removes_its_state() {
	ok "$NETNS" add web
	kill -TERM "$(holder_pid web)"
	wait_until 5 '[ ! -e "$ROOTLET_STATE_DIR/web" ]'
	ok "$NETNS" list --json
	assert_eq "$(echo "$OUT" | jq length)" 0
}

test_del_during_exec_does_not_hang() {
	ok "$NETNS" add web
	"$NETNS" exec web -- sleep 30 &
	bg=$!
	sleep 0.3
	ok timeout 10 "$NETNS" del web
	[ ! -e "$ROOTLET_STATE_DIR/web" ] || fail "entry left behind"
	kill $bg 2>/dev/null
	wait $bg 2>/dev/null
	return 0
}

test_del_of_unknown_netns_fails() {
	refused 1 "$NETNS" del nosuch
	assert_eq "$ERR" "rootlet-netns: del nosuch: no such netns (none made yet: $ROOTLET_STATE_DIR does not exist)"
	ok "$NETNS" add other
	refused 1 "$NETNS" del nosuch
	assert_eq "$ERR" "rootlet-netns: del nosuch: no such netns"
}

test_twenty_concurrent_adds_of_one_name_exactly_one_wins() {
	for i in $(seq 20); do
		("$NETNS" add same 2>"$TEST_WORK/err.$i"; echo $? >"$TEST_WORK/rc.$i") &
	done
	wait
	wins=$(cat "$TEST_WORK"/rc.* | grep -c '^0$')
	assert_eq "$wins" 1 "successful adds"
	assert_eq "$(cat "$TEST_WORK"/err.* | grep -c 'exists')" 19 "'exists' errors"
	ok "$NETNS" list --json
	assert_eq "$(echo "$OUT" | jq -r '.[].name')" same
	assert_eq "$(echo "$OUT" | jq -r '.[].state')" live
	# No loser left a holder or a temporary directory behind.
	assert_eq "$(ls -A "$ROOTLET_STATE_DIR")" same "state root content"
	assert_eq "$(live_holders)" 1 "holders running"
}

test_twenty_concurrent_distinct_adds_all_listed() {
	for i in $(seq 20); do
		"$NETNS" add "n$i" &
	done
	wait
	ok "$NETNS" list --json
	assert_eq "$(echo "$OUT" | jq length)" 20 "entries"
	assert_eq "$(echo "$OUT" | jq -r '[.[] | select(.state=="live")] | length')" 20 "live"
	for i in $(seq 20); do
		jq -e 'type == "object"' "$ROOTLET_STATE_DIR/n$i/state.json" 2>/dev/null | grep -qx true || fail "n$i: corrupt state.json"
	done
}

test_bad_names_are_refused_and_leave_nothing() {
	long=$(printf 'a%.0s' $(seq 65))
	for name in '' . .. a/b ../x "$long" 'a b' $'a\nb'; do
		refused 2 "$NETNS" add "$name"
		assert_match "$ERR" "invalid name"
	done
	[ ! -e "$ROOTLET_STATE_DIR" ] || [ -z "$(ls -A "$ROOTLET_STATE_DIR")" ] ||
		fail "state left behind: $(ls -A "$ROOTLET_STATE_DIR")"
}

# A bad --publish SPEC is a usage error where the command line is read (exit 2, the SPEC named),
# before anything is made: no entry, no holder, no helper.
test_add_with_a_bad_publish_spec_is_a_usage_error_and_makes_nothing() {
	for spec in 8080:80/sctp 70000:80 1.2.3:8080:80 '[::1]8080:80'; do
		refused 2 "$NETNS" add web --slirp --publish 127.0.0.1:0:80 --publish "$spec"
		assert_match "$ERR" "^rootlet-netns: --publish '${spec//[/\\[}': " "the message"
	done
	# A SPEC that would break the one line is quoted in it.
	refused 2 "$NETNS" add web --publish $'80\nrootlet-netns: forged'
	assert_match "$ERR" "--publish '80\\\\x0arootlet-netns: forged': " "the quoted SPEC"
	[ -z "$(ls -A "$ROOTLET_STATE_DIR" 2>/dev/null)" ] ||
		fail "state made: $(ls -A "$ROOTLET_STATE_DIR")"
	assert_eq "$(live_holders)" 0 "holders"
	assert_eq "$(state_root_procs)" "" "processes left"
}

test_usage_errors_exit_2_with_one_line() {
	refused 2 "$NETNS" frob
	assert_match "$ERR" "unknown verb 'frob'"
	refused 2 "$NETNS"
	refused 2 "$NETNS" exec web
	assert_match "$ERR" "command missing"
	refused 2 "$NETNS" add
	assert_match "$ERR" "NAME missing"
	refused 2 "$NETNS" list extra
	refused 2 "$NETNS" --bogus list
	refused 2 "$NETNS" oci web
	refused 2 "$NETNS" list --in-place
}

test_help_and_version() {
	ok "$NETNS" --help
	for verb in add del list exec path show oci gc; do
		assert_match "$OUT" "  $verb " "--help mentions $verb"
	done
	ok "$NETNS" --version
	assert_match "$OUT" "^rootlet-netns [0-9]+\.[0-9]+\.[0-9]+$"
	ok "$BUILD/rootlet-netns-holder" --version
}

test_state_is_private() {
	ok "$NETNS" add web
	assert_eq "$(stat -c %a "$ROOTLET_STATE_DIR")" 700 "state root mode"
	assert_eq "$(stat -c %a "$ROOTLET_STATE_DIR/web")" 700 "entry mode"
	assert_eq "$(stat -c %a "$ROOTLET_STATE_DIR/web/state.json")" 600 "state.json mode"
}

test_state_root_open_to_others_is_refused_saying_why() {
	ok "$NETNS" add web
	chmod 0755 "$ROOTLET_STATE_DIR"
	refused 1 "$NETNS" list
	assert_eq "$ERR" "rootlet-netns: list: $ROOTLET_STATE_DIR is mode 0755, open to its group or others: refused as the state directory, since they could plant links in it; 'chmod 0700 $ROOTLET_STATE_DIR'"
	refused 1 "$PORTFWD" --netns web --publish 127.0.0.1:0:80
	assert_eq "$ERR" "rootlet-portfwd: $ROOTLET_STATE_DIR is mode 0755, open to its group or others: refused as the state directory, since they could plant links in it; 'chmod 0700 $ROOTLET_STATE_DIR'"
	chmod 0700 "$ROOTLET_STATE_DIR"
}

test_default_state_root_is_under_xdg_runtime_dir() {
	unset ROOTLET_STATE_DIR
	name=it-default-$$
	ok "$NETNS" add "$name"
	ok "$NETNS" path "$name"
	assert_eq "$OUT" "$XDG_RUNTIME_DIR/rootlet/$name/net"
	ok "$NETNS" del "$name"
}

# As podman does where XDG_RUNTIME_DIR is unset (an environment cleared by
# systemd-socket-activate or an engine): the user's own /run/user/UID.
test_state_root_without_xdg_runtime_dir_is_run_user_uid() {
	unset ROOTLET_STATE_DIR
	name=it-noxdg-$$
	ok env -u XDG_RUNTIME_DIR "$NETNS" add "$name"
	ok env -u XDG_RUNTIME_DIR "$NETNS" path "$name"
	assert_eq "$OUT" "/run/user/$(id -u)/rootlet/$name/net"
	ok "$NETNS" path "$name"
	assert_eq "$OUT" "/run/user/$(id -u)/rootlet/$name/net" "the same entry with XDG_RUNTIME_DIR"
	ok env -u XDG_RUNTIME_DIR "$NETNS" del "$name"
}

test_add_with_userns_joins_that_userns() {
	ok "$NETNS" add first
	ok "$NETNS" path first --user
	ok "$NETNS" add second --userns "$OUT"
	assert_eq "$(stat -L -c %i "$ROOTLET_STATE_DIR/second/user")" \
		"$(stat -L -c %i "$ROOTLET_STATE_DIR/first/user")" "userns inode"
	[ "$(stat -L -c %i "$ROOTLET_STATE_DIR/second/net")" != \
		"$(stat -L -c %i "$ROOTLET_STATE_DIR/first/net")" ] || fail "netns shared"
	ok "$NETNS" exec second -- ip -o link
	assert_match "$OUT" "lo:"
	refused 1 "$NETNS" add third --userns /etc/passwd
	assert_match "$ERR" "not a namespace"
	[ ! -e "$ROOTLET_STATE_DIR/third" ] || fail "failed add left an entry"
}

test_man_page_documents_every_verb_option_and_exit_code() {
	check_man_page rootlet-netns add del list exec path show oci gc
}

# A directory without a state.json (a crash between steps, or made by hand) is a broken entry:
# add names the way out, del removes it with a warning, and the name is usable again.
test_broken_entry_is_named_by_add_and_removed_by_del() {
	mkdir -p -m 0700 "$ROOTLET_STATE_DIR"
	mkdir -m 0700 "$ROOTLET_STATE_DIR/ghost"
	ok "$NETNS" list
	assert_match "$OUT" "ghost +corrupt"
	refused 1 "$NETNS" add ghost
	assert_match "$ERR" "exists, broken .*'rootlet-netns del ghost' removes it"
	ok "$NETNS" del ghost
	assert_match "$ERR" "warning.*state.json is missing; the entry is removed"
	[ ! -e "$ROOTLET_STATE_DIR/ghost" ] || fail "the broken entry is still there"
	ok "$NETNS" add ghost
	ok "$NETNS" del ghost
}

# Garbage in a live entry's state.json: list says corrupt with no made-up creation time, gc
# leaves the entry (its holder runs), and del stops its holder and helpers before removing it.
corrupt_live_entry() {
	port=$(free_port)
	ok "$NETNS" add web --slirp --publish "127.0.0.1:$port:80"
	holder=$(holder_pid web)
	spid=$(cut -d' ' -f1 "$ROOTLET_STATE_DIR/web/slirp.pid")
	ppid=$(cut -d' ' -f1 "$ROOTLET_STATE_DIR/web/portfwd.pid")
	echo 'garbage {' >"$ROOTLET_STATE_DIR/web/state.json"
}

test_corrupt_entry_is_listed_without_a_creation_time() {
	corrupt_live_entry
	ok "$NETNS" list
	assert_match "$OUT" "web +corrupt +- +- "
	ok "$NETNS" list --json
	assert_eq "$(echo "$OUT" | jq -c '.[0] | [.state, .created]')" '["corrupt",null]' "list --json"
}

test_gc_keeps_a_corrupt_entry_whose_holder_runs() {
	corrupt_live_entry
	ok "$NETNS" gc
	[ -d "$ROOTLET_STATE_DIR/web" ] || fail "gc removed an entry whose holder runs"
	for pid in $holder $spid $ppid; do
		kill -0 "$pid" 2>/dev/null || fail "gc stopped process $pid of a live entry"
	done
}

test_del_of_a_corrupt_entry_stops_its_holder_and_helpers() {
	corrupt_live_entry
	ok "$NETNS" del web
	assert_match "$ERR" "warning.*state.json is corrupt; the entry is removed"
	for pid in $holder $spid $ppid; do
		wait_until 10 "! kill -0 $pid 2>/dev/null || grep -q '^State:.*Z' /proc/$pid/status"
	done
	ss -Hltn "sport = :$port" | grep -q . && fail "port $port still bound"
	[ ! -e "$ROOTLET_STATE_DIR/web" ] || fail "entry left behind"
}

# Messages say what is missing or wrong, and what to do.
test_messages_name_a_missing_or_symlinked_state_root_and_a_bad_option() {
	refused 1 "$NETNS" del web
	assert_match "$ERR" "no such netns \(none made yet: $ROOTLET_STATE_DIR does not exist\)"
	mkdir -m 0700 "$TEST_WORK/real"
	ln -s "$TEST_WORK/real" "$ROOTLET_STATE_DIR"
	for verb in list gc; do
		refused 1 "$NETNS" $verb
		assert_match "$ERR" "$ROOTLET_STATE_DIR is a symlink, not the state directory: refused"
	done
	rm "$ROOTLET_STATE_DIR"
	refused 2 "$NETNS" add -rf
	assert_match "$ERR" "unknown or incomplete option '-r'"
}

# A symlink (or file) under an entry's name is listed as corrupt, and gc or del removes the
# name itself, never what it points to; gc does not fail on it for ever after.
test_a_symlinked_entry_is_listed_and_removed_by_gc_and_del() {
	ok "$NETNS" add web
	mkdir "$TEST_WORK/target"
	touch "$TEST_WORK/target/keep"
	for verb in gc del; do
		ln -s "$TEST_WORK/target" "$ROOTLET_STATE_DIR/evil"
		ok "$NETNS" list
		assert_match "$OUT" "evil +corrupt"
		if [ $verb = gc ]; then ok "$NETNS" gc; else ok "$NETNS" del evil; fi
		[ ! -L "$ROOTLET_STATE_DIR/evil" ] || fail "$verb left the symlink"
		[ -e "$TEST_WORK/target/keep" ] || fail "$verb removed what the symlink pointed to"
	done
	ok "$NETNS" gc
	[ "$(netns_state web)" = live ] || fail "gc touched the live entry"
}

# show with a stopped helper answers in about a second per helper, saying that helper's
# forwards are unknown, instead of waiting 5 s each and dropping them silently.
test_show_with_stopped_helpers_says_their_forwards_are_unknown() {
	ok "$NETNS" add web --slirp --publish 127.0.0.1::80
	spid=$(cut -d' ' -f1 "$ROOTLET_STATE_DIR/web/slirp.pid")
	ppid=$(cut -d' ' -f1 "$ROOTLET_STATE_DIR/web/portfwd.pid")
	kill -STOP "$spid" "$ppid"
	run timeout 4 "$NETNS" show web --json
	kill -CONT "$spid" "$ppid"
	[ "$RC" -eq 0 ] || fail "show exited $RC (124: it took 4 s or more)"
	assert_eq "$(echo "$OUT" | jq -c '[.forwards, .publish]')" '[null,null]' "unknown forwards"
	assert_eq "$(echo "$OUT" | jq '.warnings | length')" 2 "a warning per helper"
	assert_match "$(echo "$OUT" | jq -r '.warnings[0]')" "did not answer .*forwards are unknown"
	ok "$NETNS" show web
	assert_match "$OUT" "publish  127\.0\.0\.1::80/tcp" "forwards shown once it answers"
}

# A del finishing while gc looks at the same entry (as `rootlet run`'s teardown and a gc did in
# a fault run): gc opened the entry, then del removed it before gc took its lock. Every openat
# of gc is slowed by strace, and del runs in that window.
test_gc_is_not_failed_by_an_entry_a_del_removes_under_it() {
	command -v strace >/dev/null || skip "strace is not installed"
	ok "$NETNS" add g1
	strace -f -o trace -e trace=openat -e inject=openat:delay_enter=1000000 "$NETNS" gc \
		>gc.out 2>&1 &
	gc=$!
	wait_until 15 "grep -q '\"g1\", .* = [0-9]' trace"
	ok "$NETNS" del g1
	wait "$gc" || fail "gc failed: $(cat gc.out)"
	assert_match "$(cat trace)" '"lock".* = -1 ENOENT' "gc's lock opened after the del"
}
