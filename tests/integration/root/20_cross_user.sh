# Another local user against the test user's netns: every try refused. Root only sets the
# scene; the netns, its helpers and every try run as the two unprivileged users.

OTHER=${OWNER}2

other() {
	run_as "$OTHER" "$@"
}

setup_owner() {
	id -u "$OTHER" >/dev/null 2>&1 || skip "no second user $OTHER (scripts/test-setup.sh makes it)"
	# However the test ends, the owner's netns goes with it.
	owner_scene cross
	TPORT=$(free_port)
	UPORT=$(free_port)
	ok owner "$NETNS" add web --slirp --allow-host-loopback \
		--publish "127.0.0.1:$TPORT:80" --publish "127.0.0.1:$UPORT:53/udp"
	ok owner $NET api "$OWNER_STATE/web/slirp.sock" '{"execute":"add_hostfwd","arguments":{"proto":"udp","host_addr":"127.0.0.1","host_port":0,"guest_port":53}}'
	SPORT=$(echo "$OUT" | jq -r .return.host_port)
	HOLDER=$(owner "$NETNS" list --json | jq -r '.[0].holder_pid')
	SLIRP_PID=$(cut -d' ' -f1 "$OWNER_STATE/web/slirp.pid")
	PORTFWD_PID=$(cut -d' ' -f1 "$OWNER_STATE/web/portfwd.pid")
}

test_another_user_cannot_read_the_state_or_reach_the_sockets() {
	setup_owner
	run other ls "$OWNER_STATE/web"
	[ "$RC" -ne 0 ] || fail "$OTHER listed the state directory"
	for sock in slirp.sock portfwd.sock; do
		run other $NET api "$OWNER_STATE/web/$sock" '{"execute":"list_hostfwd"}' --timeout 2
		[ "$RC" -ne 0 ] || fail "$OTHER talked to $sock"
	done
	run other "$PORTFWD" --netns "$OWNER_STATE/web/net" --publish 127.0.0.1:0:80
	[ "$RC" -ne 0 ] || fail "$OTHER ran a forwarder into the netns"
}

test_another_user_cannot_join_the_namespaces_or_signal_the_helpers() {
	setup_owner
	for ns in net user; do
		run other nsenter --preserve-credentials --user="/proc/$HOLDER/ns/user" \
			--$ns="/proc/$HOLDER/ns/$ns" true
		[ "$RC" -ne 0 ] || fail "$OTHER entered the holder's $ns namespace"
	done
	for pid in $HOLDER $SLIRP_PID $PORTFWD_PID; do
		run other kill -0 "$pid"
		[ "$RC" -ne 0 ] || fail "$OTHER may signal process $pid"
	done
}

# The theft of issue 12: with SO_REUSEADDR another user bound the same UDP port and took its
# datagrams. Now the kernel refuses the second bind, for portfwd's and slirp's forwards alike.
test_another_user_cannot_take_a_udp_forward_port() {
	setup_owner
	for port in $UPORT $SPORT; do
		run other $NET steal-udp 127.0.0.1 "$port"
		assert_eq "$OUT" "steal-udp: Address already in use" "$OTHER binding UDP port $port"
	done
}

# rootlet-bypass: its sockets are the owner's alone, and a UDP port published by a service's
# own bind() (SO_REUSEADDR set inside, as programs do) cannot be shared by another user either.
test_another_user_cannot_reach_the_bypass_or_take_its_published_port() {
	setup_owner
	BPORT=$(free_port)
	ok owner "$NETNS" add bp --slirp --bypass --allow-host-loopback --publish "127.0.0.1:$BPORT:53/udp"
	run_as "$OWNER" env ROOTLET_STATE_DIR="$OWNER_STATE" "$NETNS" exec bp --bypass -- python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 53))
time.sleep(30)' &
	server=$!
	wait_until 10 "ss -Hlun 'sport = :$BPORT' | grep -q ."
	run other $NET steal-udp 127.0.0.1 "$BPORT"
	assert_eq "$OUT" "steal-udp: Address already in use" "$OTHER binding the published UDP port"
	for sock in bypass.sock bypass-api.sock; do
		run other $NET api "$OWNER_STATE/bp/$sock" '{"execute":"counters"}' --timeout 2
		[ "$RC" -ne 0 ] || fail "$OTHER talked to $sock"
	done
	run other kill -0 "$(cut -d' ' -f1 "$OWNER_STATE/bp/bypass.pid")"
	[ "$RC" -ne 0 ] || fail "$OTHER may signal the supervisor"
	kill "$server" 2>/dev/null
	owner "$NETNS" del bp >/dev/null 2>&1
}

