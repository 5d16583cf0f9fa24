# rootlet-portfwd as the unprivileged test user: TCP forwards relayed with splice.

# A netns with an address to forward to, a sha server on 80, a source on 82, echo on 81.
pf_netns() {
	ok "$NETNS" add web
	ok "$NETNS" exec web -- sh -c 'ip link set lo up && ip addr add 10.77.4.1/32 dev lo'
	serve sha "$NETNS" exec web -- $NET serve-sha 0.0.0.0 80
	serve echo "$NETNS" exec web -- $NET serve-echo tcp 0.0.0.0 81
}

# pf_daemon ARGS...: the daemon for netns web, running once it is ready.
pf_daemon() {
	coproc PF { exec "$PORTFWD" --netns web --ready-fd 1 "$@" 2>"$TEST_WORK/pf.err"; }
	PF_PID=$PF_PID
	read -r -n 1 -t 10 line <&"${PF[0]}" || fail "rootlet-portfwd not ready: $(cat "$TEST_WORK/pf.err")"
	assert_eq "$line" 1 "ready"
	echo "$PF_PID" >>"$TEST_WORK/bg.pids"
}

host_port_of() {
	"$PORTFWD" list web --json | jq -r --argjson id "$1" '.[] | select(.id == $id) | .host_ports[0]'
}

test_256_mib_each_way_arrive_intact() {
	pf_netns
	serve src "$NETNS" exec web -- $NET serve-source 0.0.0.0 82 256
	pf_daemon --publish 127.0.0.1:0:80 --publish 127.0.0.1:0:82
	ok $NET send-sha 127.0.0.1 "$(host_port_of 1)" 256 --timeout 120
	assert_eq "$OUT" "$(echo "$OUT" | grep -E '^[0-9a-f]{64} 268435456$')" "host to netns"
	ok $NET recv-sha 127.0.0.1 "$(host_port_of 2)" 256 --timeout 120
	assert_match "$OUT" " 268435456$" "netns to host"
}

test_half_closed_client_still_gets_the_whole_reply() {
	pf_netns
	pf_daemon --publish 127.0.0.1:0:80
	# send-sha shuts its write side after sending and only then reads the server's answer.
	ok $NET send-sha 127.0.0.1 "$(host_port_of 1)" 1
	assert_match "$OUT" "^[0-9a-f]{64} 1048576$"
}

test_200_concurrent_connections_all_complete() {
	pf_netns
	pf_daemon --publish 127.0.0.1:0:81
	ok $NET many-echo 127.0.0.1 "$(host_port_of 1)" 200
	assert_eq "$OUT" "200 of 200 echoed intact"
}

test_ranges_ephemeral_ports_and_ipv6() {
	pf_netns
	pf_daemon
	ok "$PORTFWD" add web 127.0.0.1::81
	assert_match "$OUT" "^1 127\.0\.0\.1::81/tcp"$'\n'"  host port [1-9][0-9]*$" "add output"
	eport=$(echo "$OUT" | awk '/host port/ {print $3}')
	base=$(free_ports 2)
	ok "$PORTFWD" add web "127.0.0.1:$base-$((base + 1)):80-81" "[::1]:0:81"
	ok $NET echo-client tcp 127.0.0.1 "$eport" ephemeral
	ok $NET echo-client tcp 127.0.0.1 "$((base + 1))" second-of-range
	ok $NET send-sha 127.0.0.1 "$base" 1
	ok $NET echo-client tcp ::1 "$(host_port_of 3)" over-ipv6
	assert_eq "$OUT" over-ipv6
	ok "$PORTFWD" list web
	assert_match "$OUT" "^ID +PROTO +SPEC +HOST PORTS" "list header"
	assert_eq "$(echo "$OUT" | wc -l)" 4 "list lines"
}

test_remove_frees_the_port_and_open_connections_go_on() {
	pf_netns
	pf_daemon
	ok "$PORTFWD" add web 127.0.0.1::81
	port=$(host_port_of 1)
	exec {c}<>/dev/tcp/127.0.0.1/"$port"
	echo before >&$c
	read -r -t 5 line <&$c
	assert_eq "$line" before
	ok "$PORTFWD" remove web 1
	run $NET echo-client tcp 127.0.0.1 "$port" refused --timeout 2
	[ "$RC" -ne 0 ] || fail "the removed forward still accepts"
	serve hold $NET hold-port 127.0.0.1 "$port"
	echo after >&$c
	read -r -t 5 line <&$c
	assert_eq "$line" after "the connection opened before the removal"
	exec {c}>&-
	refused 1 "$PORTFWD" remove web 1
	assert_match "$ERR" "no forward 1"
}

