# rootlet-slirp under connection churn: the memory and host sockets a guest makes it hold.

CHURN=$BUILD/tools/churn
CHURN_COUNT=3000    # per round; make bench does 2 x 10,000
CHURN_PARALLEL=50
SETTLE_S=20         # after the last connection closed, RSS is back near its start ...
RSS_SLACK_KIB=16384 # ... within this
PEAK_MAX_KIB=131072 # and never above this on the way
FDS_SLACK=25        # host sockets left a second after 500 connections (none but a few)

in_ns() {
	local name=$1
	shift
	"$NETNS" exec "$name" -- "$@"
}

kib() {
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

# serve_holding NAME PORT [BYTES]: a host server on 127.0.0.1:PORT that accepts connections,
# sends BYTES on each and never reads; after each it prints how many it holds (NAME.out).
serve_holding() {
	cat >"$TEST_WORK/hold.py" <<-'PY'
		import socket, sys
		s = socket.socket()
		s.bind(("127.0.0.1", int(sys.argv[1])))
		s.listen(64)
		open(sys.argv[2], "w").close()
		held = []
		while True:
		    c, _ = s.accept()
		    c.send(b"D" * int(sys.argv[3]))
		    held.append(c)
		    print(len(held), flush=True)
	PY
	bg "$1" python3 "$TEST_WORK/hold.py" "$2" "$TEST_WORK/$1.ready" "${3:-0}"
	wait_until 5 "[ -e '$TEST_WORK/$1.ready' ]"
}

# settles_near FIELD START WHAT: a second after WHAT, rootlet-slirp's FIELD of
# /proc/PID/status (VmRSS, VmData) is within RSS_SLACK_KIB of START (KiB).
settles_near() {
	local after
	sleep 1
	after=$(kib "$SLIRP_PID" "$1")
	echo "$1: $2 KiB before, $after KiB after $3; VmRSS $(kib "$SLIRP_PID" VmRSS) KiB"
	[ "$after" -le $(($2 + RSS_SLACK_KIB)) ] || fail "$1 $after KiB after $3, from $2 KiB"
}

rss_settles_near() {
	settles_near VmRSS "$@"
}

# ooo_scene FIELD [BYTES]: a host server on PORT that never reads (and sends BYTES on each
# connection), rootlet-slirp on netns web as rootlesskit starts it (MTU 65520: 66 KB a queued
# segment), and START its FIELD (KiB).
ooo_scene() {
	port=$(free_port)
	serve_holding hold "$port" "${2:-0}"
	ok "$NETNS" add web
	slirp_compat web --mtu 65520
	start=$(kib "$SLIRP_PID" "$1")
}

# slirp_compat NAME ARGS...: rootlet-slirp on netns NAME as rootlesskit starts it (from the
# host, the netns by path), with ARGS; waits until tap0 has the guest's address.
slirp_compat() {
	local name=$1
	shift
	bg slirp nsenter --preserve-credentials --user="$ROOTLET_STATE_DIR/$name/user" \
		"$SLIRP" -c "$@" --netns-type=path "$ROOTLET_STATE_DIR/$name/net" tap0
	SLIRP_PID=$BG_PID
	wait_until 10 "\"$NETNS\" exec $name -- ip -4 addr show tap0 2>/dev/null | grep -q 10.0.2.100"
}

# Two rounds of short connections to a host server that closes each at once (the issue's
# churn, smaller): none fails, the peak stays bounded and, 20 s after the last closed, RSS is
# back within 16 MiB of where it started (libslirp's buffers in the heap kept 2 GB).
test_churn_of_short_connections_leaves_no_memory_behind() {
	local port pid start peak after
	ulimit -n "$(ulimit -Hn)"
	port=$(free_port)
	bg server "$CHURN" serve 127.0.0.1 "$port"
	wait_until 5 "grep -q listening '$TEST_WORK/server.out'"
	ok "$NETNS" add web --slirp --allow-host-loopback
	pid=$(slirp_pid web)
	start=$(kib "$pid" VmRSS)
	for round in 1 2; do
		ok in_ns web "$CHURN" connect 10.0.2.2 "$port" "$CHURN_COUNT" "$CHURN_PARALLEL"
		echo "round $round: $OUT; RSS $(kib "$pid" VmRSS) KiB, fds $(fd_count "$pid")"
		assert_match "$OUT" "^ok $CHURN_COUNT errors 0 " "round $round"
	done
	peak=$(kib "$pid" VmHWM)
	sleep "$SETTLE_S"
	after=$(kib "$pid" VmRSS)
	echo "RSS: start $start KiB, peak $peak KiB, $SETTLE_S s after $after KiB"
	[ "$peak" -le "$PEAK_MAX_KIB" ] || fail "peak RSS $peak KiB (more than $PEAK_MAX_KIB)"
	[ "$after" -le $((start + RSS_SLACK_KIB)) ] ||
		fail "RSS $after KiB $SETTLE_S s after the churn, from $start KiB at the start"
}

# A guest that closes after its peer leaves no host socket behind (libslirp's 10 s TIME_WAIT
# held each, and its buffers, in the helper): a second after 500 such connections, the
# helper's fds are back where they were, but for a few (a flow pushed out of conns.c's table
# waits its TIME_WAIT out).
test_connections_closed_by_the_host_leave_no_sockets_behind() {
	local port pid before after
	port=$(free_port)
	bg server "$CHURN" serve 127.0.0.1 "$port"
	wait_until 5 "grep -q listening '$TEST_WORK/server.out'"
	ok "$NETNS" add web --slirp --allow-host-loopback
	pid=$(slirp_pid web)
	before=$(fd_count "$pid")
	ok in_ns web "$CHURN" connect 10.0.2.2 "$port" 500 "$CHURN_PARALLEL"
	assert_match "$OUT" "^ok 500 errors 0 "
	sleep 1
	after=$(fd_count "$pid")
	echo "fds: $before before, $after a second after"
	[ "$after" -le $((before + FDS_SLACK)) ] || fail "$after fds a second after, from $before"
}

# held.py: N connections to an echo server held open, EXTRA more tried while they are, then
# each held one echoes; prints "held N refused R of EXTRA echoed E".
write_held_client() {
	cat >"$TEST_WORK/held.py" <<-'PY'
		import socket, sys
		addr, port, n, extra = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
		held = [socket.create_connection((addr, port), timeout=5) for _ in range(n)]
		refused = 0
		for _ in range(extra):
		    try:
		        socket.create_connection((addr, port), timeout=5).close()
		    except ConnectionRefusedError:
		        refused += 1
		echoed = 0
		for i, c in enumerate(held):
		    c.sendall(b"still %d" % i)
		    echoed += c.recv(64) == b"still %d" % i
		print(f"held {len(held)} refused {refused} of {extra} echoed {echoed}")
	PY
}

# Past --max-sockets-per-source a new connection is refused at once (a RST, not a hang), the
# ones held keep flowing, and the helper says so in one line per burst; under it, nothing is.
test_past_the_socket_limit_new_connections_are_refused_and_held_ones_flow() {
	local port cport
	port=$(free_port)
	serve echo $NET serve-echo tcp 127.0.0.1 "$port"
	ok "$NETNS" add web
	write_held_client
	slirp_compat web --max-sockets=64 --max-sockets-per-source=8
	ok in_ns web python3 "$TEST_WORK/held.py" 10.0.2.2 "$port" 8 5
	assert_eq "$OUT" "held 8 refused 5 of 5 echoed 8" "at the limit"
	ok in_ns web python3 "$TEST_WORK/held.py" 10.0.2.2 "$port" 7 1
	assert_eq "$OUT" "held 7 refused 0 of 1 echoed 7" "under the limit"
	assert_eq "$(grep -c 'refusing new connections from 10.0.2.100' "$TEST_WORK/slirp.out")" 1 \
		"log lines for one burst"
	# Under the limit, churn far past it in total is never refused: no socket is miscounted.
	# (IPv6 sources count alike: test_past_the_socket_limit_holds_for_ipv6_too.)
	cport=$(free_port) # not port + 1: free_port vouches for its own port alone
	bg server "$CHURN" serve 127.0.0.1 "$cport"
	wait_until 5 "grep -q listening '$TEST_WORK/server.out'"
	ok in_ns web "$CHURN" connect 10.0.2.2 "$cport" 1000 6
	assert_match "$OUT" "^ok 1000 errors 0 refused 0 " "churn under the limit"
}

# Fourth outside attack of issue 26: a guest holding every connection it could get, from four
# addresses of its own (it may add them to tap0), made the helper hold 748 MB at MTU 65520,
# where each connection's two buffers, full, are 128 KiB rounded up to the MSS (65480): 196,440
# bytes each. By default the helper holds no more connections than 400 MiB of them.
test_at_mtu_65520_the_default_socket_limit_bounds_the_buffers_a_guest_can_fill() {
	local port held
	ulimit -n "$(ulimit -Hn)"
	port=$(free_port)
	bg keeper "$CHURN" serve 127.0.0.1 "$port" keep
	wait_until 5 "grep -q listening '$TEST_WORK/keeper.out'"
	ok "$NETNS" add web
	slirp_compat web --mtu 65520
	for a in 101 102 103; do ok in_ns web ip addr add "10.0.2.$a/24" dev tap0; done
	ok in_ns web python3 -c 'import socket, sys
held = []
for src in ("10.0.2.100", "10.0.2.101", "10.0.2.102", "10.0.2.103"):
    for _ in range(700):
        c = socket.socket()
        c.bind((src, 0))
        try:
            c.connect(("10.0.2.2", int(sys.argv[1])))
            held.append(c)
        except OSError:
            c.close()
print(len(held))' "$port"
	held=$OUT
	echo "held $held connections"
	[ "$held" -ge 1000 ] || fail "held only $held connections"
	[ $((held * 2 * 196440)) -le $((400 << 20)) ] ||
		fail "held $held connections: $((held * 2 * 196440)) bytes of libslirp's buffers when full"
}

# Two containers on one network share its rootlet-slirp: one holding every connection it can
# get takes no more than its share (half, by default), and the other's all go through.
test_one_container_holding_connections_leaves_the_other_its_own() {
	local hold_port churn_port
	ulimit -n "$(ulimit -Hn)"
	hold_port=$(free_port)
	churn_port=$(free_port)
	bg keeper "$CHURN" serve 127.0.0.1 "$hold_port" keep
	bg server "$CHURN" serve 127.0.0.1 "$churn_port"
	wait_until 5 "grep -q listening '$TEST_WORK/keeper.out' && grep -q listening '$TEST_WORK/server.out'"
	ok "$NETWORK" create n --allow-host-loopback
	ok "$NETWORK" alloc n c1
	ok "$NETWORK" alloc n c2
	bg holder "$NETNS" exec c1 -- "$CHURN" hold 10.0.2.2 "$hold_port" 2100 60
	wait_until 60 "grep -q held '$TEST_WORK/holder.out'"
	echo "c1: $(cat "$TEST_WORK/holder.out")"
	ok "$NETNS" exec c2 -- "$CHURN" connect 10.0.2.2 "$churn_port" 500 20
	echo "c2: $OUT"
	assert_match "$OUT" "^ok 500 errors 0 " "c2's connections while c1 holds all it can"
	# Half of the default --max-sockets at the network's MTU 65520 (1067: rootlet-slirp(1)).
	assert_match "$(cat "$TEST_WORK/holder.out")" "^held 533 refused 1567" "c1's share"
}

# On an --ipv6 network every container's IPv6 leaves the infra masqueraded as slirp's one guest
# address: one container holding all the IPv6 and IPv4 connections it can get (the fourth
# outside attack: its IPv4 share and what was the whole network's IPv6 share, 1,066 of 1,067)
# still takes no more than its one share of both together, and the other's connections of
# both families go through.
test_one_container_holding_ipv6_and_ipv4_connections_leaves_the_other_its_own() {
	local hold4 hold6 churn4 churn6 held4 held6
	ulimit -n "$(ulimit -Hn)"
	hold4=$(free_port)
	hold6=$(free_port)
	churn4=$(free_port)
	churn6=$(free_port)
	bg keeper4 "$CHURN" serve 127.0.0.1 "$hold4" keep
	bg keeper6 "$CHURN" serve ::1 "$hold6" keep
	bg server4 "$CHURN" serve 127.0.0.1 "$churn4"
	bg server6 "$CHURN" serve ::1 "$churn6"
	wait_until 5 "grep -q listening '$TEST_WORK/keeper4.out' && grep -q listening '$TEST_WORK/keeper6.out' && grep -q listening '$TEST_WORK/server4.out' && grep -q listening '$TEST_WORK/server6.out'"
	ok "$NETWORK" create n --ipv6 --allow-host-loopback
	ok "$NETWORK" alloc n c1
	ok "$NETWORK" alloc n c2
	bg holder6 "$NETNS" exec c1 -- "$CHURN" hold fd00::2 "$hold6" 2100 90
	wait_until 60 "grep -q held '$TEST_WORK/holder6.out'"
	bg holder4 "$NETNS" exec c1 -- "$CHURN" hold 10.0.2.2 "$hold4" 2100 90
	wait_until 60 "grep -q held '$TEST_WORK/holder4.out'"
	echo "c1: IPv6 $(cat "$TEST_WORK/holder6.out"), IPv4 $(cat "$TEST_WORK/holder4.out")"
	ok "$NETNS" exec c2 -- "$CHURN" connect fd00::2 "$churn6" 300 20
	echo "c2 IPv6: $OUT"
	assert_match "$OUT" "^ok 300 errors 0 " "c2's IPv6 connections while c1 holds all it can"
	ok "$NETNS" exec c2 -- "$CHURN" connect 10.0.2.2 "$churn4" 300 20
	echo "c2 IPv4: $OUT"
	assert_match "$OUT" "^ok 300 errors 0 " "c2's IPv4 connections while c1 holds all it can"
	# Both families together: half of the default --max-sockets at MTU 65520 (1067).
	held6=$(awk '{print $2}' "$TEST_WORK/holder6.out")
	held4=$(awk '{print $2}' "$TEST_WORK/holder4.out")
	assert_eq "$((held6 + held4))" 533 "c1's one share of both families"
}

# raw_syn.py MODE SPORT DPORT: a SYN from 10.0.2.100 to 10.0.2.2 made by hand, with IPv4
# options (MODE options) or cut into two fragments, the flags in the second (MODE frag).
write_raw_syn() {
	cat >"$TEST_WORK/raw_syn.py" <<-'PY'
		import socket, struct, sys
		def csum(b):
		    b += b"\0" * (len(b) % 2)
		    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
		    while s >> 16:
		        s = (s & 0xffff) + (s >> 16)
		    return ~s & 0xffff
		mode, sport, dport = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
		src, dst = socket.inet_aton("10.0.2.100"), socket.inet_aton("10.0.2.2")
		tcp = struct.pack("!HHIIBBHHH", sport, dport, 1000, 0, 5 << 4, 0x02, 65535, 0, 0)
		c = csum(src + dst + struct.pack("!BBH", 0, 6, len(tcp)) + tcp)
		tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
		def ip(payload, opts=b"", frag=0):
		    ihl = 5 + len(opts) // 4
		    return struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, 0, 4242, frag, 64, 6, 0, src,
		                       dst) + opts + payload
		s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
		if mode == "options":
		    s.sendto(ip(tcp, b"\x01\x01\x01\x00"), ("10.0.2.2", 0))
		else:
		    s.sendto(ip(tcp[:8], frag=0x2000), ("10.0.2.2", 0))
		    s.sendto(ip(tcp[8:], frag=1), ("10.0.2.2", 0))
	PY
}