# A state root inside a directory another user can change: they could rename it away and put a
# root of theirs in its place, so it is refused, saying which directory. A sticky one (as /tmp)
# keeps ours ours.
test_a_state_root_inside_a_directory_another_user_can_change_is_refused() {
	id -u "$OTHER" >/dev/null 2>&1 || skip "no second user $OTHER (scripts/test-setup.sh makes it)"
	chmod 0755 "$TEST_WORK"
	mkdir -m 0777 "$TEST_WORK/theirs" "$TEST_WORK/open" "$TEST_WORK/sticky"
	chown "$OTHER" "$TEST_WORK/theirs"
	chmod 1777 "$TEST_WORK/sticky"
	mkdir -m 0700 "$TEST_WORK/mine"
	chown "$OWNER" "$TEST_WORK/mine"
	ln -s "$TEST_WORK/theirs" "$TEST_WORK/mine/link"
	for dir in theirs open mine/link; do
		refused 1 run_as "$OWNER" env ROOTLET_STATE_DIR="$TEST_WORK/$dir/rootlet" \
			"$NETNS" add x
		assert_match "$ERR" "inside $TEST_WORK/(theirs|open), which another user can change" \
			"the refusal of a root in $dir"
		[ ! -e "$TEST_WORK/$dir/rootlet" ] || fail "a root was made in $dir"
	done
	refused 1 run_as "$OWNER" env ROOTLET_STATE_DIR="$TEST_WORK/open/rootlet" "$NETWORK" ls
	assert_match "$ERR" "which another user can change" "rootlet-network's refusal"
	ok run_as "$OWNER" env ROOTLET_STATE_DIR="$TEST_WORK/sticky/rootlet" "$NETNS" add x
	ok run_as "$OWNER" env ROOTLET_STATE_DIR="$TEST_WORK/sticky/rootlet" "$NETNS" del x
}

# write_state_sender: $TEST_WORK/send.py SOCKET ID, which any user may run: it hands a host
# supervisor's SOCKET a state naming "seccompFd" (container ID), /dev/null in its place. Read,
# the daemon logs that it is no listener; refused unread, it logs nothing.
write_state_sender() {
	cat >"$TEST_WORK/send.py" <<-'PY'
		import json, os, socket, sys
		s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
		s.connect(sys.argv[1])
		state = {"ociVersion": "1.0.2", "fds": ["seccompFd"], "pid": os.getpid(),
		         "metadata": sys.argv[2], "state": {"id": sys.argv[2], "annotations": {}}}
		socket.send_fds(s, [json.dumps(state).encode()], [os.open("/dev/null", os.O_RDONLY)])
		s.recv(1)
	PY
	chmod 0644 "$TEST_WORK/send.py"
}

# rootlet-bypass --host (rootlet-runtime's host-side supervisor): its sockets are 0600 in the
# owner's 0700 state root; and, were they reachable, a peer of another user is refused by its
# credentials (SO_PEERCRED) before anything it sends is read.
test_another_user_cannot_hand_the_host_supervisor_a_listener() {
	setup_owner
	# Its own 0700 directory, in a work directory the other user can pass through.
	mkdir "$TEST_WORK/hs"
	chown "$OWNER:" "$TEST_WORK/hs"
	chmod 0700 "$TEST_WORK/hs"
	HSOCK=$TEST_WORK/hs/h.sock
	write_state_sender
	run_as "$OWNER" "$BUILD/rootlet-bypass" --host --socket "$HSOCK" --idle-exit 60 \
		</dev/null >/dev/null 2>"$TEST_WORK/host.log" &
	wait_until 10 "[ -S '$HSOCK' ] && [ -e '$HSOCK.pid' ]"
	trap 'kill $(cut -d" " -f1 "$HSOCK.pid" "$HSOCK.standby.pid" 2>/dev/null) 2>/dev/null; teardown_owner' EXIT
	run other $NET api "$HSOCK.api" '{"execute":"counters"}' --timeout 2
	[ "$RC" -ne 0 ] || fail "$OTHER talked to the host supervisor's API"
	run other python3 "$TEST_WORK/send.py" "$HSOCK" other-direct
	[ "$RC" -ne 0 ] || fail "$OTHER connected to the host supervisor's socket"
	# Past the file modes (root opens them): the credentials still refuse the other user.
	chmod 0711 "$TEST_WORK/hs"
	chmod 0666 "$HSOCK"
	run other python3 "$TEST_WORK/send.py" "$HSOCK" other-peer
	assert_match "$ERR" "Connection reset|Broken pipe|^$" "the other user's connection"
	ok owner python3 "$TEST_WORK/send.py" "$HSOCK" owner-peer
	wait_until 5 "grep -q owner-peer '$TEST_WORK/host.log'"
	assert_match "$(cat "$TEST_WORK/host.log")" "owner-peer\): not a seccomp listener fd" \
		"the owner's state read"
	if grep -q other-peer "$TEST_WORK/host.log"; then
		fail "$OTHER's state was read: $(cat "$TEST_WORK/host.log")"
	fi
}