test_busy_and_privileged_ports_fail_cleanly_and_whole() {
	pf_netns
	pf_daemon
	base=$(free_ports 2)
	serve hold $NET hold-port 127.0.0.1 "$((base + 1))"
	refused 1 "$PORTFWD" add web "127.0.0.1:$base-$((base + 1)):80-81"
	assert_match "$ERR" "port $((base + 1)): Address already in use"
	# No half of the range stays bound.
	serve free $NET hold-port 127.0.0.1 "$base"
	refused 1 "$PORTFWD" add web 127.0.0.1:80:80
	assert_match "$ERR" "port 80: permission denied: below net.ipv4.ip_unprivileged_port_start \(1024\)"
	ok "$PORTFWD" list web --json
	assert_eq "$(echo "$OUT" | jq length)" 0 "forwards after the failures"
}

test_malformed_specs_are_refused_and_nothing_is_added() {
	pf_netns
	pf_daemon
	for spec in abc 70000:80 80-90:80-85 '[::1:80' 1.2.3:80:80 /tcp 80/icmp; do
		refused 1 "$PORTFWD" add web "$spec"
	done
	ok "$PORTFWD" list web --json
	assert_eq "$(echo "$OUT" | jq length)" 0
	refused 1 "$PORTFWD" --netns web --publish 80-90:80-85
	assert_match "$ERR" "ranges differ"
	refused 2 "$PORTFWD" frob web
	refused 2 "$PORTFWD" add web
	refused 2 "$PORTFWD"
}

test_malformed_api_requests_get_errors_and_the_daemon_serves_on() {
	pf_netns
	pf_daemon --publish 127.0.0.1:0:81
	sock=$ROOTLET_STATE_DIR/web/portfwd.sock
	for req in 'garbage' '[]' '{"x":1}' '{"execute":"frob"}' '{"execute":"add"}' \
		'{"execute":"add","arguments":{"spec":7}}' '{"execute":"remove","arguments":{"id":"x"}}' \
		'{"execute":"remove","arguments":{"id":42}}'; do
		ok $NET api "$sock" "$req"
		assert_match "$OUT" '^\{"error":\{"desc":"bad request: .+"\}\}$' "reply to $req"
	done
	ok $NET echo-client tcp 127.0.0.1 "$(host_port_of 1)" still-serving
}

test_file_descriptors_return_after_10000_short_connections() {
	pf_netns
	pf_daemon --publish 127.0.0.1:0:81
	port=$(host_port_of 1)
	ok $NET short-connections 127.0.0.1 "$port" 10
	before=$(fd_count $PF_PID)
	ok $NET short-connections 127.0.0.1 "$port" 10000 --timeout 10
	wait_until 5 '[ "$(fd_count $PF_PID)" -eq "$before" ]'
	# --busy-poll (50 us by default) ends with the traffic: idle, the daemon sleeps.
	ticks=$(cpu_ticks "$PF_PID")
	sleep 1
	[ $(($(cpu_ticks "$PF_PID") - ticks)) -le 1 ] || fail "CPU used while idle: $(($(cpu_ticks "$PF_PID") - ticks)) ticks in 1 s"
}

test_killed_daemon_frees_its_ports_and_del_still_works() {
	pf_netns
	pf_daemon --publish 127.0.0.1:0:81
	port=$(host_port_of 1)
	kill -9 "$PF_PID"
	wait_until 5 "! kill -0 $PF_PID 2>/dev/null"
	serve hold $NET hold-port 127.0.0.1 "$port"
	ok "$NETNS" del web
}

test_daemon_exits_cleanly_when_the_netns_goes() {
	pf_netns
	"$PORTFWD" --netns web --publish 127.0.0.1:0:81 2>"$TEST_WORK/pf.err" &
	pid=$!
	wait_until 5 "[ -S '$ROOTLET_STATE_DIR/web/portfwd.sock' ]"
	kill -TERM "$(holder_pid web)"
	wait "$pid"
	assert_eq "$?" 0 "exit status after the holder went"
}

