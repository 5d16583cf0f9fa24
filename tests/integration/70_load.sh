# Bounded load through both forwarders: many short connections at once, and many UDP clients;
# nothing may fail, and each helper's open fds come back to what they were.

# fds PID: how many fds PID has open.
fds() {
	fd_count "$1"
}

# settled_fds PID BASE: within 10 s, PID's fd count is back to BASE.
settled_fds() {
	wait_until 10 "[ \$(fds $1) -le $2 ]"
}

test_10000_connections_at_50_concurrent_through_a_publish_forward() {
	port=$(free_port)
	ok "$NETNS" add web --slirp --publish "127.0.0.1:$port:80"
	serve echo "$NETNS" exec web -- $NET serve-echo tcp 0.0.0.0 80
	pid=$(cut -d' ' -f1 "$ROOTLET_STATE_DIR/web/portfwd.pid")
	# The first connections fill its pools of sockets and pipes: the baseline is after them.
	ok $NET load 127.0.0.1 "$port" 100 --concurrency 10
	base=$(fds "$pid")
	ok $NET load 127.0.0.1 "$port" 10000 --concurrency 50
	assert_eq "$OUT" "10000 connections, 0 failed"
	settled_fds "$pid" "$base"
}

test_10000_connections_at_50_concurrent_through_a_slirp_forward() {
	ok "$NETNS" add web --slirp
	serve echo "$NETNS" exec web -- $NET serve-echo tcp 0.0.0.0 80
	slirp_hostfwd web tcp 80
	port=$HOST_PORT
	pid=$(slirp_pid web)
	# libslirp keeps each host socket open through its 10 s TIME_WAIT: a soft limit of 1024
	# open files ran out, and the listener it could not accept from spun the loop.
	assert_eq "$(awk '/^Max open files/ { print ($4 == $5) }' "/proc/$pid/limits")" 1 \
		"open files: soft limit raised to the hard one"
	base=$(fds "$pid")
	ok $NET load 127.0.0.1 "$port" 10000 --concurrency 50 --timeout 20
	assert_eq "$OUT" "10000 connections, 0 failed"
	# Its sockets close once libslirp's TIME_WAIT (2 MSL, 10 s) ends.
	wait_until 30 "[ \$(fds $pid) -le $base ]"
}

test_5000_udp_clients_through_a_slirp_forward() {
	ok "$NETNS" add web --slirp --allow-host-loopback
	serve echo "$NETNS" exec web -- $NET serve-echo udp 0.0.0.0 5353
	slirp_hostfwd web udp 5353
	ok $NET udp-clients 127.0.0.1 "$HOST_PORT" 5000 --timeout 5
	assert_eq "$OUT" "5000 clients echoed"
}
