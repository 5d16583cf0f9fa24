# Socket activation into a rootless netns (issue 15's first part): systemd's own
# systemd-socket-activate binds on the host, `rootlet-netns exec` and `rootlet run` hand the
# sockets to a server inside with their numbers, and LISTEN_PID names the server.

# activate NAME PORTS CMD...: systemd-socket-activate listening on 127.0.0.1:PORT for each of
# the space-separated PORTS, running CMD (with our state and PATH) on the first connection.
activate() {
	local name=$1 ports=$2 listen=()
	shift 2
	command -v systemd-socket-activate >/dev/null || skip "systemd-socket-activate (systemd) is not installed"
	for p in $ports; do
		listen+=(-l "127.0.0.1:$p")
	done
	bg "$name" systemd-socket-activate -E ROOTLET_STATE_DIR -E XDG_RUNTIME_DIR -E PATH \
		"${listen[@]}" "$@"
	for p in $ports; do
		wait_until 10 "ss -Hltn 'sport = :$p' | grep -q ."
	done
}

# ask PORT: one connection; what the activated server says.
ask() {
	python3 -c 'import socket, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
print(c.recv(500).decode().strip())' "$1"
}

netns_of() {
	"$NETNS" exec "$1" -- readlink /proc/self/ns/net
}

test_netns_exec_hands_an_activated_socket_to_the_server_inside() {
	ok "$NETNS" add sa
	port=$(free_port)
	activate act "$port" "$NETNS" exec sa -- $NET activated
	got=$(ask "$port")
	assert_eq "$got" "pid_ok=True fds=1 name= peer=127.0.0.1 netns=$(netns_of sa)"
	[ ! -e "$ROOTLET_STATE_DIR/sa/portfwd.pid" ] || fail "a rootlet-portfwd runs"
}

test_rootlet_run_hands_an_activated_socket_to_the_command() {
	port=$(free_port)
	activate act "$port" "$BUILD/rootlet" run --name ra -- $NET activated
	got=$(ask "$port")
	assert_match "$got" "^pid_ok=True fds=1 name= peer=127.0.0.1 netns=net:\[[0-9]+\]$"
	[ "${got##*netns=}" != "$(readlink /proc/self/ns/net)" ] || fail "the command ran in the host's netns"
}

# As README shows it, from an environment systemd-socket-activate clears: no XDG_RUNTIME_DIR,
# no ROOTLET_STATE_DIR. The state goes to the user's own /run/user/UID/rootlet.
test_rootlet_run_socket_activated_without_xdg_runtime_dir_uses_run_user() {
	command -v systemd-socket-activate >/dev/null || skip "systemd-socket-activate (systemd) is not installed"
	port=$(free_port)
	name=sa-env-$$
	default=/run/user/$(id -u)/rootlet
	bg act env -u XDG_RUNTIME_DIR -u ROOTLET_STATE_DIR systemd-socket-activate -E PATH \
		-l "127.0.0.1:$port" "$BUILD/rootlet" run --name "$name" -- \
		sh -c "echo \"xdg=\${XDG_RUNTIME_DIR-unset} entry=\$(ls -d $default/$name)\"; exec $NET activated"
	wait_until 10 "ss -Hltn 'sport = :$port' | grep -q ."
	got=$(ask "$port")
	assert_match "$got" "^pid_ok=True fds=1 name= peer=127.0.0.1 netns=net:\[[0-9]+\]$"
	[ "${got##*netns=}" != "$(readlink /proc/self/ns/net)" ] || fail "the command ran in the host's netns"
	assert_eq "$(grep '^xdg=' act.out)" "xdg=unset entry=$default/$name" "the command's environment"
	wait_until 10 "[ ! -e '$default/$name' ]"
}

test_two_activated_sockets_arrive_with_their_names() {
	ok "$NETNS" add sa
	p1=$(free_port)
	p2=$(free_port)
	activate act "$p1 $p2" --fdname=web:admin "$NETNS" exec sa -- $NET activated
	assert_match "$(ask "$p1")" "^pid_ok=True fds=2 name=web "
	assert_match "$(ask "$p2")" "^pid_ok=True fds=2 name=admin "
}