# --wait-fd (rootlet-netns add starts it so, early): nothing is bound until the go byte; end of
# file first is an exit with its reason, and nothing bound.
test_wait_fd_holds_the_daemon_until_go_and_end_of_file_ends_it() {
	local port port2 pid
	pf_netns
	port=$(free_port)
	port2=$(free_port)
	mkfifo go stop
	"$PORTFWD" --netns web --publish "127.0.0.1:$port:81" --wait-fd 5 --ready-fd 1 5<go \
		>ready 2>pf.err &
	pid=$!
	echo "$pid" >>"$TEST_WORK/bg.pids"
	exec 8>go
	sleep 0.3
	[ -z "$(ss -Htln "sport = :$port")" ] || fail "bound before the go"
	[ ! -s ready ] || fail "ready before the go"
	printf g >&8
	exec 8>&-
	wait_until 5 "[ -s ready ]"
	ok $NET echo-client tcp 127.0.0.1 "$port" after-go
	assert_eq "$OUT" after-go
	"$PORTFWD" --netns web --publish "127.0.0.1:$port2:81" --wait-fd 5 5<stop 2>pf2.err &
	pid=$!
	exec 8>stop
	exec 8>&-
	wait "$pid"
	assert_eq "$?" 1 "exit status at end of file"
	assert_match "$(cat pf2.err)" "--wait-fd: closed before go; giving up$"
	[ -z "$(ss -Htln "sport = :$port2")" ] || fail "bound without a go"
}

test_connections_go_to_the_netns_address_never_from_loopback() {
	pf_netns
	serve peer "$NETNS" exec web -- python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 83)); s.listen(1)
open(sys.argv[1] + ".tmp", "w").close(); import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    c, a = s.accept(); c.sendall(a[0].encode()); c.close()' "$TEST_WORK/peer.ready"
	pf_daemon --publish 127.0.0.1:0:83
	ok python3 -c "import socket; c = socket.create_connection(('127.0.0.1', $(host_port_of 1))); print(c.recv(64).decode())"
	assert_eq "$OUT" 10.77.4.1 "source address the service sees"
}

test_help_version_and_man_page() {
	ok "$PORTFWD" --version
	assert_match "$OUT" "^rootlet-portfwd [0-9.]+$"
	check_man_page rootlet-portfwd add list remove
	refused 2 "$PORTFWD" --netns web --busy-poll 10001
	assert_match "$ERR" "--busy-poll '10001': not 0 to 10000"
	refused 2 "$PORTFWD" --netns web --busy-poll -1
}

test_netns_add_publish_starts_the_daemon_show_lists_del_stops() {
	ok "$NETNS" add web --slirp --publish 127.0.0.1::81
	serve echo "$NETNS" exec web -- $NET serve-echo tcp 0.0.0.0 81
	ok "$NETNS" show web --json
	port=$(echo "$OUT" | jq -r '.publish[0].host_port')
	assert_eq "$(echo "$OUT" | jq -r '.publish[0].spec')" 127.0.0.1::81/tcp "published spec"
	assert_eq "$(echo "$OUT" | jq -r '[.helpers[].name] | sort | join(",")')" portfwd,slirp
	ok $NET echo-client tcp 127.0.0.1 "$port" published
	pid=$(cut -d' ' -f1 "$ROOTLET_STATE_DIR/web/portfwd.pid")
	ok "$NETNS" del web
	[ ! -e /proc/$pid ] || grep -q '^State:.*Z' /proc/$pid/status || fail "rootlet-portfwd still runs"
	serve hold $NET hold-port 127.0.0.1 "$port"
}

test_netns_add_source_ip_goes_to_the_daemon_and_needs_publish() {
	refused 2 "$NETNS" add web --slirp --source-ip
	assert_match "$ERR" "--source-ip needs --publish"
	[ ! -e "$ROOTLET_STATE_DIR/web" ] || fail "entry left behind"
	ok "$NETNS" add web --slirp --publish 127.0.0.1::81 --source-ip
	serve echo "$NETNS" exec web -- $NET serve-echo tcp 0.0.0.0 81
	pid=$(cut -d' ' -f1 "$ROOTLET_STATE_DIR/web/portfwd.pid")
	assert_match "$(tr '\0' ' ' </proc/$pid/cmdline)" " --source-ip " "rootlet-portfwd's arguments"
	ok "$NETNS" show web --json
	ok $NET echo-client tcp 127.0.0.1 "$(echo "$OUT" | jq -r '.publish[0].host_port')" through
	assert_eq "$OUT" through "echo through a --source-ip forward"
}