# A SYN whose flags are not where the limit looks (after IPv4 options libslirp strips, or in a
# second fragment libslirp reassembles) still counts: past the limit it opens nothing.
test_hand_made_syns_past_the_limit_open_no_host_connection() {
	local port
	port=$(free_port)
	write_raw_syn
	serve_holding counter "$port"
	ok "$NETNS" add web
	slirp_compat web --max-sockets=64 --max-sockets-per-source=2
	bg holder "$NETNS" exec web -- "$CHURN" hold 10.0.2.2 "$port" 2 60
	wait_until 10 "grep -q held '$TEST_WORK/holder.out'"
	assert_eq "$(cat "$TEST_WORK/holder.out")" "held 2 refused 0"
	ok in_ns web python3 "$TEST_WORK/raw_syn.py" options 40001 "$port"
	ok in_ns web python3 "$TEST_WORK/raw_syn.py" frag 40002 "$port"
	sleep 1
	assert_eq "$(tail -1 "$TEST_WORK/counter.out")" 2 "host connections made"
}

# UDP flows count too: past the limit a datagram of a new flow (a source port libslirp has no
# socket for) is dropped, and the flows already open keep being answered.
test_past_the_socket_limit_new_udp_flows_are_dropped_and_open_ones_flow() {
	local port
	port=$(free_port)
	serve echo $NET serve-echo udp 127.0.0.1 "$port"
	ok "$NETNS" add web
	slirp_compat web --max-sockets=64 --max-sockets-per-source=2
	cat >"$TEST_WORK/flows.py" <<-'PY'
		import socket, sys
		port = int(sys.argv[1])
		def flow():
		    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
		    s.settimeout(2)
		    s.connect(("10.0.2.2", port))
		    return s
		def echoed(s, msg):
		    s.send(msg)
		    try:
		        return s.recv(64) == msg
		    except socket.timeout:
		        return False
		a, b, c = flow(), flow(), flow()
		print(echoed(a, b"a1"), echoed(b, b"b1"), echoed(c, b"c1"), echoed(a, b"a2"), echoed(b, b"b2"))
	PY
	ok in_ns web python3 "$TEST_WORK/flows.py" "$port"
	assert_eq "$OUT" "True True False True True" "flows a, b, c (past the limit), a, b"
}

