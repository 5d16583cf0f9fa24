# rootlet-bypass (issue 16): a netns's connect() and bind() served from the host's netns by a
# seccomp-notify supervisor, with rootlet-netns exec --bypass (runc, crun and rootlet run are
# in 97_bypass_engines.sh). Every peer is on the host's loopback or in a netns the test made.

BYPASS_API=bypass-api.sock

# bypass_netns NAME ADD-OPTIONS...: a netns with slirp and its supervisor.
bypass_netns() {
	local name=$1
	shift
	ok "$NETNS" add "$name" --slirp --bypass "$@"
	[ -S "$ROOTLET_STATE_DIR/$name/bypass.sock" ] || fail "no bypass.sock in the entry"
}

# counters NAME: the supervisor's counters, as JSON.
counters() {
	$NET api "$ROOTLET_STATE_DIR/$1/$BYPASS_API" '{"execute":"counters"}' | jq -c .return
}

counter() {
	counters "$1" | jq -r ".$2"
}

# tap_tx NAME: packets the netns has sent to slirp (its tap's TX count).
tap_tx() {
	"$NETNS" exec "$1" -- awk '$1 == "tap0:" { print $11 }' /proc/net/dev
}

# filters_refused: whether this kernel refuses this (unprivileged) user a socket filter on a TCP
# socket, as it refuses the supervisor: asked of the kernel itself, not of rootlet.
filters_refused() {
	python3 -c '
import ctypes, errno, socket, struct, sys
accept = ctypes.create_string_buffer(struct.pack("HBBI", 0x06, 0, 0, 0xffffffff))  # ret #-1
prog = struct.pack("HxxxxxxQ", 1, ctypes.addressof(accept))
try:
    socket.socket().setsockopt(socket.SOL_SOCKET, 26, prog)  # SO_ATTACH_FILTER
except OSError as e:
    sys.exit(0 if e.errno == errno.EPERM else 2)
sys.exit(1)'
}

# host_addr: the host's own address that is not loopback's (its packets go over lo, never off
# the machine): a peer outside every netns the test makes, that slirp reaches without host
# loopback.
host_addr() {
	ip -4 -o addr show scope global | awk '{ sub("/.*", "", $4); print $4; exit }'
}

# in_bypass NAME CMD...: CMD run in the netns under the supervisor; its output in OUT.
in_bypass() {
	local name=$1
	shift
	ok "$NETNS" exec "$name" --bypass -- "$@"
}

test_outbound_tcp_to_host_loopback_is_bypassed_with_1_gib_intact() {
	bypass_netns bp --allow-host-loopback
	port=$(free_port)
	serve sha $NET serve-sha 127.0.0.1 "$port"
	before=$(tap_tx bp)
	in_bypass bp $NET send-sha 10.0.2.2 "$port" 1024
	assert_match "$OUT" " 1073741824$" "bytes the server counted"
	after=$(tap_tx bp)
	# 1 GiB through slirp is some 700000 packets; bypassed, slirp sees none of it.
	[ $((after - before)) -lt 20 ] || fail "slirp saw $((after - before)) packets of the transfer"
	assert_eq "$(counter bp bypassed)" 1 "bypassed connect()s"
}

test_a_bypassed_socket_is_the_host_side_one() {
	bypass_netns bp --allow-host-loopback
	port=$(free_port)
	serve peer $NET serve-peer 127.0.0.1 "$port" --with-port
	in_bypass bp $NET where 10.0.2.2 "$port"
	# The twin's local address is the host's loopback, and the server saw that very port.
	assert_match "$OUT" "^local=127\.0\.0\.1:([0-9]+) said=127\.0\.0\.1:([0-9]+)$"
	[[ $OUT =~ local=127.0.0.1:([0-9]+)\ said=127.0.0.1:([0-9]+) ]]
	assert_eq "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" "the server's peer port"
	# Without --bypass the same call goes through slirp: the netns's own address.
	ok "$NETNS" exec bp -- $NET where 10.0.2.2 "$port"
	assert_match "$OUT" "^local=10\.0\.2\.100:"
}

test_outbound_tcp_to_a_server_in_another_netns_is_bypassed() {
	# The other netns publishes its server on the host's loopback through rootlet-portfwd.
	port=$(free_port)
	ok "$NETNS" add peer --slirp --publish "127.0.0.1:$port:7000"
	bg inner "$NETNS" exec peer -- $NET serve-sha 10.0.2.100 7000
	wait_until 10 "$NETNS exec peer -- ss -Hltn 'sport = :7000' | grep -q ."
	bypass_netns bp --allow-host-loopback
	before=$(tap_tx bp)
	in_bypass bp $NET send-sha 10.0.2.2 "$port" 1024
	assert_match "$OUT" " 1073741824$" "bytes the server in the other netns counted"
	[ $(($(tap_tx bp) - before)) -lt 20 ] || fail "slirp saw the transfer"
}

test_a_published_server_inside_sees_its_host_clients_natively() {
	hp=$(free_port)
	bypass_netns bp --allow-host-loopback --publish "127.0.0.1:$hp:8080"
	[ ! -e "$ROOTLET_STATE_DIR/bp/portfwd.pid" ] || fail "rootlet-portfwd runs: the bypass binds"
	bg srv "$NETNS" exec bp --bypass -- $NET serve-peer 0.0.0.0 8080 --with-port
	wait_until 10 "ss -Hltn 'src 127.0.0.1 and sport = :$hp' | grep -q ."
	# The listening socket is the host's: the client's own address and port arrive as they are.
	ok $NET whoami 127.0.0.1 "$hp" --bind 127.0.0.7
	assert_match "$OUT" "^127\.0\.0\.7:[0-9]+$" "the peer the service saw"
	# A port no rule names is bound inside only.
	bg srv2 "$NETNS" exec bp --bypass -- $NET serve-peer 0.0.0.0 8081
	wait_until 10 "$NETNS exec bp -- ss -Hltn 'sport = :8081' | grep -q ."
	[ -z "$(ss -Hltn 'sport = :8081')" ] || fail "an unpublished port was bound on the host"
	assert_eq "$(counter bp bypassed)" 1 "bypassed binds"
}