test_netns_add_publish_without_an_address_fails_and_leaves_nothing() {
	refused 1 "$NETNS" add web --publish 127.0.0.1::81
	assert_match "$ERR" "no address but loopback"
	[ ! -e "$ROOTLET_STATE_DIR/web" ] || fail "entry left behind"
	refused 1 "$NETNS" add web --slirp --publish 127.0.0.1:80:80
	assert_match "$ERR" "port 80: permission denied"
	[ ! -e "$ROOTLET_STATE_DIR/web" ] || fail "entry left behind"
	refused 2 "$NETNS" list --publish 80
}

test_udp_echo_v4_and_v6_and_1000_datagrams_intact() {
	pf_netns
	ok "$NETNS" exec web -- ip addr add fd00:77::1/128 dev lo
	serve udp "$NETNS" exec web -- $NET serve-echo udp :: 5353
	pf_daemon --publish 127.0.0.1:0:5353/udp --publish '[::1]:0:5353/udp'
	ok $NET echo-client udp 127.0.0.1 "$(host_port_of 1)" dgram4
	assert_eq "$OUT" dgram4 "UDP over IPv4"
	ok $NET echo-client udp ::1 "$(host_port_of 2)" dgram6
	assert_eq "$OUT" dgram6 "UDP over IPv6"
	ok $NET udp-many 127.0.0.1 "$(host_port_of 1)" 1000
	assert_eq "$OUT" "1000 datagrams echoed intact"
}

# Each client address is a flow with a socket inside; past 4096 the least recently used makes
# room, so a flood of source ports costs a bounded number of fds and new clients still work.
test_udp_5000_clients_each_a_flow_and_the_flow_table_stays_bounded() {
	pf_netns
	serve udp "$NETNS" exec web -- $NET serve-echo udp 0.0.0.0 5353
	pf_daemon --publish 127.0.0.1:0:5353/udp
	before=$(fd_count $PF_PID)
	ok $NET udp-clients 127.0.0.1 "$(host_port_of 1)" 5000 --timeout 5
	assert_eq "$OUT" "5000 clients echoed"
	fds=$(fd_count $PF_PID)
	[ "$fds" -gt $((before + 4000)) ] || fail "only $((fds - before)) flows kept: the table should hold 4096"
	[ "$fds" -le $((before + 4096 + 8)) ] || fail "$((fds - before)) fds for flows: more than 4096"
}

# udp_left_client HOSTIP ADDR [connect]: a client on ADDR (connected to the forward if asked)
# sends once to a UDP forward published on
# HOSTIP (empty: every address, both families) and closes its socket; a service that answers whatever it hears binds the client's
# address and port; the container sends to its old client. Fails if the service heard it.
udp_left_client() {
	local port cport
	pf_netns
	ok "$NETNS" exec web -- ip addr add fd00:77::1/128 dev lo
	cport=$(python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0))
print(s.getsockname()[1])' "$2")
	bg guest "$NETNS" exec web -- $NET udp-echo-leak :: 7000 --ready "$TEST_WORK/guest.ready" --go "$TEST_WORK/go"
	wait_until 10 "[ -e '$TEST_WORK/guest.ready' ]"
	pf_daemon --publish "${1:+$1:}0:7000/udp" --debug
	port=$(host_port_of 1)
	ok $NET udp-from "$2" "$port" hi --bind-port "$cport" ${3:+--connect}
	assert_eq "$OUT" hi-back "the client's reply"
	# The client is gone; a service that answers whatever it hears takes its port.
	bg victim $NET udp-answer-all "$2" "$cport" --ready "$TEST_WORK/victim.ready"
	wait_until 5 "[ -e '$TEST_WORK/victim.ready' ]"
	touch "$TEST_WORK/go"
	wait_until 5 "grep -q . '$TEST_WORK/guest.out'"
	[ ! -s "$TEST_WORK/victim.out" ] || fail "the port's new owner heard the container: $(cat "$TEST_WORK/victim.out")"
	assert_eq "$(cat "$TEST_WORK/guest.out")" silent "the container's datagram to the client's old port"
	assert_eq "$(grep -c 'no longer its client' "$TEST_WORK/pf.err")" 1 "debug lines for the closed flow"
}