# The same limit over IPv6: fd00::100 is a guest address like any other.
test_past_the_socket_limit_holds_for_ipv6_too() {
	local port
	port=$(free_port)
	serve echo $NET serve-echo tcp ::1 "$port"
	ok "$NETNS" add web
	write_held_client
	slirp_compat web --enable-ipv6 --max-sockets=64 --max-sockets-per-source=8
	wait_until 10 "\"$NETNS\" exec web -- ip -6 addr show tap0 2>/dev/null | grep -q fd00::100"
	ok in_ns web python3 "$TEST_WORK/held.py" fd00::2 "$port" 8 3
	assert_eq "$OUT" "held 8 refused 3 of 3 echoed 8" "at the limit, over IPv6"
}

# First fragments (MF set, offset 0) with distinct IP IDs were each kept by libslirp's
# reassembly with their payload, unbounded and counted as no socket (780 MB in 10 s). They are
# dropped before libslirp: 1500 of 30 KB each (45 MB) leave RSS within 16 MiB of its start,
# and the helper says, once for the burst, that it drops them.
FRAG_COUNT=1500
FRAG_SIZE=30000
test_ip_fragments_from_the_guest_hold_no_memory_in_slirp() {
	local start
	ok "$NETNS" add web
	slirp_compat web --mtu 65520
	start=$(kib "$SLIRP_PID" VmRSS)
	ok in_ns web $NET raw-frag 10.0.2.3 53 --more --count "$FRAG_COUNT" --size "$FRAG_SIZE"
	rss_settles_near "$start" "$FRAG_COUNT fragments of $FRAG_SIZE bytes"
	grep -q "dropping IP fragments from the guest" "$TEST_WORK/slirp.out" ||
		fail "the drops were not logged: $(cat "$TEST_WORK/slirp.out")"
}