test_connected_udp_is_bypassed_and_unconnected_sendto_goes_through_slirp() {
	bypass_netns bp --allow-host-loopback
	port=$(free_port)
	serve udp $NET serve-echo udp 127.0.0.1 "$port"
	before=$(tap_tx bp)
	in_bypass bp $NET udp-connected 10.0.2.2 "$port" 1000
	assert_eq "$OUT" "local=127.0.0.1 ok=1000" "1000 datagrams echoed through the twin"
	[ $(($(tap_tx bp) - before)) -lt 20 ] || fail "slirp saw the datagrams"
	# DNS-style: one request, one reply, on a connected socket.
	dport=$(free_port)
	serve dns $NET serve-dns bypass.test 10.9.9.9 fd00::99 127.0.0.1 --port "$dport"
	in_bypass bp python3 -c '
import socket, struct, sys
q = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + b"\x06bypass\x04test\x00" + struct.pack(">HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
s.connect(("10.0.2.2", int(sys.argv[1]))); s.send(q); r = s.recv(512)
print(s.getsockname()[0], socket.inet_ntoa(r[-4:]), r[:2] == q[:2])' "$dport"
	assert_eq "$OUT" "127.0.0.1 10.9.9.9 True" "the DNS-style exchange"
	in_bypass bp $NET udp-sendto 10.0.2.2 "$port"
	assert_eq "$OUT" "local=0.0.0.0 from=10.0.2.2" "unconnected sendto() through slirp"
}

test_a_twin_connected_again_never_goes_where_the_netns_keeps_inside() {
	bypass_netns bp --allow-host-loopback
	port=$(free_port)
	serve udp $NET serve-echo udp 127.0.0.1 "$port"
	# The UDP socket becomes the host's twin; connected again to the netns's own address, the
	# kernel would send it from the host's netns: refused instead. Connected again to a peer
	# the policy allows, it is.
	in_bypass bp python3 -c '
import errno, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
s.connect(("10.0.2.2", int(sys.argv[1])))
print(s.getsockname()[0])
try:
    s.connect(("10.0.2.100", 9))
    print("connected inside")
except OSError as e:
    print(errno.errorcode[e.errno])
s.connect(("10.0.2.2", int(sys.argv[1]))); s.send(b"again"); print(s.recv(16).decode())' "$port"
	assert_eq "$OUT" $'127.0.0.1\nENETUNREACH\nagain' "the twin's connects"
	assert_eq "$(counter bp refused)" 1 "refused connect()s"
}

test_a_slow_blocking_connect_waits_in_the_loop_while_others_are_served() {
	bypass_netns bp --allow-host-loopback
	slow=$(free_port)
	fast=$(free_port)
	serve peer $NET serve-peer 127.0.0.1 "$fast"
	full_server "$slow"
	in_bypass bp python3 -c '
import socket, sys, threading, time
out = {}
def slow():
    c = socket.socket()  # no timeout: a blocking connect() in the kernel
    t = time.time(); c.connect(("10.0.2.2", int(sys.argv[1])))
    out["slow"] = (time.time() - t, c.getsockname()[0])
th = threading.Thread(target=slow); th.start()
time.sleep(0.3)
c = socket.socket(); t = time.time(); c.connect(("10.0.2.2", int(sys.argv[2])))
fast, pending = time.time() - t, "slow" not in out
th.join(20)
print("fast-ok" if fast < 0.5 and pending else "fast %.2f s, slow pending: %s" % (fast, pending))
print("slow %s %s" % ("late" if out["slow"][0] > 1 else "early", out["slow"][1]))' "$slow" "$fast"
	assert_eq "$OUT" $'fast-ok\nslow late 127.0.0.1' "a fast connect during a slow one, and the slow one's twin"
}

# A TCP twin whose connect() failed (non-blocking: the twin was the caller's before the refusal)
# connected again, blocking: it gets a new twin like any socket, and its connect() waits in the
# loop, never in the supervisor's own connect(): a fast connect by another process meanwhile is
# served at once.
test_a_tcp_twin_connected_again_gets_a_new_twin_and_does_not_block_the_loop() {
	bypass_netns bp --allow-host-loopback
	closed=$(free_port)
	slow=$(free_port)
	fast=$(free_port)
	serve peer $NET serve-peer 127.0.0.1 "$fast"
	full_server "$slow"
	bg fastc "$NETNS" exec bp --bypass -- python3 -c '
import socket, sys, time
time.sleep(0.5)  # while the slow one waits
c = socket.socket(); t = time.time(); c.connect(("10.0.2.2", int(sys.argv[1])))
print("%.2f" % (time.time() - t))' "$fast"
	fastc=$BG_PID
	in_bypass bp python3 -c '
import errno, select, socket, sys, time
c = socket.socket(); c.setblocking(False)
try:
    c.connect(("10.0.2.2", int(sys.argv[1])))
except BlockingIOError:
    pass
select.select([], [c], [], 3)
refused = errno.errorcode.get(c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR), "none")
c.setblocking(True)
t = time.time(); c.connect(("10.0.2.2", int(sys.argv[2])))
print(refused, c.getsockname()[0], "late" if time.time() - t > 1 else "early")' "$closed" "$slow"
	assert_eq "$OUT" "ECONNREFUSED 127.0.0.1 late" "refused, then connected again through a new twin"
	wait "$fastc" || fail "the fast connect failed: $(cat "$TEST_WORK/fastc.out")"
	awk '{ exit !($1 < 0.5) }' "$TEST_WORK/fastc.out" ||
		fail "a fast connect waited $(cat "$TEST_WORK/fastc.out") s behind the slow one"
}

# queue_full NAME PORT FULL ACCEPTING: a server on 127.0.0.1:PORT whose accept queue is full
# for FULL seconds (a SYN to it dropped), then accepting for ACCEPTING seconds.
queue_full() {
	bg "$1" python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(0)
fill = []
for _ in range(3):
    c = socket.socket(); c.setblocking(False); c.connect_ex(("127.0.0.1", int(sys.argv[1]))); fill.append(c)
open(sys.argv[2], "w").close()
time.sleep(float(sys.argv[3]))
s.setblocking(False)
end = time.time() + float(sys.argv[4])
while time.time() < end:
    try:
        s.accept()
    except BlockingIOError:
        time.sleep(0.01)' "$2" "$TEST_WORK/$1.ready" "$3" "$4"
	wait_until 10 "[ -e '$TEST_WORK/$1.ready' ]"
}

# full_server PORT: a SYN to it is dropped until it starts accepting, 2 s on.
full_server() {
	queue_full full "$1" 2 15
}

# dead_server PORT: a peer on 127.0.0.1:PORT whose accept queue is full for 60 s: a connect()
# to it waits (its SYNs unanswered).
dead_server() {
	queue_full dead "$1" 60 0
}