# A UDP client closes its socket; whoever binds its address and port next (another user's
# loopback-only service) must not get the container's datagrams from the published port (the
# flow knew its client by address alone, so the container could reach that service): a reply
# goes only to the very socket that sent to the forward, and the flow ends when it is gone.
test_udp_replies_never_reach_a_later_owner_of_a_clients_port() {
	udp_left_client 127.0.0.1 127.0.0.1
}

test_udp_replies_never_reach_a_later_owner_of_a_clients_port_over_ipv6() {
	udp_left_client '[::1]' ::1
}

# On a dual-stack listener of every address, the IPv4 client is an IPv4-mapped address and the reply's
# source is routing's pick: the same lookup, made as IPv4.
test_udp_replies_never_reach_a_later_owner_of_a_clients_port_on_a_dual_stack_wildcard() {
	udp_left_client "" 127.0.0.1
}

# A connected client (a resolver's, say) is found by the lookup only from the reply's own
# source address, which on a listener of every address is routing's pick.
test_udp_replies_never_reach_a_later_owner_of_a_connected_clients_port() {
	udp_left_client "" 127.0.0.1 connect
}

# Ephemeral ports come round again: a new socket given the port of a client that left, while
# that client's flow is still kept, gets its own replies (a flow of its own).
test_udp_a_new_socket_on_a_port_a_client_left_gets_its_own_replies() {
	local cport
	pf_netns
	serve udp "$NETNS" exec web -- $NET serve-echo udp 0.0.0.0 5353
	pf_daemon --publish 127.0.0.1:0:5353/udp --debug
	cport=$(free_port)
	for who in first second; do
		ok python3 -c 'import socket, sys
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
c.bind(("127.0.0.1", int(sys.argv[2])))
c.settimeout(5)
c.sendto(sys.argv[3].encode(), ("127.0.0.1", int(sys.argv[1])))
print(c.recv(512).decode())' "$(host_port_of 1)" "$cport" "$who"
		assert_eq "$OUT" "$who" "the $who socket on port $cport"
	done
	assert_eq "$(grep -c 'a new socket has its port' "$TEST_WORK/pf.err")" 1 "debug lines"
}

# A UDP flow is kept alive by its client's datagrams alone. The container's own datagrams (a
# keepalive every half second here) refreshed it too, so it never expired and the container
# could wait as long as it liked for the client's port to change hands. The client here keeps
# its socket and sends once: after the idle limit (60 s) nothing more reaches it.
test_udp_flow_expires_when_only_the_container_sends() {
	local port
	pf_netns
	cat >"$TEST_WORK/keepalive.py" <<-'PY'
		import socket, sys, time
		s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
		s.bind(("0.0.0.0", 7000))
		open(sys.argv[1], "w").close()
		data, peer = s.recvfrom(512)
		while True:
		    try:
		        s.sendto(b"keepalive", peer)
		    except OSError:
		        pass
		    time.sleep(0.5)
	PY
	bg guest "$NETNS" exec web -- python3 "$TEST_WORK/keepalive.py" "$TEST_WORK/guest.ready"
	wait_until 10 "[ -e '$TEST_WORK/guest.ready' ]"
	pf_daemon --publish 127.0.0.1:0:7000/udp
	port=$(host_port_of 1)
	# Heard in the first 10 s (the flow works), and from 62 s to 66 s (it should be gone).
	ok python3 -c 'import socket, sys, time
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
c.bind(("127.0.0.1", 0))
c.sendto(b"hi", ("127.0.0.1", int(sys.argv[1])))
t0 = time.monotonic()
early = late = 0
while time.monotonic() - t0 < 66:
    c.settimeout(max(0.01, 66 - (time.monotonic() - t0)))
    try:
        c.recv(512)
    except socket.timeout:
        break
    t = time.monotonic() - t0
    early += t < 10
    late += t >= 62
print(early > 0, late)' "$port"
	assert_eq "$OUT" "True 0" "keepalives heard early, and after the idle limit"
}