# Out-of-order TCP segments: libslirp kept each one inside the window until the gap before it
# was filled, without bound (33 MB per connection, kept while it lived). Over a tap the
# guest's segments come in order; one past a gap is dropped before libslirp. Three hand-made
# connections to a host server that never reads, each with 30,000 one-byte segments at every
# second sequence number (the third's with IP options, which the guard's parser would not
# read), leave RSS within 16 MiB of its start, and the drops are logged.
OOO_CONNS=2
OOO_SEGS=30000
test_out_of_order_tcp_segments_from_the_guest_hold_no_memory_in_slirp() {
	local port start i
	ooo_scene VmRSS
	for i in $(seq "$OOO_CONNS"); do
		ok in_ns web $NET raw-ooo 10.0.2.2 "$port" --src "10.0.2.$((70 + i))" --count "$OOO_SEGS"
	done
	# the same with IP options (libslirp strips them; no guest stack sends them)
	ok in_ns web $NET raw-ooo 10.0.2.2 "$port" --src 10.0.2.79 --count "$OOO_SEGS" --ip-options
	rss_settles_near "$start" "$((OOO_CONNS + 1)) x $OOO_SEGS out-of-order segments"
	grep -q "dropping TCP segments from the guest: out of order" "$TEST_WORK/slirp.out" ||
		fail "the drops were not logged: $(cat "$TEST_WORK/slirp.out")"
}

