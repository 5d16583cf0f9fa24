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
	pgrep -u "$(id -u)" -f rootlet-portfwd >/dev/null && fail "a rootlet-portfwd runs"
	true
}

test_rootlet_run_hands_an_activated_socket_to_the_command() {
	port=$(free_port)
	activate act "$port" "$BUILD/rootlet" run --name ra -- $NET activated
	got=$(ask "$port")
	assert_match "$got" "^pid_ok=True fds=1 name= peer=127.0.0.1 netns=net:\[[0-9]+\]$"
	[ "${got##*netns=}" != "$(readlink /proc/self/ns/net)" ] || fail "the command ran in the host's netns"
}

test_two_activated_sockets_arrive_with_their_names() {
	ok "$NETNS" add sa
	p1=$(free_port)
	p2=$(free_port)
	activate act "$p1 $p2" --fdname=web:admin "$NETNS" exec sa -- $NET activated
	assert_match "$(ask "$p1")" "^pid_ok=True fds=2 name=web "
	assert_match "$(ask "$p2")" "^pid_ok=True fds=2 name=admin "
}