# Issue 24: a blocking connect() to a peer that never answers, restarted on a signal every
# millisecond, is a new notification each time. Each one's twin is dropped once its call is no
# longer valid, and at most BP_PENDING_MAX (64) wait at once, two fds each: the supervisor's fds
# stay bounded (it had 1,024 in seconds), and a new command under it is still served.
test_a_connect_restarted_every_millisecond_leaves_the_supervisor_fds_bounded() {
	bypass_netns bp --allow-host-loopback
	dead=$(free_port)
	dead_server "$dead"
	spid=$(pid_of bp bypass.pid)
	base=$(fd_count "$spid")
	in_bypass bp "$BUILD/tools/fdflood" 10.0.2.2 "$dead" 5 "$spid"
	[[ $OUT =~ max_fds=([0-9]+) ]] || fail "no count: $OUT"
	echo "supervisor fds: $base before, ${BASH_REMATCH[1]} at most in the flood"
	[ "${BASH_REMATCH[1]}" -le $((base + 2 * 64 + 16)) ] ||
		fail "the supervisor held ${BASH_REMATCH[1]} fds in the flood ($base before)"
	port=$(free_port)
	serve peer $NET serve-peer 127.0.0.1 "$port"
	before=$(counter bp bypassed)
	in_bypass bp $NET where 10.0.2.2 "$port"
	assert_eq "$(counter bp bypassed)" $((before + 1)) "a new command's connect() bypassed"
}

test_an_interrupted_connect_never_gets_its_twin() {
	bypass_netns bp --allow-host-loopback
	slow=$(free_port)
	full_server "$slow"
	# The caller gives up (a signal whose handler raises): the supervisor's connect() goes on,
	# and once it completes the call is no longer pending: its twin is dropped, not installed.
	in_bypass bp python3 -c '
import signal, socket, sys
def give_up(*_):
    raise TimeoutError
signal.signal(signal.SIGALRM, give_up)
signal.setitimer(signal.ITIMER_REAL, 0.5)
c = socket.socket()
try:
    c.connect(("10.0.2.2", int(sys.argv[1])))
    print("connected")
except TimeoutError:
    print("gave up", c.getsockname())' "$slow"
	assert_eq "$OUT" "gave up ('0.0.0.0', 0)" "the caller's socket after its interrupted connect()"
	wait_until 10 "[ \"\$(counter bp connecting)\" = 0 ]"
	assert_eq "$(counter bp bypassed)" 0 "twins installed"
}

# A caller's socket whose last reference is the supervisor's copy, with SO_LINGER {1, 120} and a
# send queue its peer never takes: the kernel's last close of it would wait 120 s unless the
# closer is exiting. Here the copy is an old twin held while its new twin connects (blocking,
# to a server whose accept queue is full); the caller is killed meanwhile. Once that connect
# ends, the copy is closed: another process's connect must still be served then.
test_a_lingering_socket_closed_last_by_the_supervisor_does_not_stall_it() {
	bypass_netns bp --allow-host-loopback
	sink=$(free_port)
	slow=$(free_port)
	fast=$(free_port)
	serve peer $NET serve-peer 127.0.0.1 "$fast"
	bg sink python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(4)
open(sys.argv[2], "w").close()
keep = [s.accept()]  # never read
time.sleep(60)' "$sink" "$TEST_WORK/sink.ready"
	wait_until 10 "[ -e '$TEST_WORK/sink.ready' ]"
	full_server "$slow"
	run "$NETNS" exec bp --bypass -- python3 -c '
import os, signal, socket, struct, sys, threading, time
c = socket.socket(); c.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
c.connect(("10.0.2.2", int(sys.argv[1])))
c.setblocking(False)
try:
    while True:
        c.send(b"x" * 4096)
except BlockingIOError:
    pass
c.setblocking(True)
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 120))
threading.Thread(target=lambda: (time.sleep(0.5), os.kill(os.getpid(), signal.SIGKILL))).start()
c.connect(("10.0.2.2", int(sys.argv[2])))  # pending in the loop when the caller is killed
print("connected")' "$sink" "$slow"
	[ "$RC" -ne 0 ] || fail "the caller was not killed during its connect: $OUT"
	# The full server accepts 2 s on; the new twin's SYN is sent again 1 s and 3 s on.
	sleep 5
	run timeout 20 "$NETNS" exec bp --bypass -- python3 -c '
import socket, sys
c = socket.socket(); c.connect(("10.0.2.2", int(sys.argv[1]))); print("served")' "$fast"
	assert_eq "$OUT" "served" "another process's connect after the lingering close"
}

# A client of bypass.sock that connects and sends nothing is dropped in time: its end sees the
# supervisor hang up.
test_a_bypass_sock_client_that_sends_nothing_is_dropped() {
	bypass_netns bp
	run timeout 30 python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
print("dropped" if s.recv(1) == b"" else "sent something")' "$ROOTLET_STATE_DIR/bp/bypass.sock"
	assert_eq "$OUT" "dropped" "a silent client of bypass.sock"
}

# Silent clients of bypass.sock, more than the supervisor has fds: it neither runs out nor
# stops taking clients, and a command started under it meanwhile runs.
test_a_flood_of_silent_bypass_sock_clients_does_not_keep_a_command_from_starting() {
	bypass_netns bp
	bg flood python3 -c '
import resource, signal, socket, sys, time
def give_up(*_):
    raise TimeoutError
signal.signal(signal.SIGALRM, give_up)
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
held = []
for _ in range(int(sys.argv[2])):
    s = socket.socket(socket.AF_UNIX)
    signal.setitimer(signal.ITIMER_REAL, 2)  # a blocking connect(): it waits for the backlog
    try:
        s.connect(sys.argv[1])
    except OSError:
        break
    signal.setitimer(signal.ITIMER_REAL, 0)
    held.append(s)
print(len(held), flush=True)
open(sys.argv[3], "w").close()
time.sleep(60)' "$ROOTLET_STATE_DIR/bp/bypass.sock" 1500 "$TEST_WORK/flood.ready"
	wait_until 60 "[ -e '$TEST_WORK/flood.ready' ]"
	run timeout 20 "$NETNS" exec bp --bypass -- echo started
	assert_eq "$OUT" "started" "a command under the supervisor during the flood"
}

test_a_program_without_sockets_runs_unchanged_under_the_filter() {
	bypass_netns bp
	head -c 1048576 /dev/urandom >data
	want=$(sha256sum <data)
	in_bypass bp sh -c 'sha256sum <data; ls / >/dev/null; id -u'
	assert_eq "$OUT" "$want"$'\n'"0" "its output"
	assert_eq "$(counters bp | jq -c '[.bypassed, .passed, .refused]')" "[0,0,0]" "calls the supervisor saw"
}