# The order guard drops nothing of a real stack's traffic: 64 MiB each way, guest to host and
# host to guest through a forward, with MTU 65520 (the guest's TSO) and 1500, arrive intact
# and the helper drops not one of the guest's segments.
test_ordinary_tcp_transfers_lose_no_segment_to_the_order_guard() {
	local mtu hport fport
	for mtu in 65520 1500; do
		ok "$NETNS" add "web$mtu"
		slirp_compat "web$mtu" --mtu "$mtu" --api-socket "$TEST_WORK/api$mtu.sock"
		hport=$(free_port)
		serve "hsha$mtu" $NET serve-sha 127.0.0.1 "$hport"
		ok in_ns "web$mtu" $NET send-sha 10.0.2.2 "$hport" 64
		assert_match "$OUT" "^[0-9a-f]{64} 67108864$" "guest to host, MTU $mtu"
		serve "gsha$mtu" in_ns "web$mtu" $NET serve-sha 0.0.0.0 8000
		ok $NET api "$TEST_WORK/api$mtu.sock" '{"execute":"add_hostfwd","arguments":{"proto":"tcp","host_addr":"127.0.0.1","host_port":0,"guest_port":8000}}'
		fport=$(echo "$OUT" | jq -r .return.host_port)
		ok $NET send-sha 127.0.0.1 "$fport" 64
		assert_match "$OUT" "^[0-9a-f]{64} 67108864$" "host to guest, MTU $mtu"
		! grep "dropping TCP segments" "$TEST_WORK/slirp.out" ||
			fail "the guard dropped a real stack's segments (MTU $mtu)"
	done
}