# rootlet-bypass --host --engine-pid (rootless Docker's supervisor, in the host's netns): it
# joins the engine's user namespace, where the owner is root and every other user unmapped.
# Another user can neither serve that engine (its namespace is not theirs to join) nor hand the
# owner's supervisor a listener: the socket's modes keep them out, and past them the
# credentials, read in the joined namespace, refuse them before anything they send is read.
test_another_user_cannot_serve_or_reach_an_engines_host_supervisor() {
	id -u "$OTHER" >/dev/null 2>&1 || skip "no second user $OTHER (scripts/test-setup.sh makes it)"
	chmod 0755 "$TEST_WORK"
	mkdir "$TEST_WORK/hs" "$TEST_WORK/os"
	chown "$OWNER:" "$TEST_WORK/hs"
	chown "$OTHER:" "$TEST_WORK/os"
	chmod 0700 "$TEST_WORK/hs" "$TEST_WORK/os"
	HSOCK=$TEST_WORK/hs/h.sock
	write_state_sender
	# The owner's "engine": a process in a user namespace of the owner's, as rootlesskit's child.
	tag=$((RANDOM + 200000))
	run_as "$OWNER" unshare --user --map-root-user sleep "$tag" </dev/null >/dev/null 2>&1 &
	wait_until 10 "pgrep -u $OWNER -f -x 'sleep $tag'"
	engine=$(pgrep -u "$OWNER" -f -x "sleep $tag")
	trap 'kill $(cut -d" " -f1 "$HSOCK.pid" "$HSOCK.standby.pid" 2>/dev/null) $engine 2>/dev/null' EXIT
	run run_as "$OTHER" "$BUILD/rootlet-bypass" --host --engine-pid "$engine" \
		--socket "$TEST_WORK/os/h.sock"
	[ "$RC" -eq 1 ] || fail "$OTHER served the owner's engine (exit $RC): $ERR"
	assert_match "$ERR" "--engine-pid $engine" "the refusal names the engine"
	run_as "$OWNER" "$BUILD/rootlet-bypass" --host --engine-pid "$engine" --socket "$HSOCK" \
		</dev/null >/dev/null 2>"$TEST_WORK/host.log" &
	wait_until 10 "[ -S '$HSOCK' ] && [ -e '$HSOCK.pid' ]"
	hpid=$(cut -d' ' -f1 "$HSOCK.pid")
	assert_eq "$(stat -L -c %i "/proc/$hpid/ns/user")" "$(stat -L -c %i "/proc/$engine/ns/user")" \
		"the supervisor's user namespace"
	assert_eq "$(stat -L -c %i "/proc/$hpid/ns/net")" "$(stat -L -c %i /proc/self/ns/net)" \
		"the supervisor's netns (the host's)"
	run run_as "$OTHER" python3 "$TEST_WORK/send.py" "$HSOCK" other-direct
	[ "$RC" -ne 0 ] || fail "$OTHER connected to the supervisor's socket"
	chmod 0711 "$TEST_WORK/hs"
	chmod 0666 "$HSOCK"
	run run_as "$OTHER" python3 "$TEST_WORK/send.py" "$HSOCK" other-peer
	assert_match "$ERR" "Connection reset|Broken pipe|^$" "the other user's connection"
	ok run_as "$OWNER" python3 "$TEST_WORK/send.py" "$HSOCK" owner-peer
	wait_until 5 "grep -q owner-peer '$TEST_WORK/host.log'"
	assert_match "$(cat "$TEST_WORK/host.log")" "owner-peer\): not a seccomp listener fd" \
		"the owner's state read"
	if grep -q other-peer "$TEST_WORK/host.log"; then
		fail "$OTHER's state was read: $(cat "$TEST_WORK/host.log")"
	fi
	# The engine's end, nothing served: the supervisor ends, its names gone.
	kill "$engine"
	wait_until 15 "! kill -0 $hpid 2>/dev/null || grep -q zombie /proc/$hpid/status"
	[ ! -e "$HSOCK" ] && [ ! -e "$HSOCK.pid" ] || fail "left after the engine's end: $(ls "$TEST_WORK/hs")"
}