test_connect_to_the_netns_own_address_is_not_bypassed() {
	bypass_netns bp --allow-host-loopback
	bg inner "$NETNS" exec bp -- $NET serve-peer 10.0.2.100 7001 --with-port
	wait_until 10 "$NETNS exec bp -- ss -Hltn 'sport = :7001' | grep -q ."
	in_bypass bp $NET where 10.0.2.100 7001
	assert_match "$OUT" "^local=10\.0\.2\.100:([0-9]+) said=10\.0\.2\.100:" "a call inside stays inside"
	run "$NETNS" exec bp --bypass -- $NET where 127.0.0.1 7001
	assert_eq "$(counter bp bypassed)" 0 "bypassed connect()s"
	[ "$(counter bp passed)" -ge 1 ] || fail "the call was not passed on"
}

test_host_loopback_is_out_of_reach_unless_allowed() {
	bypass_netns bp
	port=$(free_port)
	serve peer $NET serve-peer 127.0.0.1 "$port"
	run "$NETNS" exec bp --bypass -- $NET where 10.0.2.2 "$port" --timeout 2
	[ "$RC" -ne 0 ] || fail "10.0.2.2 reached the host's loopback: $OUT"
	run "$NETNS" exec bp --bypass -- $NET where 127.0.0.1 "$port" --timeout 2
	[ "$RC" -ne 0 ] || fail "127.0.0.1 reached the host's loopback: $OUT"
	assert_eq "$(counter bp bypassed)" 0 "bypassed connect()s"
	# UDP is not bypassed without host loopback either: a twin could sendto() anywhere.
	serve udp $NET serve-echo udp 127.0.0.1 "$port"
	run "$NETNS" exec bp --bypass -- $NET udp-connected 10.0.2.2 "$port" 1 --timeout 1
	[ "$RC" -ne 0 ] || fail "UDP reached the host's loopback: $OUT"
}

# The twin routes (issue 24): a socket of the host's netns in the netns's hands must never be
# given a peer but by the supervisor. Each test gets a twin by binding a published port and
# aims it at a service that listens on the host's loopback only (127.0.0.1, which the netns's
# own 127.0.0.1 never is). UDP without host loopback; TCP with it, so that a twin exists on
# every kernel: without it a TCP twin is made only where the supervisor can lock a filter on it
# (test_without_host_loopback_a_tcp_twin_is_made_only_where_it_can_be_guarded).

test_a_published_udp_bind_never_reaches_host_loopback() {
	secret=$(free_port)
	serve udp $NET serve-echo udp 127.0.0.1 "$secret"
	hp=$(free_port)
	bypass_netns bp --publish "127.0.0.1:$hp:53/udp"
	# Bound to the published port, then sendto() the host's loopback: a UDP twin would send
	# from the host's netns and get the echo.
	in_bypass bp python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1)
s.bind(("0.0.0.0", 53))
s.sendto(b"x", ("127.0.0.1", int(sys.argv[1])))
try:
    print("reached", s.recvfrom(64)[0].decode())
except (socket.timeout, ConnectionRefusedError):
    print("unreached")' "$secret"
	assert_eq "$OUT" unreached "a datagram to the host's loopback from the published UDP socket"
	assert_eq "$(counter bp bypassed)" 0 "bypassed binds"
}

test_a_published_udp_port_without_host_loopback_is_forwarded_by_portfwd() {
	hp=$(free_port)
	bypass_netns bp --publish "127.0.0.1:$hp:5353/udp"
	[ -e "$ROOTLET_STATE_DIR/bp/portfwd.pid" ] || fail "no rootlet-portfwd for the UDP rule"
	bg echo "$NETNS" exec bp --bypass -- $NET serve-echo udp 0.0.0.0 5353
	wait_until 10 "$NETNS exec bp -- ss -Hlun 'sport = :5353' | grep -q ."
	ok $NET udp-connected 127.0.0.1 "$hp" 10
	assert_match "$OUT" "ok=10$" "datagrams echoed through the published port"
}

# twin_beside_a_secret [OPTION...]: a server on the host's loopback saying SECRET on port
# SECRET, and a supervisor for bp (with OPTIONs) whose bind of port 8081 is published on host
# port HP: the twin such a bind gets must never reach the secret.
twin_beside_a_secret() {
	secret=$(free_port)
	serve peer $NET serve-peer 127.0.0.1 "$secret" --say SECRET
	hp=$(free_port)
	bypass_netns bp "$@" --publish "127.0.0.1:$hp:8081"
}

test_fast_open_on_a_twin_never_reaches_host_loopback() {
	twin_beside_a_secret --allow-host-loopback
	# sendto(MSG_FASTOPEN) connects as it sends (net.ipv4.tcp_fastopen=1, the default).
	in_bypass bp python3 -c '
import errno, socket, sys
s = socket.socket()
s.bind(("0.0.0.0", 8081))
print("bound=%d" % s.getsockname()[1], end=" ")
try:
    s.sendto(b"GET\n", socket.MSG_FASTOPEN, ("127.0.0.1", int(sys.argv[1])))
    s.settimeout(3)
    print("read=" + s.recv(64).decode())
except OSError as e:
    print("error=" + errno.errorcode[e.errno])' "$secret"
	# EOPNOTSUPP, which Python names ENOTSUP (the same number on Linux).
	assert_eq "$OUT" "bound=$hp error=ENOTSUP" "fast open on the twin"
	# On a socket of the netns's own, fast open goes on inside as ever (nothing listens there).
	in_bypass bp python3 -c '
import errno, socket, sys
s = socket.socket()
try:
    s.sendto(b"GET\n", socket.MSG_FASTOPEN, ("127.0.0.1", int(sys.argv[1])))
    s.settimeout(3); s.recv(64)
    print("read")
except OSError as e:
    print(errno.errorcode[e.errno])' "$secret"
	assert_eq "$OUT" ECONNREFUSED "fast open on a socket of the netns"
}