# Outside attack B3: the guard's table was a fixed 1024 x 8 slots that any segment took, so
# 16,000 data segments on made-up flows (libslirp holds no socket for them and answers each with
# a RST) pushed every real connection out, and its next segment, past a gap, went to libslirp
# unchecked and became the new mark: one more queued each round (990 MB of VmData with 200
# connections in 60 s). Only flows libslirp holds a socket for have a mark, kept as long as the
# socket: 50 hand-made connections to a host server that never reads, then 20 rounds of 16,000
# made-up flows and one out-of-order byte on each connection (1,000 past a gap, 64 MB of
# libslirp's 65 KB mbufs at MTU 65520), leave VmData within 16 MiB of where the connections
# left it.
FLUSH_CONNS=50
FLUSH_ROUNDS=20
test_made_up_flows_never_push_held_connections_out_of_the_order_guard() {
	local port start
	port=$(free_port)
	cat >"$TEST_WORK/hold.py" <<-'PY'
		import socket, sys
		s = socket.socket()
		s.bind(("127.0.0.1", int(sys.argv[1])))
		s.listen(256)
		open(sys.argv[2], "w").close()
		held = []
		while True:
		    held.append(s.accept())
	PY
	bg hold python3 "$TEST_WORK/hold.py" "$port" "$TEST_WORK/hold.ready"
	wait_until 5 "[ -e '$TEST_WORK/hold.ready' ]"
	ok "$NETNS" add web
	slirp_compat web --mtu 65520
	ok in_ns web $NET raw-flush 10.0.2.2 "$port" --conns "$FLUSH_CONNS" --save "$TEST_WORK/conns"
	assert_eq "$OUT" "connections $FLUSH_CONNS" "the hand-made connections"
	sleep 1
	start=$(kib "$SLIRP_PID" VmData) # with the connections' buffers
	ok in_ns web $NET raw-flush 10.0.2.2 "$port" --load "$TEST_WORK/conns" --rounds "$FLUSH_ROUNDS"
	settles_near VmData "$start" "out-of-order segments behind made-up flows"
}