test_rootlessport_drop_in_binds_signals_ready_forwards_and_exits() {
	pf_netns
	serve udp "$NETNS" exec web -- $NET serve-echo udp 0.0.0.0 5353
	p=$(free_ports 4)
	cat >config.json <<-EOC
		{"Mappings": [
		  {"host_ip": "127.0.0.1", "container_port": 81, "host_port": $p, "range": 1,
		   "protocol": "tcp"},
		  {"host_ip": "127.0.0.1", "container_port": 5353, "host_port": $((p + 1)),
		   "range": 0, "protocol": "udp"},
		  {"host_ip": "", "container_port": 80, "host_port": $((p + 2)), "range": 2,
		   "protocol": "tcp"}],
		 "NetNSPath": "$ROOTLET_STATE_DIR/web/net", "ExitFD": 3, "ReadyFD": 4,
		 "TmpDir": "$TEST_WORK", "ChildIP": "10.77.4.1", "ContainerID": "c0ffee",
		 "RootlessCNI": false}
	EOC
	# podman runs it as root of its user namespace: here, the netns's own.
	coproc FDRUN { $NET fdrun --stdin config.json 4 3 -- nsenter --preserve-credentials \
		--user="$ROOTLET_STATE_DIR/web/user" "$BUILD/rootlessport" 2>"$TEST_WORK/rp.err"; }
	read -r -t 15 ready <&"${FDRUN[0]}" || fail "no word from fdrun: $(cat "$TEST_WORK/rp.err")"
	assert_eq "$ready" ready "ReadyFD"
	ok $NET echo-client tcp 127.0.0.1 "$p" tcp-mapping
	ok $NET echo-client udp 127.0.0.1 "$((p + 1))" udp-mapping
	ok $NET send-sha 127.0.0.1 "$((p + 2))" 1
	ok $NET echo-client tcp 127.0.0.1 "$((p + 3))" second-of-range
	exec {FDRUN[1]}>&-
	read -r -t 15 exitline <&"${FDRUN[0]}" || fail "no exit from fdrun"
	assert_eq "$exitline" "exit 0" "status after ExitFD hung up"
}

test_rootlessport_bad_config_gets_one_line_on_stdout() {
	for config in '{' '{"Mappings": []}' '{"NetNSPath": "/nonexistent", "Mappings": []}' \
		'{"NetNSPath": "/proc/self/ns/net", "Mappings": [{"host_port": 1}]}' \
		'{"NetNSPath": "/proc/self/ns/net", "Mappings": [{"container_port": 1, "protocol": "sctp"}]}'; do
		run sh -c "echo '$config' | '$BUILD/rootlessport'"
		[ "$RC" -ne 0 ] || fail "rootlessport accepted $config"
		assert_eq "$(printf '%s\n' "$OUT" | wc -l)" 1 "stdout lines for $config"
		assert_match "$OUT" "^rootlessport: " "error for $config"
	done
}