# A listening twin shut down is back in the closed state, where the kernel would connect it:
# every way to a peer is still the supervisor's (connect(AF_UNSPEC), connect(), fast open).
test_a_twin_shut_down_or_disconnected_is_still_refused_a_peer() {
	twin_beside_a_secret --allow-host-loopback
	in_bypass bp python3 -c '
import ctypes, errno, socket, sys
libc = ctypes.CDLL(None, use_errno=True)
def attempt(what, fn):
    try:
        fn()
        print(what + "=ok", end=" ")
    except OSError as e:
        print(what + "=" + errno.errorcode[e.errno], end=" ")
def unspec():
    sa = (ctypes.c_ushort * 8)(socket.AF_UNSPEC)
    if libc.connect(s.fileno(), sa, 16) < 0:
        raise OSError(ctypes.get_errno(), "connect")
s = socket.socket()
s.bind(("0.0.0.0", 8081)); s.listen(4)
print("bound=%d" % s.getsockname()[1], end=" ")
s.shutdown(socket.SHUT_RD)
attempt("unspec", unspec)
attempt("connect", lambda: s.connect(("127.0.0.1", int(sys.argv[1]))))
attempt("fastopen", lambda: s.sendto(b"GET", socket.MSG_FASTOPEN, ("127.0.0.1", int(sys.argv[1]))))
s.settimeout(1)
attempt("read", lambda: print(s.recv(64).decode(), end=" "))
print()' "$secret"
	assert_eq "$OUT" "bound=$hp unspec=ENETUNREACH connect=ENETUNREACH fastopen=ENOTSUP read=ENOTCONN " \
		"the shut-down twin's ways to a peer"
}

test_io_uring_is_refused_under_the_filter() {
	twin_beside_a_secret --allow-host-loopback
	# IORING_OP_CONNECT on the twin would run past seccomp, from the host's netns.
	in_bypass bp "$BUILD/tools/twinroute" io_uring 8081 "$secret"
	assert_eq "$OUT" "bound=$hp error=ENOSYS" "io_uring's connect of the twin"
}

test_i386_calls_are_refused_under_the_filter() {
	run "$BUILD/tools/twinroute" i386-getpid
	[ "$OUT" = "getpid=ok" ] || skip "this kernel runs no i386 calls from 64-bit code (int \$0x80: exit $RC)"
	twin_beside_a_secret --allow-host-loopback
	# int $0x80 is the i386 ABI, which a filter for x86_64 alone would let through unhooked.
	in_bypass bp "$BUILD/tools/twinroute" i386 8081 "$secret"
	assert_eq "$OUT" "bound=$hp error=ENOSYS" "i386 connect() of the twin"
	in_bypass bp "$BUILD/tools/twinroute" socketcall 8081 "$secret"
	assert_eq "$OUT" "bound=$hp error=ENOSYS" "i386 socketcall(SYS_CONNECT) of the twin"
	# The rest of the ABI is kept.
	in_bypass bp "$BUILD/tools/twinroute" i386-getpid
	assert_eq "$OUT" "getpid=ok" "i386 getpid()"
}

# A continued connect() is run by the kernel on whatever the fd number names by then: a
# thread dup2()ing the twin over it has the kernel connect the twin from the host's netns.
# Without host loopback a TCP twin carries a locked receive filter that drops the answer (the
# handshake never completes); where the kernel refuses the supervisor that filter, no TCP twin
# is made at all: the bind continues inside, and there is nothing to swap in.
test_a_twin_swapped_under_a_continued_connect_never_reaches_host_loopback() {
	twin_beside_a_secret
	in_bypass bp "$BUILD/tools/swaprace" 8081 "$secret" 20000
	if filters_refused; then
		assert_eq "$OUT" "twin=inside landed=0 reached=0" "the raced connect, with no twin to swap in"
		assert_eq "$(counter bp bypassed)" 0 "twins made"
		return
	fi
	[ "$OUT" != "twin=host landed=0 reached=0" ] || skip "the race was not won in 20000 tries: nothing shown"
	assert_eq "$OUT" "twin=host landed=1 reached=0" "the twin the kernel connected"
}

# A twin is never disconnected by the kernel: a connect() to AF_UNSPEC the supervisor lets by is
# done by the supervisor itself, on the very socket it judged; so no fd swapped in meanwhile is
# disconnected and bound to a port of the container's choosing, a host socket open to every
# user there (an outside attack's route: UDP, in a few tries).
test_a_twin_swapped_under_a_disconnect_and_a_bind_keeps_its_peer_and_port() {
	bypass_netns bp --allow-host-loopback
	peer=$(free_port)
	bp_port=$(free_port)
	# In the judged fd's place: a socket of the netns's own, then no socket at all (a pipe,
	# whose calls are answered ENOTSOCK here, as the kernel answers them, never continued).
	for way in race race-pipe; do
		in_bypass bp "$BUILD/tools/rebind" "$way" "$peer" "$bp_port" 20000
		[[ $OUT =~ ^local=127\.0\.0\.1\ disconnected=0\ port=([0-9]+)$ ]] ||
			fail "$way: the twin after the race: $OUT"
		[ "${BASH_REMATCH[1]}" != "$bp_port" ] || fail "$way: the twin was bound to $bp_port"
		[ -z "$(ss -Huln "sport = :$bp_port")" ] ||
			fail "$way: a host socket on $bp_port: $(ss -Huln "sport = :$bp_port")"
	done
}

# The kernel reads a continued call's sockaddr again: a thread that rewrites it to AF_UNSPEC as
# it dup2()s a UDP twin over the fd has the kernel disconnect the twin, and a raced bind() give
# it a port of the container's choosing in the host's netns (twelfth outside attack). Whatever
# the kernel is made to do with it, a UDP twin takes datagrams from its peer alone: its locked
# receive filter names the peer's address and port.
test_a_udp_twin_disconnected_by_a_rewritten_continued_call_takes_no_datagram_but_its_peers() {
	bypass_netns bp --allow-host-loopback
	peer=$(free_port)
	bp_port=$(free_port)
	bg rebind "$NETNS" exec bp --bypass -- "$BUILD/tools/rebind" race-rewrite "$peer" "$bp_port" 200000
	wait_until 120 "grep -q '^local=' '$TEST_WORK/rebind.out'"
	line=$(grep '^local=' "$TEST_WORK/rebind.out")
	[[ $line =~ disconnected=1\ port=([0-9]+)$ ]] || skip "the race was not won in 200000 tries: $line"
	for i in 1 2 3; do
		$NET echo-client udp 127.0.0.1 "${BASH_REMATCH[1]}" not-the-peer --timeout 0.2 >/dev/null 2>&1
	done
	wait_until 10 "grep -q '^received=' '$TEST_WORK/rebind.out'"
	assert_eq "$(grep '^received=' "$TEST_WORK/rebind.out")" "received=0" \
		"datagrams of another sender on the twin's port (${BASH_REMATCH[1]}, after: $line)"
}