# A netns with an address to forward to and an echo server on PORT (TCP and UDP) inside.
echo_netns() {
	ok "$NETNS" add "$1"
	ok "$NETNS" exec "$1" -- sh -c 'ip link set lo up && ip addr add 10.77.4.1/32 dev lo'
	serve echo-tcp "$NETNS" exec "$1" -- $NET serve-echo tcp 0.0.0.0 "$2"
	serve echo-udp "$NETNS" exec "$1" -- $NET serve-echo udp 0.0.0.0 "$2"
}

# notify_listener: a NOTIFY_SOCKET the test reads, at $NOTIFY; what it got in notify.out.
notify_listener() {
	NOTIFY=$TEST_WORK/notify.sock
	serve notify $NET notify-listen "$NOTIFY"
}

test_portfwd_publish_fd_forwards_an_inherited_socket_of_either_protocol() {
	echo_netns sa 8080
	tport=$(free_port)
	uport=$(free_port)
	bg pf $NET listen-fd 127.0.0.1 "$tport" -- $NET listen-fd --udp 127.0.0.1 "$uport" -- \
		"$PORTFWD" --netns sa --publish-fd 3:8080
	# The inner listen-fd put its UDP socket at 3 over the TCP one; the TCP one comes next.
	wait_until 10 "[ \"\$($PORTFWD list sa --json 2>/dev/null | jq length)\" = 1 ]"
	ok "$PORTFWD" list sa --json
	assert_eq "$(echo "$OUT" | jq -c '.[0] | [.proto, .host_port, .port, .inherited]')" \
		"[\"udp\",$uport,8080,true]"
	ok $NET echo-client udp 127.0.0.1 "$uport" inherited-udp
	assert_eq "$OUT" inherited-udp
	kill "$BG_PID"
	bg pf2 $NET listen-fd --name web 127.0.0.1 "$tport" -- "$PORTFWD" --netns sa --publish-fd web:8080/tcp
	wait_until 10 "[ \"\$($PORTFWD list sa --json 2>/dev/null | jq -r '.[0].proto')\" = tcp ]"
	ok $NET echo-client tcp 127.0.0.1 "$tport" inherited-tcp
	assert_eq "$OUT" inherited-tcp
}

test_portfwd_activated_by_a_socket_unit_forwards_its_sockets_to_their_ports() {
	port=$(free_port)
	echo_netns sa "$port"
	activate pf "$port" "$PORTFWD" --netns sa
	# The first connection starts it; the socket keeps the client waiting until it accepts.
	ok $NET echo-client tcp 127.0.0.1 "$port" activated --timeout 10
	assert_eq "$OUT" activated
	ok "$PORTFWD" list sa --json
	assert_eq "$(echo "$OUT" | jq -c '[.[] | [.host_port, .port, .inherited]]')" "[[$port,$port,true]]"
}

test_publish_fd_refuses_what_it_cannot_forward() {
	ok "$NETNS" add sa --slirp
	refused 2 "$NETNS" add sb --publish-fd 9:80
	assert_match "$ERR" "^rootlet-netns: --publish-fd '9:80': neither an open fd nor a socket-activated fd's name"
	refused 1 "$PORTFWD" --netns sa --publish-fd 0:80 </dev/null
	assert_match "$ERR" "fd 0 is not a socket"
	refused 1 $NET listen-fd --udp 127.0.0.1 "$(free_port)" -- "$PORTFWD" --netns sa --publish-fd 3:80/tcp
	assert_match "$ERR" "^rootlet-portfwd: --publish-fd '3:80/tcp': fd 3 is a udp socket$"
	refused 1 $NET listen-fd 127.0.0.1 "$(free_port)" -- "$PORTFWD" --netns sa --publish-fd 3:0
	assert_match "$ERR" "PORT is not 1 to 65535"
	refused 1 "$PORTFWD" --netns sa --publish-fd nosuch:80
	assert_match "$ERR" "no socket-activated fd has that name"
	[ ! -e "$ROOTLET_STATE_DIR/sb" ] || fail "a refused add left sb"
}