test_daemon_runs_under_seccomp_without_capabilities_in_every_thread() {
	pf_netns
	pf_daemon --publish 127.0.0.1:0:81
	for task in /proc/$PF_PID/task/*; do
		assert_eq "$(awk '/^Seccomp:/ {print $2}' "$task/status")" 2 "seccomp of $task"
		assert_eq "$(awk '/^CapEff:/ {print $2}' "$task/status")" 0000000000000000 "CapEff of $task"
	done
	assert_eq "$(ls /proc/$PF_PID/task | wc -l)" 2 "threads: the loop and the netns thread"
	ok $NET echo-client tcp 127.0.0.1 "$(host_port_of 1)" filtered
	ok "$PORTFWD" add web 127.0.0.1::80
	ok $NET send-sha 127.0.0.1 "$(host_port_of 2)" 1
}

test_reverse_forward_reaches_the_hosts_loopback_from_inside() {
	pf_netns
	port=$(free_port)
	serve host $NET serve-echo tcp 127.0.0.1 "$port"
	serve hostu $NET serve-echo udp 127.0.0.1 "$port"
	pf_daemon --reverse "127.0.0.1:9000:$port" --reverse "127.0.0.1:9001:$port/udp"
	ok "$NETNS" exec web -- $NET echo-client tcp 127.0.0.1 9000 from-inside
	assert_eq "$OUT" from-inside "TCP from the netns to the host's loopback"
	ok "$NETNS" exec web -- $NET echo-client udp 127.0.0.1 9001 dgram-from-inside
	assert_eq "$OUT" dgram-from-inside "UDP from the netns to the host's loopback"
	ok "$PORTFWD" list web --json
	assert_eq "$(echo "$OUT" | jq -r '[.[].direction] | unique | join(",")')" reverse
	# The port is the netns's: the host's own 9000 stays free.
	serve hold $NET hold-port 127.0.0.1 9000
}

# --source-ip needs a client whose address is not loopback, and the host's own are not the
# test's to use: so the "host" here is a user and network namespace the test makes, where the
# client has 192.0.2.10 and fd00:db8::10, and the service's netns is a child of it.
test_source_ip_the_service_sees_the_clients_own_address() {
	cat >"$TEST_WORK/world.sh" <<-EOF
		set -e
		ip link set lo up
		ip addr add 192.0.2.10/32 dev lo
		ip addr add fd00:db8::10/128 dev lo
		unshare --net sh -c 'ip link set lo up && ip addr add 10.77.4.1/32 dev lo &&
			ip addr add fd00:db8:1::1/128 dev lo &&
			exec $NET serve-peer :: 83 --ready $TEST_WORK/peer.ready' &
		inside=/proc/\$!/ns/net
		for i in \$(seq 100); do [ -e $TEST_WORK/peer.ready ] && break; sleep 0.05; done
		daemon() {
			rm -f $TEST_WORK/ready; mkfifo $TEST_WORK/ready
			$PORTFWD --netns \$inside --ready-fd 3 "\$@" 3>$TEST_WORK/ready &
			read -r -n 1 -t 10 r <$TEST_WORK/ready; [ "\$r" = 1 ]
		}
		daemon --source-ip --publish 0.0.0.0:18083:83 --publish [::]:18084:83
		tp=\$!
		echo "v4 \$($NET whoami 192.0.2.10 18083 --bind 192.0.2.10)"
		echo "v6 \$($NET whoami fd00:db8::10 18084 --bind fd00:db8::10)"
		echo "lo4 \$($NET whoami 127.0.0.1 18083)"
		echo "lo6 \$($NET whoami ::1 18084)"
		echo "caps \$(grep -h CapEff /proc/\$tp/task/*/status | awk '{print \$2}' | sort | tr '\n' ' ')"
		daemon --publish 0.0.0.0:18085:83
		echo "plain \$($NET whoami 192.0.2.10 18085 --bind 192.0.2.10)"
		kill \$(jobs -p)
	EOF
	ok unshare --user --map-root-user --net bash "$TEST_WORK/world.sh"
	assert_match "$OUT" $'(^|\n)v4 192.0.2.10\n' "IPv4 client's address inside"
	assert_match "$OUT" $'\nv6 fd00:db8::10\n' "IPv6 client's address inside"
	# Loopback clients keep the default: never 127.0.0.1 or ::1 inside (CVE-2021-20199).
	assert_match "$OUT" $'\nlo4 10.77.4.1\n' "host loopback client, IPv4"
	assert_match "$OUT" $'\nlo6 fd00:db8:1::1\n' "host loopback client, IPv6"
	# The netns thread keeps CAP_NET_RAW alone, for IP_TRANSPARENT; the others have none.
	assert_match "$OUT" $'\ncaps (0000000000000000 )+0000000000002000 \n' "capabilities per thread"
	assert_match "$OUT" $'\nplain 10.77.4.1' "without --source-ip"
}

# No fixed limit on forwards: podman passes one per -p, and users may publish many.
test_add_takes_more_than_64_publish() {
	base=$(free_ports 130)
	args=()
	for i in $(seq 0 64); do
		args+=(--publish "127.0.0.1:$((base + 2 * i)):$((1000 + i))")
	done
	ok "$NETNS" add web --slirp "${args[@]}"
	ok "$PORTFWD" list web --json
	assert_eq "$(echo "$OUT" | jq length)" 65 "forwards"
	serve echo "$NETNS" exec web -- $NET serve-echo tcp 0.0.0.0 1064
	ok $NET echo-client tcp 127.0.0.1 $((base + 128)) the-65th
}

# A UDP forward's port cannot be bound again, by this user or any other: without SO_REUSEADDR
# on its socket, the kernel refuses (with it, the last socket bound would take the datagrams).
test_udp_forward_port_cannot_be_stolen() {
	pf_netns
	serve udp "$NETNS" exec web -- $NET serve-echo udp 0.0.0.0 5353
	port=$(free_port)
	pf_daemon --publish "127.0.0.1:$port:5353/udp" --publish "[::1]:$port:5353/udp"
	for addr in 127.0.0.1 ::1; do
		run $NET steal-udp "$addr" "$port"
		[ "$RC" -ne 0 ] || fail "$addr:$port bound a second time"
		assert_eq "$OUT" "steal-udp: Address already in use" "second bind of $addr"
		ok $NET echo-client udp "$addr" "$port" still-ours
	done
	run "$PORTFWD" add web "127.0.0.1:$port:5353/udp"
	[ "$RC" -ne 0 ] || fail "one UDP spec accepted twice"
}