# A sockaddr the supervisor cannot read (memfd_secret() memory, which the kernel reads) is no
# call for the kernel to run unjudged: refused, as an unreadable address is, and the twin keeps
# its peer and port.
test_a_sockaddr_the_supervisor_cannot_read_is_refused_not_continued() {
	bypass_netns bp --allow-host-loopback
	peer=$(free_port)
	bp_port=$(free_port)
	in_bypass bp "$BUILD/tools/rebind" secret "$peer" "$bp_port"
	[ "$OUT" != secret=none ] || skip "this kernel has no memfd_secret()"
	[[ $OUT =~ ^local=127\.0\.0\.1\ disconnected=0\ port=([0-9]+)$ ]] ||
		fail "the twin after calls from secret memory: $OUT"
	[ "${BASH_REMATCH[1]}" != "$bp_port" ] || fail "the twin was bound to $bp_port"
}

# Fail closed: where the kernel refuses the supervisor a socket filter (an unprivileged process
# on a hardened kernel), a TCP twin could not be guarded against the swap above, so none is
# made without host loopback: a connect() goes through slirp, a published TCP port is
# rootlet-portfwd's. Where the filter works, and with host loopback allowed, twins as ever.
test_without_host_loopback_a_tcp_twin_is_made_only_where_it_can_be_guarded() {
	addr=$(host_addr)
	[ -n "$addr" ] || skip "the host has no address but loopback's: no peer outside the netns"
	port=$(free_port)
	serve peer $NET serve-peer "$addr" "$port" --with-port
	hp=$(free_port)
	bypass_netns bp --publish "127.0.0.1:$hp:8080"
	bg srv "$NETNS" exec bp --bypass -- $NET serve-peer 0.0.0.0 8080 --with-port
	in_bypass bp $NET where "$addr" "$port"
	if filters_refused; then
		assert_match "$OUT" "^local=10\.0\.2\.100:[0-9]+ said=$addr:" "a connect outside, through slirp"
		[ -e "$ROOTLET_STATE_DIR/bp/portfwd.pid" ] || fail "no rootlet-portfwd for the TCP rule"
		wait_until 10 "$NETNS exec bp -- ss -Hltn 'sport = :8080' | grep -q ."
		ok $NET whoami 127.0.0.1 "$hp" --bind 127.0.0.9
		assert_match "$OUT" "^[0-9.]+:[0-9]+$" "the published port, served"
		[[ $OUT != 127.0.0.9:* ]] || fail "the service saw the host's client natively: a twin"
		assert_eq "$(counter bp bypassed)" 0 "twins made"
		grep -q "no TCP twins" "$ROOTLET_STATE_DIR/bp/bypass.log" || fail "the supervisor did not say why"
		ok "$NETNS" show bp
		assert_match "$OUT" "bypass +serves: no twins" "what show says"
	else
		assert_match "$OUT" "^local=$addr:[0-9]+ said=$addr:" "a connect outside, a twin"
		wait_until 10 "ss -Hltn 'src 127.0.0.1 and sport = :$hp' | grep -q ."
		ok $NET whoami 127.0.0.1 "$hp" --bind 127.0.0.9
		assert_match "$OUT" "^127\.0\.0\.9:[0-9]+$" "the peer the service saw"
	fi
	# With host loopback allowed: twins, whatever the kernel.
	bypass_netns bp2 --allow-host-loopback
	in_bypass bp2 $NET where "$addr" "$port"
	assert_match "$OUT" "^local=$addr:[0-9]+ said=$addr:" "a connect outside, a twin"
	assert_eq "$(counter bp2 bypassed)" 1 "twins made"
}