# rootlet-portfwd gets the socket under another number (5 on): a refusal names the fd as the
# user gave it, and comes before anything is made.
test_netns_add_and_run_refuse_a_publish_fd_naming_the_users_own_fd() {
	refused 2 $NET listen-fd --udp 127.0.0.1 "$(free_port)" -- "$NETNS" add sb --slirp --publish-fd 3:80/tcp
	assert_eq "$ERR" "rootlet-netns: --publish-fd '3:80/tcp': fd 3 is a udp socket; see 'rootlet-netns --help'"
	refused 2 $NET listen-fd --name web --udp 127.0.0.1 "$(free_port)" -- "$NETNS" add sb --slirp --publish-fd web:80/tcp
	assert_eq "$ERR" "rootlet-netns: --publish-fd 'web:80/tcp': fd 3 is a udp socket; see 'rootlet-netns --help'"
	refused 2 "$NETNS" add sb --slirp --publish-fd 0:80 </dev/null
	assert_eq "$ERR" "rootlet-netns: --publish-fd '0:80': fd 0 is not a socket; see 'rootlet-netns --help'"
	refused 2 $NET listen-fd 127.0.0.1 "$(free_port)" -- "$NETNS" add sb --slirp --publish-fd 3:0
	assert_eq "$ERR" "rootlet-netns: --publish-fd '3:0': PORT is not 1 to 65535; see 'rootlet-netns --help'"
	refused 125 $NET listen-fd --udp 127.0.0.1 "$(free_port)" -- "$BUILD/rootlet" run --publish-fd 3:80/tcp -- true
	assert_eq "$ERR" "rootlet-netns: --publish-fd '3:80/tcp': fd 3 is a udp socket; see 'rootlet-netns --help'"
	[ -z "$(ls -A "$ROOTLET_STATE_DIR" 2>/dev/null)" ] || fail "a refused add left $(ls -A "$ROOTLET_STATE_DIR")"
}

test_netns_add_publish_fd_hands_the_socket_to_its_portfwd() {
	tport=$(free_port)
	ok $NET listen-fd 127.0.0.1 "$tport" -- "$NETNS" add sa --slirp --publish-fd 3:8080
	serve echo "$NETNS" exec sa -- $NET serve-echo tcp 0.0.0.0 8080
	ok $NET echo-client tcp 127.0.0.1 "$tport" through-add
	assert_eq "$OUT" through-add
	ok "$NETNS" show sa --json
	assert_eq "$(echo "$OUT" | jq -c '.publish | map([.host_port, .port, .inherited])')" "[[$tport,8080,true]]"
}

test_slirp_and_portfwd_say_ready_and_stopping_to_notify_socket() {
	notify_listener
	ok "$NETNS" add sa
	bg slirp env NOTIFY_SOCKET="$NOTIFY" "$SLIRP" --netns sa --configure
	spid=$BG_PID
	wait_until 10 "grep -q 'READY=1' notify.out"
	assert_eq "$(grep READY=1 notify.out)" "from=$spid READY=1 MAINPID=$spid"
	bg pf env NOTIFY_SOCKET="$NOTIFY" "$PORTFWD" --netns sa --publish "127.0.0.1:0:80"
	ppid=$BG_PID
	wait_until 10 "[ \$(grep -c 'READY=1' notify.out) = 2 ]"
	assert_eq "$(grep READY=1 notify.out | tail -1)" "from=$ppid READY=1 MAINPID=$ppid"
	kill -TERM "$spid" "$ppid"
	wait_until 10 "[ \$(grep -c 'STOPPING=1' notify.out) = 2 ]"
	assert_match "$(cat notify.out)" "from=$spid STOPPING=1"
	# Started by rootlet-netns add, a helper leaves the caller's NOTIFY_SOCKET alone.
	ok env NOTIFY_SOCKET="$NOTIFY" "$NETNS" add sb --slirp --publish 127.0.0.1:0:80
	sleep 0.2
	assert_eq "$(grep -c READY=1 notify.out)" 2 "notifications after add --slirp --publish"
}