# A segment libslirp drops without a word must not open a gap: one of 60 KB at the flow's
# next byte with a bad TCP checksum, or without ACK, before each of 30,000 one-byte segments
# inside the room it would have made (libslirp's answer to each closes the room again, but the
# next such segment would open it). They are dropped before libslirp: RSS stays within 16 MiB.
test_segments_libslirp_drops_silently_open_no_room_for_out_of_order_ones() {
	local port start lead i=0
	ooo_scene VmRSS
	for lead in bad-csum no-ack; do
		i=$((i + 1))
		ok in_ns web $NET raw-ooo 10.0.2.2 "$port" --src "10.0.2.$((80 + i))" --lead "$lead" \
			--count "$OOO_SEGS"
	done
	rss_settles_near "$start" "segments behind silently dropped ones"
}

# Eighth outside attack B1: libslirp drops a segment that acknowledges bytes it never sent,
# after an ACK of its own; the guard moved its mark by it all the same, and counted on that
# ACK to pull it back. A guest that pushed its own address out of libslirp's 16-entry ARP
# table (ARP requests from 20 other addresses) gets no frame of the flow again, so the mark
# stayed ahead and the one-byte segments behind it were queued, 66 KB of VmData each at MTU
# 65520 (1.44 GB with 8 connections). Now such a segment never passes: 4 connections, each
# with 30,000 one-byte segments behind such leads, leave VmData within 16 MiB.
ACK_AHEAD_CONNS=4
# leads_acknowledging_ahead_hold_nothing [RAW-OOO OPTION...]: ACK_AHEAD_CONNS such connections,
# with OPTIONs, leave VmData within RSS_SLACK_KIB.
leads_acknowledging_ahead_hold_nothing() {
	local port start i
	ooo_scene VmData
	for i in $(seq "$ACK_AHEAD_CONNS"); do
		ok in_ns web $NET raw-ooo 10.0.2.2 "$port" --src "10.0.2.$((90 + i))" --lead ack-ahead \
			--evict --count "$OOO_SEGS" "$@"
	done
	settles_near VmData "$start" "segments behind leads acknowledging bytes never sent"
}

test_a_segment_acknowledging_bytes_libslirp_never_sent_opens_no_room_for_out_of_order_ones() {
	leads_acknowledging_ahead_hold_nothing
}

# Ninth outside attack: libslirp answers a bare ACK past its SYN (in SYN_RECEIVED) with a RST
# whose sequence number is that ACK, and the guard took the RST for what libslirp had sent, so
# the leads above passed again (870 MB of VmData a connection). A RST moves nothing.
test_a_reset_libslirp_sends_never_lets_segments_acknowledge_past_what_it_sent() {
	leads_acknowledging_ahead_hold_nothing --reset-ahead
}

# Tenth outside attack: libslirp takes a FIN without data whose ACK repeats its last for a
# duplicate ACK, and from the third on drops it unanswered (the host's data it sent is not
# acknowledged, so its retransmit timer runs); the guard moved its mark past each FIN, so
# 6,000 FINs one byte apart walked it to the window's edge, and 3,000 one-byte segments behind
# it were queued (190 MB of VmData). A FIN moves no mark.
DUP_FIN_SEGS=3000
test_fins_libslirp_drops_as_duplicate_acks_open_no_room_for_out_of_order_ones() {
	local port start
	ooo_scene VmData 20000
	ok in_ns web $NET raw-ooo 10.0.2.2 "$port" --src 10.0.2.95 --lead dup-fin --evict \
		--count "$DUP_FIN_SEGS"
	settles_near VmData "$start" "FINs libslirp drops as duplicate ACKs, and segments behind them"
}