test_rewriting_the_address_under_the_call_redirects_nothing() {
	bypass_netns bp --allow-host-loopback
	pa=$(free_port)
	pb=$(free_port)
	serve a $NET serve-peer 127.0.0.1 "$pa" --say A
	# 127.0.0.2 is the host's but no address of the netns leads there: slirp maps 10.0.2.2 to
	# 127.0.0.1 only. A supervisor connecting by a second reading would land there.
	serve b $NET serve-peer 127.0.0.2 "$pb" --say B
	in_bypass bp "$BUILD/tools/racer" 10.0.2.2 "$pa" 127.0.0.2 "$pb" 3000
	assert_match "$OUT" "^A=([0-9]+) B=0 " "what the racing connect()s reached"
	[[ $OUT =~ ^A=([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -gt 0 ] || fail "nothing reached A: $OUT"
}

# pid_of NAME FILE: the pid a pid file of netns NAME records.
pid_of() {
	cut -d' ' -f1 "$ROOTLET_STATE_DIR/$1/$2"
}

# A command of the netns is root in the userns its helpers joined, and runs as their uid: were
# they dumpable, it could ptrace them or take their host-netns sockets with pidfd_getfd()
# (isolate_undumpable()). The supervisor, its standby, slirp and portfwd (a UDP port published
# without host loopback is portfwd's) are all out of its reach.
test_a_command_of_the_netns_cannot_take_fds_from_or_ptrace_its_helpers() {
	hp=$(free_port)
	bypass_netns bp --publish "127.0.0.1:$hp:8081/udp"
	pids=
	for f in bypass.pid bypass-standby.pid slirp.pid portfwd.pid; do
		wait_until 5 "[ -s '$ROOTLET_STATE_DIR/bp/$f' ]"
		pids="$pids $(pid_of bp $f)"
	done
	in_bypass bp "$BUILD/tools/reachin" $pids
	for pid in $pids; do
		assert_match "$OUT" "(^|"$'\n'")$pid getfd=EPERM ptrace=EPERM("$'\n'"|$)" "reaching into $pid"
	done
}

# gone PID: the process has ended (a zombie awaiting init counts as ended).
gone() {
	! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

# standby_other_than PID: a running standby of bp is recorded, and it is not PID. Read once:
# the file is unlinked when a standby dies and written again a second later (standby.c), so a
# test of its existence and a later read could see two different moments.
standby_other_than() {
	local now
	now=$(pid_of bp bypass-standby.pid 2>/dev/null) && [ -n "$now" ] && [ "$now" != "$1" ] &&
		! gone "$now"
}

# client_waits_for_go: a supervisor for bp (host loopback allowed), a peer on host loopback, and
# a command under its filter that connects to the peer through 10.0.2.2 once $TEST_WORK/go
# exists (CPID; its answer in client.out).
client_waits_for_go() {
	bypass_netns bp --allow-host-loopback
	port=$(free_port)
	serve peer $NET serve-peer 127.0.0.1 "$port"
	bg client "$NETNS" exec bp --bypass -- $NET connect-after 10.0.2.2 "$port" "$TEST_WORK/go" --timeout 20
	cpid=$BG_PID
	wait_until 10 "[ \"\$(counter bp filters)\" = 1 ]"
}

# The issue's case: the supervisor killed, a command's connect() 2 s later is served by the
# standby that took over, and a new standby is forked.
test_a_killed_supervisor_is_replaced_by_its_standby_and_connects_work() {
	client_waits_for_go
	bpid=$(pid_of bp bypass.pid)
	spid=$(pid_of bp bypass-standby.pid 2>/dev/null)
	kill -9 "$bpid"
	wait_until 5 "gone $bpid"
	sleep 2
	touch go
	wait "$cpid"
	assert_eq "$(cat client.out)" connected "the hooked connect() 2 s after the kill"
	[ -n "$spid" ] || fail "no standby pid file"
	wait_until 5 "[ \"\$(pid_of bp bypass.pid)\" = $spid ]"
	assert_eq "$(counter bp bypassed)" 1 "connect()s the standby bypassed once it took over"
	wait_until 5 "standby_other_than $spid"
	ok "$NETNS" show bp --json
	assert_eq "$(echo "$OUT" | jq -r '[.helpers[] | select(.name | startswith("bypass")) | .state] | join(" ")')" \
		"live live" "the supervisor and its standby in show"
}

# Issue 24: a blocking connect() the supervisor was waiting for (a server whose accept queue is
# full, accepting 2 s on) when it was killed. The standby that takes over handles the call again
# (inflight.c): it ends connected, as without the kill, not hung until the command's end. The
# caller's own alarm (20 s) says "hung" instead.
test_a_blocking_connect_under_way_when_the_supervisor_is_killed_ends_as_without_the_kill() {
	bypass_netns bp --allow-host-loopback
	slow=$(free_port)
	full_server "$slow"
	bg client "$NETNS" exec bp --bypass -- python3 -c '
import signal, socket, sys
def hung(*_):
    raise TimeoutError
signal.signal(signal.SIGALRM, hung)
signal.alarm(20)
c = socket.socket()
try:
    c.connect(("10.0.2.2", int(sys.argv[1])))
    print("connected", c.getpeername()[1] == int(sys.argv[1]))
except TimeoutError:
    print("hung")
except OSError as e:
    print("error", e.errno)' "$slow"
	cpid=$BG_PID
	wait_until 10 "[ \"\$(counter bp connecting)\" = 1 ]"
	bpid=$(pid_of bp bypass.pid)
	kill -9 "$bpid"
	wait "$cpid"
	assert_eq "$(cat client.out)" "connected True" "the connect() under way at the kill"
}

test_a_killed_standby_is_forked_again() {
	bypass_netns bp --allow-host-loopback
	port=$(free_port)
	serve peer $NET serve-peer 127.0.0.1 "$port"
	spid=$(pid_of bp bypass-standby.pid)
	kill -9 "$spid"
	wait_until 5 "gone $spid"
	wait_until 5 "standby_other_than $spid"
	nspid=$(pid_of bp bypass-standby.pid)
	# A command under the filter from before the new fork: its listener is the new one's too.
	bg client "$NETNS" exec bp --bypass -- $NET connect-after 10.0.2.2 "$port" "$TEST_WORK/go" --timeout 20
	cpid=$BG_PID
	wait_until 10 "[ \"\$(counter bp filters)\" = 1 ]"
	kill -9 "$(pid_of bp bypass.pid)"
	touch go
	wait "$cpid"
	assert_eq "$(cat client.out)" connected "a connect() once the supervisor was killed"
	wait_until 5 "[ \"\$(pid_of bp bypass.pid)\" = $nspid ]"
}

test_killing_the_supervisor_and_its_standby_fails_hooked_calls_and_show_says_so() {
	client_waits_for_go
	bpid=$(pid_of bp bypass.pid)
	spid=$(pid_of bp bypass-standby.pid)
	kill -STOP "$spid"
	kill -9 "$bpid" "$spid"
	wait_until 5 "gone $bpid && gone $spid"
	touch go
	wait_until 10 "! kill -0 $cpid"
	assert_eq "$(cat client.out)" "ENOSYS" "the hooked connect() with no supervisor left"
	ok "$NETNS" show bp --json
	assert_eq "$(echo "$OUT" | jq -r '.helpers[] | select(.name == "bypass") | .state')" stale \
		"the supervisor in show"
	assert_eq "$(echo "$OUT" | jq -r '.bypass')" null "counters of a dead supervisor"
}

test_stopping_the_supervisor_stops_its_standby() {
	bypass_netns bp
	bpid=$(pid_of bp bypass.pid)
	spid=$(pid_of bp bypass-standby.pid)
	kill -TERM "$bpid"
	wait_until 5 "gone $bpid && gone $spid"
}

test_show_lists_the_supervisor_and_its_counters() {
	bypass_netns bp --allow-host-loopback
	port=$(free_port)
	serve peer $NET serve-peer 127.0.0.1 "$port"
	in_bypass bp $NET where 10.0.2.2 "$port"
	run "$NETNS" exec bp --bypass -- $NET where 10.0.2.100 1
	ok "$NETNS" show bp --json
	assert_eq "$(echo "$OUT" | jq -r '.helpers[] | select(.name == "bypass") | .state')" live
	assert_eq "$(echo "$OUT" | jq -c '.bypass | [.bypassed, .passed, .refused]')" "[1,1,0]"
	ok "$NETNS" show bp
	assert_match "$OUT" "bypass +1 bypassed, 1 passed through, 0 refused"
}

test_the_supervisor_ends_with_its_netns() {
	bypass_netns bp
	bpid=$(cut -d' ' -f1 "$ROOTLET_STATE_DIR/bp/bypass.pid")
	kill -0 "$bpid" || fail "no supervisor"
	spid=$(cut -d' ' -f1 "$ROOTLET_STATE_DIR/bp/bypass-standby.pid")
	kill -9 "$(holder_pid bp)"
	wait_until 10 "gone $bpid && gone $spid"
}

test_bypass_options_are_checked() {
	refused 2 "$NETNS" add bp --bypass
	refused 2 "$NETNS" list --bypass
	ok "$NETNS" add plain --slirp
	refused 125 "$NETNS" exec plain --bypass -- true
	assert_match "$ERR" "no rootlet-bypass serves it"
	refused 2 "$BUILD/rootlet-bypass" --netns bp --publish nonsense
	refused 2 "$BUILD/rootlet-bypass" --netns bp --exclude 10.0.0.0
	refused 2 "$BUILD/rootlet-bypass"
	refused 1 "$BUILD/rootlet-bypass" --netns nosuch
}

test_rootlet_bypass_has_help_version_and_a_man_page() {
	ok "$BUILD/rootlet-bypass" --version
	assert_match "$OUT" "^rootlet-bypass [0-9]"
	check_man_page rootlet-bypass
}

# rootlet-bypass --host (rootlet-runtime's host-side supervisor): its options, its socket's
# directory (the user's, 0700), one daemon per socket, and its names gone when it ends.
test_host_mode_checks_its_options_its_directory_and_serves_one_per_socket() {
	refused 2 "$BUILD/rootlet-bypass" --host --netns web
	assert_match "$ERR" "--host takes no --netns" "--host with --netns"
	refused 2 "$BUILD/rootlet-bypass" --host --allow-host-loopback
	refused 2 "$BUILD/rootlet-bypass" --netns web --socket /x.sock
	assert_match "$ERR" "--socket, --idle-exit and --engine-pid go with --host" "--socket without --host"
	refused 2 "$BUILD/rootlet-bypass" --netns web --engine-pid 1
	refused 2 "$BUILD/rootlet-bypass" --host --engine-pid 0
	assert_match "$ERR" "--engine-pid '0': not a process id" "a bad engine pid"
	refused 2 "$BUILD/rootlet-bypass" --host --idle-exit soon
	refused 2 "$BUILD/rootlet-bypass"
	refused 1 "$BUILD/rootlet-bypass" --host --socket rel.sock
	assert_match "$ERR" "not an absolute path" "a relative socket"
	mkdir -p open hs && chmod 0755 open && chmod 0700 hs
	refused 1 "$BUILD/rootlet-bypass" --host --socket "$TEST_WORK/open/h.sock"
	assert_match "$ERR" "open is mode 0755, open to its group or others: refused as the state directory, since they could plant links in it; 'chmod 0700 .*/open'" \
		"a directory others may enter, and why"
	# An engine that is gone (a pid that is not, or the engine ended) is nothing to serve.
	sleep 0 & gone=$!
	wait "$gone"
	refused 1 "$BUILD/rootlet-bypass" --host --engine-pid "$gone" --socket "$TEST_WORK/hs/e.sock"
	assert_match "$ERR" "--engine-pid $gone" "an engine that has ended"
	[ ! -e hs/e.sock ] || fail "a socket for an engine that has ended"
	bg host "$BUILD/rootlet-bypass" --host --socket "$TEST_WORK/hs/h.sock"
	wait_until 10 "[ -S hs/h.sock ] && [ -e hs/h.sock.pid ]"
	refused 1 "$BUILD/rootlet-bypass" --host --socket "$TEST_WORK/hs/h.sock"
	assert_match "$ERR" "served already by another" "a second daemon on a live socket"
	[ -S hs/h.sock ] || fail "the second daemon took the first one's socket"
	ok $NET api "$TEST_WORK/hs/h.sock.api" '{"execute":"counters"}'
	assert_eq "$(echo "$OUT" | jq .return.filters)" 0 "no container yet"
	kill "$(cut -d' ' -f1 hs/h.sock.pid)"
	wait_until 10 "[ ! -e hs/h.sock.pid ] && [ ! -e hs/h.sock ] && [ ! -e hs/h.sock.api ]"
	wait_until 10 "[ ! -e hs/h.sock.standby.pid ]"
}

# --idle-exit ends the daemon even when its directory was removed under it (a test's state
# root, a runtime dir gone): it looped for ever retrying the lock before.
test_host_mode_idle_exit_ends_it_even_with_its_directory_gone() {
	mkdir hs2 && chmod 0700 hs2
	bg host2 "$BUILD/rootlet-bypass" --host --socket "$TEST_WORK/hs2/h.sock" --idle-exit 1
	wait_until 10 "[ -e hs2/h.sock.pid ] && [ -e hs2/h.sock.standby.pid ]"
	pid=$(cut -d' ' -f1 hs2/h.sock.pid)
	spid=$(cut -d' ' -f1 hs2/h.sock.standby.pid)
	rm -rf hs2
	wait_until 10 "! kill -0 $pid 2>/dev/null && ! kill -0 $spid 2>/dev/null"
}

# Outside attack of issue 24 (second round): the bound on connect()s waiting in the loop was
# one for the whole supervisor, so one command's 64 connects to a peer that never answers
# made every other command's bypassed connect() fail with ENOBUFS (in --host mode, one
# supervisor serves every container of a user namespace). The bound is per listener: one
# command can only make its own connects fail.
test_one_commands_waiting_connects_never_refuse_anothers() {
	waiting_connects_scene 1
}

# Past the first fix, eight commands of 64 waiting connects each filled the supervisor's bound
# of all (512), and a ninth command's connect() was refused at once. When the bound of all is
# reached, a command holding fewer than another gets room: the newest waiting connect of the
# command holding the most is refused (ENOBUFS) in its place.
test_many_commands_waiting_connects_never_refuse_another_commands() {
	waiting_connects_scene 8
}

# waiting_connects_scene HOGS: HOGS commands under one supervisor each start 80 blocking
# connects to a peer that never answers; another command's blocking connect() must wait its
# turn (a signal ends it), not be refused at once.
waiting_connects_scene() {
	local i
	bypass_netns bp --allow-host-loopback
	dead=$(free_port)
	dead_server "$dead"
	for ((i = 1; i <= $1; i++)); do
		bg "hog$i" "$NETNS" exec bp --bypass -- python3 -c '
import socket, sys, threading, time
def hang():
    try:
        socket.create_connection(("10.0.2.2", int(sys.argv[1])), timeout=None)
    except OSError as e:
        print("refused", e, flush=True)
for _ in range(80):
    threading.Thread(target=hang, daemon=True).start()
time.sleep(40)' "$dead"
		# Past its bound, each hog's own connects are refused: the bound is reached.
		wait_until 20 "grep -q 'No buffer space' '$TEST_WORK/hog$i.out'"
	done
	# Another command's blocking connect() to the same peer waits its turn (a signal ends it),
	# never refused at once.
	in_bypass bp python3 -c '
import signal, socket, sys
def give_up(*_):
    raise TimeoutError
signal.signal(signal.SIGALRM, give_up)
signal.setitimer(signal.ITIMER_REAL, 2)
try:
    socket.socket().connect(("10.0.2.2", int(sys.argv[1])))
    print("connected")
except TimeoutError:
    print("waited")
except OSError as e:
    print("refused", e.strerror)' "$dead"
	assert_eq "$OUT" "waited" "another command's blocking connect() while $1 hog(s) wait"
}