test_rootlet_run_relays_notifications_with_host_pids() {
	notify_listener
	bg run env NOTIFY_SOCKET="$NOTIFY" "$BUILD/rootlet" run --name nr -- \
		sh -c "$NET notify 'READY=1\nSTATUS=serving' && sleep 30"
	run_pid=$BG_PID
	wait_until 10 "grep -q READY=1 notify.out"
	# From the companion, for CMD: the process that became CMD is rootlet run's own.
	assert_match "$(grep READY=1 notify.out)" "^from=[0-9]+ READY=1 STATUS=serving MAINPID=$run_pid$"
	sender=$(grep READY=1 notify.out | sed 's/^from=\([0-9]*\).*/\1/')
	assert_match "$(tr '\0' ' ' <"/proc/$sender/cmdline")" "^rootlet teardown $run_pid "
	relay=$ROOTLET_STATE_DIR/nr/notify.sock
	[ -S "$relay" ] || fail "no relay socket in the entry"
	assert_eq "$(stat -c %a "$relay")" 600 "mode of the relay socket"
	kill -TERM "$run_pid"
	wait_until 10 "[ ! -e '$ROOTLET_STATE_DIR/nr' ]"
}

test_rootlet_run_relay_turns_a_pid_namespace_s_mainpid_into_the_hosts() {
	notify_listener
	bg cmd env NOTIFY_SOCKET="$NOTIFY" "$BUILD/rootlet" run --name np -- \
		unshare --pid --fork $NET notify 'READY=1' --mainpid --linger 30
	wait_until 10 "grep -q READY=1 notify.out"
	inner=$(head -1 cmd.out)
	[ "$inner" -le 2 ] || fail "the command was not its pid namespace's first: pid $inner"
	host=$(grep READY=1 notify.out | sed 's/.*MAINPID=\([0-9]*\).*/\1/')
	[ "$host" != "$inner" ] || fail "MAINPID=$inner passed untranslated"
	assert_match "$(tr '\0' ' ' <"/proc/$host/cmdline")" "net.py notify READY=1" "MAINPID's command"
	assert_eq "$(awk '/^NSpid:/ { print $NF }' "/proc/$host/status")" "$inner" "its pid inside"
}

test_rootlet_run_notify_network_says_ready_itself_and_hides_the_socket() {
	notify_listener
	bg cmd env NOTIFY_SOCKET="$NOTIFY" "$BUILD/rootlet" run --notify=network -- \
		sh -c 'echo "inside=${NOTIFY_SOCKET-unset}"; sleep 30'
	wait_until 10 "grep -q READY=1 notify.out && grep -q inside= cmd.out"
	assert_eq "$(grep READY=1 notify.out)" "from=$BG_PID READY=1 MAINPID=$BG_PID"
	assert_eq "$(cat cmd.out)" "inside=unset"
	ok env NOTIFY_SOCKET="$NOTIFY" "$BUILD/rootlet" run --notify=none -- sh -c 'echo "${NOTIFY_SOCKET-unset}"'
	assert_eq "$OUT" unset
	ok "$BUILD/rootlet" run -- sh -c 'echo "${NOTIFY_SOCKET-unset}"'
	assert_eq "$OUT" unset "with no NOTIFY_SOCKET of its own"
	refused 2 "$BUILD/rootlet" run --notify=sometimes -- true
	assert_eq "$ERR" "rootlet: run: --notify 'sometimes': relay, network or none; see 'rootlet help'"
}

test_rootlet_run_publish_fd_takes_a_named_socket_through_its_forks() {
	port=$(free_port)
	bg run $NET listen-fd --name web 127.0.0.1 "$port" -- \
		"$BUILD/rootlet" run --publish-fd web:8080 -- \
		sh -c "echo \"fds=\${LISTEN_FDS-unset}\"; exec $NET serve-echo tcp 0.0.0.0 8080"
	wait_until 15 "$NET echo-client tcp 127.0.0.1 $port named-socket | grep -qx named-socket"
	assert_eq "$(head -1 run.out)" "fds=unset" "what CMD is handed"
}