# Once set up, the daemon sees no filesystem: its root (every thread's) is an empty read-only
# tmpfs, its cwd that root; it still adds forwards and serves its API.
test_daemon_has_an_empty_read_only_root() {
	pf_netns
	cd /tmp || fail "cd /tmp"
	pf_daemon --publish 127.0.0.1:0:81
	# Not dumpable, its root and cwd are not ours to read: its mounts (every thread's) are.
	for task in /proc/$PF_PID/task/*; do
		assert_match "$(awk '{ print $5, $6 }' "$task/mountinfo")" "^/ ro,[^"$'\n'"]*$" \
			"the mounts of $task: its read-only root alone"
	done
	ok "$PORTFWD" add web 127.0.0.1::80
	ok $NET send-sha 127.0.0.1 "$(host_port_of 2)" 1
}

# A NAME that is a symlink in the state root is refused: nothing is written where it points.
# A name it may not open is said to be so, not to be missing.
test_symlinked_or_unreadable_entry_is_refused_with_its_reason() {
	ok "$NETNS" add web
	mkdir "$TEST_WORK/elsewhere"
	ln -s "$TEST_WORK/elsewhere" "$ROOTLET_STATE_DIR/evil"
	refused 1 "$PORTFWD" --netns evil --publish 127.0.0.1:0:80
	assert_match "$ERR" "evil is not a directory \(a symlink\?\): refused"
	assert_eq "$(ls -A "$TEST_WORK/elsewhere")" "" "files written through the symlink"
	rm "$ROOTLET_STATE_DIR/evil"
	refused 1 "$PORTFWD" list nosuch
	assert_match "$ERR" "no netns nosuch"
	chmod 000 "$ROOTLET_STATE_DIR/web"
	refused 1 "$PORTFWD" list web
	chmod 700 "$ROOTLET_STATE_DIR/web"
	assert_match "$ERR" "web: Permission denied"
}

# A client turned away by a busy daemon (64 API clients at once) is told so, not shown a
# "Connection reset by peer".
test_a_busy_api_says_busy() {
	pf_netns
	pf_daemon --publish 127.0.0.1:0:81
	bg hold python3 -c '
import socket, sys, time
socks = []
for _ in range(64):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); socks.append(s)
print("held", flush=True)
time.sleep(30)' "$ROOTLET_STATE_DIR/web/portfwd.sock"
	wait_until 10 "grep -q held '$TEST_WORK/hold.out'"
	refused 1 "$PORTFWD" list web
	assert_match "$ERR" "busy: too many API clients"
}

# podman's config read with bounds: a host_ip that is no address is named as such (it was cut
# to 45 bytes and then "a bad host port"), a config past 1 MiB is refused without reading it
# all (200 MiB took 411 MB), and an ExitFD past int is refused (4294967296 became fd 0).
test_rootlessport_config_is_bounded_and_checked() {
	long=$(printf 'a%.0s' $(seq 300))
	run sh -c "echo '{\"NetNSPath\":\"/proc/self/ns/net\",\"Mappings\":[{\"container_port\":80,\"host_port\":8080,\"host_ip\":\"$long\"}]}' | '$BUILD/rootlessport'"
	[ "$RC" -ne 0 ] || fail "a 300-byte host_ip was accepted"
	assert_match "$OUT" "^rootlessport: host_ip 'a{64}' is not an IP address$" "long host_ip"
	run sh -c "head -c 2097152 /dev/zero | tr '\\0' ' ' | '$BUILD/rootlessport'"
	[ "$RC" -ne 0 ] || fail "a 2 MiB config was accepted"
	assert_match "$OUT" "^rootlessport: config on stdin is larger than 1048576 bytes$" "2 MiB config"
	run sh -c "echo '{\"NetNSPath\":\"/proc/self/ns/net\",\"ExitFD\":4294967296,\"ReadyFD\":4}' | '$BUILD/rootlessport'"
	[ "$RC" -ne 0 ] || fail "ExitFD 4294967296 was accepted"
	assert_match "$OUT" "^rootlessport: ExitFD 4294967296 is not an fd$" "ExitFD past int"
}