# install_units: make install into the test's own PREFIX; the units' directory in UNITS.
install_units() {
	command -v systemd-analyze >/dev/null || skip "systemd-analyze (systemd) is not installed"
	ok make -s -C "$TOP" install PREFIX="$TEST_WORK/usr"
	UNITS=$TEST_WORK/usr/lib/systemd
	export MANPATH=$TEST_WORK/usr/share/man
}

# unit_exec UNIT KEY INSTANCE: the command lines of KEY= in UNIT, %i made INSTANCE ("-" dropped).
unit_exec() {
	sed -n "s/^$2=-\{0,1\}//p" "$1" | sed "s/%i/$3/g"
}

# unit_start UNIT INSTANCE: what the user's manager runs to start UNIT, in its order, with the
# NOTIFY_SOCKET it would give; the main process in BG_PID once it said READY=1.
unit_start() {
	local cmd ready
	# A command whose line starts with "-" may fail, as systemd takes it.
	while read -r cmd; do
		${cmd#-} >/dev/null 2>&1 || [ "${cmd:0:1}" = - ] || fail "ExecStartPre $cmd failed"
	done < <(sed -n "s/^ExecStartPre=//p" "$1" | sed "s/%i/$2/g")
	ready=$(grep -c READY=1 notify.out)
	bg main env NOTIFY_SOCKET="$NOTIFY" $(unit_exec "$1" ExecStart "$2")
	wait_until 10 "[ \$(grep -c READY=1 notify.out) -gt $ready ]"
	assert_eq "$(grep READY=1 notify.out | tail -1)" "from=$BG_PID READY=1 MAINPID=$BG_PID"
}

test_contrib_user_unit_verifies_and_keeps_a_netns_with_notify() {
	install_units
	unit=$UNITS/user/rootlet-netns@.service
	ok systemd-analyze --user verify "$UNITS/user/rootlet-netns@web.service"
	assert_eq "$OUT" "" "systemd-analyze's complaints"
	notify_listener
	unit_start "$unit" web
	ok "$NETNS" exec web -- ip -o -4 addr show tap0
	assert_match "$OUT" "10\.0\.2\.100/24"
}

# A restart, after a failure or asked for (a stop, then a start), keeps the netns and every
# process in it: only rootlet-slirp starts again, in the same netns. A stale netns is made anew.
test_contrib_user_unit_restart_keeps_the_netns_and_what_joined_it() {
	install_units
	unit=$UNITS/user/rootlet-netns@.service
	assert_eq "$(sed -n 's/^KillMode=//p' "$unit")" process \
		"KillMode: a stop must not kill the holder ExecStartPre started"
	notify_listener
	unit_start "$unit" web
	slirp=$BG_PID
	holder=$(holder_pid web)
	netns=$(netns_of web)
	bg joined "$NETNS" exec web -- sleep 100
	joined=$BG_PID
	wait_until 5 "grep -qx sleep /proc/$joined/comm"
	for how in KILL TERM; do
		# Restart=on-failure after a SIGKILL; `systemctl restart` stops with SIGTERM.
		kill -"$how" "$slirp"
		wait_until 10 "[ ! -e /proc/$slirp ] || grep -q '^State:.*Z' /proc/$slirp/status"
		while read -r cmd; do
			ok $cmd
		done < <(unit_exec "$unit" ExecStopPost web)
		unit_start "$unit" web
		slirp=$BG_PID
		assert_eq "$(holder_pid web)" "$holder" "the holder after a restart ($how)"
		assert_eq "$(netns_of web)" "$netns" "the netns after a restart ($how)"
		assert_eq "$(readlink "/proc/$joined/ns/net")" "$netns" "the joined process's netns"
		ok "$NETNS" exec web -- ip -o -4 addr show tap0
		assert_match "$OUT" "10\.0\.2\.100/24" "slirp's tap after a restart ($how)"
	done
	kill "$slirp" "$joined"
	# Its holder gone, the netns is stale: the next start makes it anew.
	kill -9 "$holder"
	wait_until 10 '[ "$(netns_state web)" = stale ]'
	unit_start "$unit" web
	[ "$(holder_pid web)" != "$holder" ] || fail "a stale netns was kept"
	assert_eq "$(netns_state web)" live
}

test_netns_add_exist_ok_keeps_a_live_netns_and_refuses_helpers() {
	ok "$NETNS" add web --exist-ok
	holder=$(holder_pid web)
	ok "$NETNS" add web --exist-ok
	assert_eq "$(holder_pid web)" "$holder" "the holder of a kept netns"
	refused 1 "$NETNS" add web
	refused 2 "$NETNS" add web --exist-ok --slirp
	assert_match "$ERR" "--exist-ok goes with a netns without helpers"
	refused 2 "$NETNS" del web --exist-ok
}

test_contrib_system_socket_and_service_verify() {
	install_units
	ok systemd-analyze verify "$UNITS/system/rootlet-publish@$(id -u).socket" \
		"$UNITS/system/rootlet-publish@$(id -u).service"
	assert_eq "$OUT" "" "systemd-analyze's complaints"
	# Both come after the user's runtime directory (their state) and need it.
	for u in socket service; do
		f=$UNITS/system/rootlet-publish@.$u
		assert_match "$(grep '^After=' "$f")" "user-runtime-dir@%i\.service" "$u's After="
		assert_match "$(grep '^Requires=' "$f")" "user-runtime-dir@%i\.service" "$u's Requires="
	done
	assert_eq "$(unit_exec "$UNITS/system/rootlet-publish@.service" ExecStart 1000)" \
		"$TEST_WORK/usr/bin/rootlet-portfwd --netns web --publish-fd web:8080"
	sed 's/^ExecStart=.*/ExecStart=\/nonexistent/' "$UNITS/system/rootlet-publish@.service" \
		>"$UNITS/system/broken@.service"
	run systemd-analyze verify "$UNITS/system/broken@1.service"
	[ "$RC" -ne 0 ] || fail "systemd-analyze verify passed a unit that cannot run"
}

# contrib's unit beside rootless Docker's docker.service: it verifies (with the docker.service
# dockerd-rootless-setuptool.sh would have written), and what it runs, given dockerd's pid
# file, is a supervisor in this netns serving that engine's user namespace: READY=1 from the
# main process, its socket named for the engine's namespace; it ends with the engine.
test_contrib_docker_unit_verifies_and_serves_the_engine_in_its_pid_file() {
	install_units
	unit=$UNITS/user/rootlet-bypass-docker.service
	printf '[Service]\nExecStart=/bin/true\n' >"$UNITS/user/docker.service"
	ok systemd-analyze --user verify "$unit"
	assert_eq "$OUT" "" "systemd-analyze's complaints"
	# The engine: a process in a user namespace of ours, as dockerd in rootlesskit's.
	tag=$((RANDOM + 300000))
	bg engine unshare --user --map-root-user sleep "$tag"
	wait_until 10 "pgrep -u $(id -u) -f -x 'sleep $tag'"
	engine=$(pgrep -u "$(id -u)" -f -x "sleep $tag")
	mkdir -m 0700 xrd
	echo "$engine" >xrd/docker.pid
	notify_listener
	cmd=$(sed -n 's/^ExecStart=//p' "$unit" | sed 's/\$\$/$/g')
	bg main env NOTIFY_SOCKET="$NOTIFY" XDG_RUNTIME_DIR="$TEST_WORK/xrd" bash -c "exec $cmd"
	wait_until 10 "grep -q READY=1 notify.out"
	assert_eq "$(grep READY=1 notify.out | tail -1)" "from=$BG_PID READY=1 MAINPID=$BG_PID"
	sock=$ROOTLET_STATE_DIR/bypass@host-$(stat -L -c %i "/proc/$engine/ns/user").sock
	[ -S "$sock" ] || fail "no $sock: $(ls "$ROOTLET_STATE_DIR")"
	kill "$engine"
	wait_until 10 "! kill -0 $BG_PID 2>/dev/null || grep -q zombie /proc/$BG_PID/status"
	[ ! -e "$sock" ] || fail "$sock left after the engine's end"
}
