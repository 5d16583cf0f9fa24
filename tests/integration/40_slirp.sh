# rootlet-slirp as the unprivileged test user: real libslirp, real tap, real kernel.

# in NAME CMD...: CMD inside netns NAME.
in_ns() {
	local name=$1
	shift
	"$NETNS" exec "$name" -- "$@"
}

test_host_loopback_is_refused_by_default() {
	port=$(free_port)
	serve tcp $NET serve-echo tcp 127.0.0.1 "$port"
	serve udp $NET serve-echo udp 127.0.0.1 "$port"
	ok "$NETNS" add web --slirp
	# The netns itself works: libslirp's gateway answers, only the host's loopback is shut.
	ok in_ns web busybox ping -c 1 -W 2 10.0.2.2
	run in_ns web $NET echo-client tcp 10.0.2.2 "$port" hello --timeout 2
	[ "$RC" -ne 0 ] || fail "TCP to the host's loopback went through without --allow-host-loopback"
	run in_ns web $NET echo-client udp 10.0.2.2 "$port" hello --timeout 2
	[ "$RC" -ne 0 ] || fail "UDP to the host's loopback went through without --allow-host-loopback"
}

# libslirp's disable_host_loopback shuts only the gateway's translation to 127.0.0.1: a frame
# written to the tap with the host's loopback itself as destination (127.0.0.0/8, 0.0.0.0, ::1,
# ::, v4-mapped) was opened on the host like any destination, reaching another user's
# loopback-only service. Such frames are dropped, with host loopback allowed or not; the same
# raw SYN to the gateway with host loopback allowed shows the tool reaches the host at all.
test_frames_addressed_to_the_hosts_loopback_never_reach_it() {
	port=$(free_port)
	serve v4 $NET serve-count 127.0.0.1 "$port" --log "$TEST_WORK/reached"
	serve v6 $NET serve-count ::1 "$port" --log "$TEST_WORK/reached"
	for flags in "" --allow-host-loopback; do
		ok "$NETNS" add raw --slirp --ipv6 $flags
		for dst in 127.0.0.1 127.1.2.3 0.0.0.0 ::1 :: ::ffff:127.0.0.1 ::ffff:0.0.0.0; do
			ok in_ns raw $NET raw-syn "$dst" "$port"
		done
		sleep 1
		[ ! -s "$TEST_WORK/reached" ] ||
			fail "a raw SYN reached the host's loopback (${flags:-no flags}): $(cat "$TEST_WORK/reached")"
		[ -n "$flags" ] || ok "$NETNS" del raw
	done
	ok in_ns raw $NET raw-syn 10.0.2.2 "$port"
	wait_until 5 "[ -s '$TEST_WORK/reached' ]"
}

test_host_loopback_tcp_and_udp_with_allow_host_loopback() {
	port=$(free_port)
	serve tcp $NET serve-echo tcp 127.0.0.1 "$port"
	serve udp $NET serve-echo udp 127.0.0.1 "$port"
	ok "$NETNS" add web --slirp --allow-host-loopback
	ok in_ns web $NET echo-client tcp 10.0.2.2 "$port" hello-tcp
	assert_eq "$OUT" hello-tcp "TCP echo through 10.0.2.2"
	ok in_ns web $NET echo-client udp 10.0.2.2 "$port" hello-udp
	assert_eq "$OUT" hello-udp "UDP echo through 10.0.2.2"
}

test_ipv6_host_loopback_through_fd00_2() {
	port=$(free_port)
	serve tcp6 $NET serve-echo tcp ::1 "$port"
	serve udp6 $NET serve-echo udp ::1 "$port"
	ok "$NETNS" add open --slirp --ipv6 --allow-host-loopback
	ok in_ns open $NET echo-client tcp fd00::2 "$port" hello6
	assert_eq "$OUT" hello6 "TCP echo through fd00::2"
	ok in_ns open $NET echo-client udp fd00::2 "$port" hello6u
	assert_eq "$OUT" hello6u "UDP echo through fd00::2"
	ok "$NETNS" add closed --slirp --ipv6
	ok in_ns closed busybox ping -c 1 -W 2 fd00::2
	run in_ns closed $NET echo-client tcp fd00::2 "$port" hello6 --timeout 2
	[ "$RC" -ne 0 ] || fail "TCP to ::1 went through without --allow-host-loopback"
}

test_dns_through_10_0_2_3_and_fd00_3_reaches_the_hosts_resolver() {
	# A "host" of the test's own: a user, network and mount namespace where we may bind port
	# 53 on loopback and point resolv.conf at our responder. rootlet runs inside it.
	cat >"$TEST_WORK/dns.sh" <<-EOS
		set -e
		ip link set lo up
		printf 'nameserver 127.0.0.153\\nnameserver ::1\\n' >"$TEST_WORK/resolv.conf"
		mount --bind "$TEST_WORK/resolv.conf" /etc/resolv.conf
		$NET serve-dns rootlet-test.example 192.0.2.7 2001:db8::7 127.0.0.153 ::1 \\
			--ready "$TEST_WORK/dns.ready" &
		while [ ! -e "$TEST_WORK/dns.ready" ]; do sleep 0.05; done
		"$NETNS" add web --slirp --ipv6 2>/dev/null
		"$NETNS" exec web -- cat /etc/resolv.conf
		"$NETNS" exec web -- $NET dns-query rootlet-test.example 10.0.2.3
		"$NETNS" exec web -- $NET dns-query rootlet-test.example fd00::3 --aaaa
		! "$NETNS" exec web -- $NET dns-query unknown.example 10.0.2.3 2>/dev/null
		"$NETNS" del web
		kill %1
	EOS
	ok unshare --user --map-root-user --net --mount bash "$TEST_WORK/dns.sh"
	assert_match "$OUT" "nameserver 10\.0\.2\.3" "resolv.conf seen by exec"
	assert_match "$OUT" $'\n''192\.0\.2\.7'$'\n' "A record through 10.0.2.3"
	assert_match "$OUT" $'\n''2001:db8::7' "AAAA record through fd00::3"
}

test_exec_gets_the_slirp_resolv_conf_and_the_host_keeps_its_own() {
	before=$(sha256sum /etc/resolv.conf)
	ok "$NETNS" add web --slirp --ipv6
	ok in_ns web cat /etc/resolv.conf
	assert_eq "$OUT" $'nameserver 10.0.2.3\nnameserver fd00::3'
	assert_eq "$(sha256sum /etc/resolv.conf)" "$before" "host resolv.conf"
}

test_api_forwards_v4_v6_and_ephemeral_ports_add_list_remove() {
	ok "$NETNS" add web --slirp --ipv6
	sock=$ROOTLET_STATE_DIR/web/slirp.sock
	serve guest in_ns web $NET serve-echo tcp :: 80
	port=$(free_port)
	ok $NET api "$sock" "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\",\"host_addr\":\"127.0.0.1\",\"host_port\":$port,\"guest_port\":80}}"
	assert_eq "$(echo "$OUT" | jq -r .return.id)" 1 "first id"
	assert_eq "$(echo "$OUT" | jq -r .return.host_port)" "$port" "fixed port reported"
	ok $NET api "$sock" '{"execute":"add_hostfwd","arguments":{"proto":"tcp","host_addr":"::1","host_port":0,"guest_port":80}}'
	v6port=$(echo "$OUT" | jq -r .return.host_port)
	assert_match "$v6port" '^[1-9][0-9]*$' "ephemeral port chosen"
	ok $NET api "$sock" '{"execute":"add_hostfwd","arguments":{"proto":"tcp","host_addr":"127.0.0.1","host_port":0,"guest_addr":"10.0.2.100","guest_port":80}}'
	eport=$(echo "$OUT" | jq -r .return.host_port)
	ok $NET echo-client tcp 127.0.0.1 "$port" via-v4
	ok $NET echo-client tcp ::1 "$v6port" via-v6
	assert_eq "$OUT" via-v6 "echo through the IPv6 forward"
	ok $NET echo-client tcp 127.0.0.1 "$eport" via-ephemeral
	ok $NET api "$sock" '{"execute":"list_hostfwd"}'
	assert_eq "$(echo "$OUT" | jq -c '[.entries[] | [.id, .host_addr, .host_port, .guest_addr]]')" \
		"[[1,\"127.0.0.1\",$port,\"10.0.2.100\"],[2,\"::1\",$v6port,\"fd00::100\"],[3,\"127.0.0.1\",$eport,\"10.0.2.100\"]]"
	ok "$NETNS" show web --json
	assert_eq "$(echo "$OUT" | jq '.forwards | length')" 3 "forwards in show"
	ok $NET api "$sock" '{"execute":"remove_hostfwd","arguments":{"id":1}}'
	assert_eq "$OUT" '{"return":{}}'
	run $NET echo-client tcp 127.0.0.1 "$port" gone --timeout 2
	[ "$RC" -ne 0 ] || fail "the removed forward still forwards"
	ok $NET api "$sock" '{"execute":"list_hostfwd"}'
	assert_eq "$(echo "$OUT" | jq '.entries | length')" 2
}

test_udp_forward_through_the_api() {
	# libslirp 4.7 routes UDP forwards' replies through the host loopback it blocks otherwise.
	ok "$NETNS" add web --slirp --allow-host-loopback
	serve guest in_ns web $NET serve-echo udp 0.0.0.0 5353
	ok $NET api "$ROOTLET_STATE_DIR/web/slirp.sock" '{"execute":"add_hostfwd","arguments":{"proto":"udp","host_addr":"127.0.0.1","host_port":0,"guest_port":5353}}'
	port=$(echo "$OUT" | jq -r .return.host_port)
	ok $NET echo-client udp 127.0.0.1 "$port" dgram
	assert_eq "$OUT" dgram
}

test_large_transfer_through_a_forward_arrives_intact() {
	ok "$NETNS" add web --slirp
	serve sha in_ns web $NET serve-sha 0.0.0.0 8000
	ok $NET api "$ROOTLET_STATE_DIR/web/slirp.sock" '{"execute":"add_hostfwd","arguments":{"proto":"tcp","host_addr":"127.0.0.1","host_port":0,"guest_port":8000}}'
	port=$(echo "$OUT" | jq -r .return.host_port)
	ok $NET send-sha 127.0.0.1 "$port" 128
	assert_match "$OUT" "^[0-9a-f]{64} 134217728$" "sha256 and size seen by the guest"
}

# compat_run LINE...: the argv of an engine, run through fdrun with ready on 3 and exit on 4.
compat_check() {
	local name=$1 ready exitline port
	shift
	coproc FDRUN { $NET fdrun 3 4 -- "$@" 2>"$TEST_WORK/compat.err"; }
	read -r -t 15 ready <&"${FDRUN[0]}" || fail "no word from fdrun: $(cat "$TEST_WORK/compat.err")"
	assert_eq "$ready" ready "ready fd"
	ok $NET api "$TEST_WORK/api.sock" '{"execute":"add_hostfwd","arguments":{"proto":"tcp","host_addr":"127.0.0.1","host_port":0,"guest_port":80}}'
	port=$(echo "$OUT" | jq -r .return.host_port)
	ok $NET echo-client tcp 127.0.0.1 "$port" "through-$name"
	assert_eq "$OUT" "through-$name" "traffic with the $name argv"
	exec {FDRUN[1]}>&-
	read -r -t 15 exitline <&"${FDRUN[0]}" || fail "no exit from fdrun"
	assert_eq "$exitline" "exit 0" "status after the exit fd hung up"
}

test_podman_argv_works_ready_traffic_exit() {
	ok "$NETNS" add web
	serve guest in_ns web $NET serve-echo tcp 0.0.0.0 80
	# podman runs the helper as root of its user namespace, in the host netns.
	compat_check podman nsenter --preserve-credentials --user="$ROOTLET_STATE_DIR/web/user" \
		"$SLIRP" --disable-host-loopback --mtu=65520 --enable-sandbox --enable-seccomp \
		--enable-ipv6 -c -r 3 -e 4 --api-socket "$TEST_WORK/api.sock" --netns-type=path \
		"$ROOTLET_STATE_DIR/web/net" tap0
}

test_rootlesskit_argv_works_ready_traffic_exit() {
	ok "$NETNS" add web
	# rootlesskit configures the tap itself, from its child; here exec plays that part.
	(
		until "$NETNS" exec web -- ip link show tap0 >/dev/null 2>&1; do sleep 0.05; done
		"$NETNS" exec web -- sh -c 'ip link set tap0 up && ip addr add 10.0.2.100/24 dev tap0 &&
			ip route add default via 10.0.2.2'
	) &
	serve guest in_ns web $NET serve-echo tcp 0.0.0.0 80
	compat_check rootlesskit "$SLIRP" --mtu 65520 -r 3 -e 4 --disable-host-loopback \
		--api-socket "$TEST_WORK/api.sock" --userns-path="$ROOTLET_STATE_DIR/web/user" \
		--netns-type=path "$ROOTLET_STATE_DIR/web/net" tap0
}

test_malformed_api_requests_get_errors_and_traffic_goes_on() {
	ok "$NETNS" add web --slirp
	sock=$ROOTLET_STATE_DIR/web/slirp.sock
	serve guest in_ns web $NET serve-echo tcp 0.0.0.0 80
	ok $NET api "$sock" '{"execute":"add_hostfwd","arguments":{"proto":"tcp","host_addr":"127.0.0.1","host_port":0,"guest_port":80}}'
	port=$(echo "$OUT" | jq -r .return.host_port)
	# A connection that stays open across all the bad requests.
	exec {c}<>/dev/tcp/127.0.0.1/"$port"
	for req in 'not json' '{"foo":1}' '{"execute":"frob"}' '[1,2]' '{"execute":42}' \
		'{"execute":"add_hostfwd"}' \
		'{"execute":"add_hostfwd","arguments":{"proto":"tcp","host_port":"80","guest_port":80}}' \
		'{"execute":"add_hostfwd","arguments":{"proto":"sctp","host_port":1,"guest_port":80}}' \
		'{"execute":"add_hostfwd","arguments":{"proto":"tcp","host_port":65536,"guest_port":80}}' \
		'{"execute":"add_hostfwd","arguments":{"proto":"tcp","host_port":-1,"guest_port":80}}' \
		'{"execute":"add_hostfwd","arguments":{"proto":"tcp","host_port":1,"guest_port":0}}' \
		'{"execute":"add_hostfwd","arguments":{"proto":"tcp","host_addr":"1.2.3","host_port":1,"guest_port":80}}' \
		'{"execute":"add_hostfwd","arguments":{"proto":"tcp","host_port":1,"guest_addr":"fd00::100","guest_port":80}}' \
		'{"execute":"remove_hostfwd","arguments":{"id":99}}' \
		'{"execute":"remove_hostfwd","arguments":{"id":"x"}}' \
		'{"execute":"list_hostfwd","arguments":[]}'; do
		ok $NET api "$sock" "$req"
		assert_match "$OUT" '^\{"error":\{"desc":"bad request: .+"\}\}$' "reply to $req"
	done
	ok $NET api "$sock" 'x' --repeat $((1024 * 1024))
	assert_match "$OUT" '"error"' "reply to 1 MiB of garbage"
	# A client that never finishes is answered when its time is up; others are served meanwhile.
	bg silent $NET api "$sock" '{"execute":' --no-shutdown --timeout 15
	silent=$BG_PID
	ok $NET api "$sock" '{"execute":"list_hostfwd"}'
	assert_eq "$(echo "$OUT" | jq '.entries | length')" 1 "served beside a silent client"
	wait "$silent"
	assert_match "$(cat "$TEST_WORK/silent.out")" "timed out" "the silent client's reply"
	# The connection opened before is still forwarded.
	echo still-here >&$c
	read -r -t 5 line <&$c
	assert_eq "$line" still-here "echo on the long-lived connection"
	exec {c}>&-
}

test_bad_flags_and_missing_netns_fail_with_one_line_and_leave_nothing() {
	ok "$NETNS" add web
	net=$ROOTLET_STATE_DIR/web/net
	user=$ROOTLET_STATE_DIR/web/user
	for args in "--mtu 0 1 tap0" "--mtu 65522 1 tap0" "--mtu abc 1 tap0" \
		"--cidr 10.0.2.1/24 1" "--cidr 10.0.0.0/26 1" "--cidr 10.0.0.0/0 1" "--cidr nope 1" \
		"--netns-type foo 1" "--macaddress 01:00:00:00:00:01 -c 1" "--macaddress zz 1" \
		"--macaddress 02:00:00:00:00:01 1" "" "1 tap0 extra" "-r abc 1" "--bogus 1" \
		"--busy-poll 10001 1" "--busy-poll -1 1" "--target-type bess 1 tap0" \
		"--target-type nope 1 tap0"; do
		# In slirp4netns' form a usage error exits 1, as slirp4netns does.
		# shellcheck disable=SC2086
		refused 1 "$SLIRP" $args
	done
	# In the rootlet form (--netns NAME), 2, as every rootlet binary.
	for args in "--netns web 1" "--netns ../x" "--netns web --busy-poll 10001"; do
		# shellcheck disable=SC2086
		refused 2 "$SLIRP" $args
	done
	refused 1 "$SLIRP" -r 77 --netns-type=path "$net"
	assert_match "$ERR" "ready-fd 77 is not an open fd"
	refused 1 "$SLIRP" --netns-type=path --userns-path="$user" "$TEST_WORK/no-such-netns" tap0
	assert_match "$ERR" "no-such-netns"
	refused 1 "$SLIRP" 999999999 tap0
	refused 1 "$SLIRP" --netns nosuch
	refused 1 "$SLIRP" -a "$TEST_WORK/api.sock" --netns-type=path --userns-path=/etc/passwd "$net"
	assert_match "$ERR" "not a namespace"
	[ ! -e "$TEST_WORK/api.sock" ] || fail "a failed start left its API socket"
	ok "$NETNS" exec web -- ip -o link
	assert_no_match "$OUT" "tap0" "tap left in the netns"
}

test_sandbox_and_seccomp_are_in_force() {
	ok "$NETNS" add web --slirp
	pid=$(slirp_pid web)
	assert_eq "$(awk '/^Seccomp:/ {print $2}' /proc/$pid/status)" 2 "seccomp filter mode"
	assert_eq "$(awk '/^CapEff:/ {print $2}' /proc/$pid/status)" 0000000000000000 "CapEff"
	assert_eq "$(awk '/^NoNewPrivs:/ {print $2}' /proc/$pid/status)" 1 "no_new_privs"
	# The root holds /etc (and the directory resolv.conf links to, elsewhere), read-only:
	# bound as directories, so that a resolv.conf replaced by rename is seen.
	want=etc
	real=$(dirname "$(realpath /etc/resolv.conf)")
	case $real in /etc | /etc/*) ;; *) want=$(printf 'etc\n%s\n' "$(echo "$real" | cut -d/ -f2)" | sort -u) ;; esac
	assert_eq "$(mounts_of "$pid" | awk 'NR > 1 { split($1, c, "/"); print c[2] }' | sort -u)" \
		"$want" "the sandbox root's entries"
	assert_eq "$(awk '$5 == "/etc" { print $4 }' /proc/$pid/mountinfo)" /etc "/etc is the host's /etc"
	assert_match "$(awk '$5 == "/etc" { print $6 }' /proc/$pid/mountinfo)" "^ro," "/etc mount options"
	assert_match "$(mounts_of "$pid" | head -1)" "^/ ro," "the sandbox root is read-only"
	# And it still forwards.
	serve guest in_ns web $NET serve-echo tcp 0.0.0.0 80
	ok $NET api "$ROOTLET_STATE_DIR/web/slirp.sock" '{"execute":"add_hostfwd","arguments":{"proto":"tcp","host_addr":"127.0.0.1","host_port":0,"guest_port":80}}'
	ok $NET echo-client tcp 127.0.0.1 "$(echo "$OUT" | jq -r .return.host_port)" sandboxed
}

test_del_stops_slirp_and_its_socket_goes() {
	ok "$NETNS" add web --slirp
	pid=$(slirp_pid web)
	ok "$NETNS" del web
	[ ! -e /proc/$pid ] || grep -q '^State:.*Z' /proc/$pid/status || fail "rootlet-slirp $pid still runs"
	[ ! -e "$ROOTLET_STATE_DIR/web" ] || fail "entry left behind"
}

# del stops the holder first and rootlet-slirp then leaves its tap to the dying netns (it
# would otherwise wait out the device's unregistering in its exit); stopped alone, while the
# holder lives, it takes its tap with it, and a new rootlet-slirp makes a fresh one.
test_slirp_stopped_alone_takes_its_tap_and_a_new_one_starts() {
	ok "$NETNS" add web --slirp
	pid=$(slirp_pid web)
	kill -TERM "$pid"
	wait_until 10 "gone $pid"
	run "$NETNS" exec web -- ip -o link show tap0
	[ "$RC" -ne 0 ] || fail "tap0 left in the live netns: $OUT"
	bg slirp "$SLIRP" --netns web --configure
	wait_until 10 "'$NETNS' exec web -- ip -o addr show tap0 | grep -q 10.0.2.100"
	ok "$NETNS" del web
	ip -o link show | grep -q tap0 && fail "a tap0 landed in the host's netns"
	return 0
}

test_add_slirp_failure_leaves_nothing() {
	mkdir bin
	printf '#!/bin/sh\necho "fake slirp: broken on purpose" >&2\nexit 1\n' >bin/rootlet-slirp
	chmod +x bin/rootlet-slirp
	cp "$NETNS" "$BUILD/rootlet-netns-holder" bin/
	refused 1 bin/rootlet-netns add web --slirp
	assert_match "$ERR" "broken on purpose"
	[ ! -e "$ROOTLET_STATE_DIR/web" ] || fail "a failed add --slirp left its entry"
	assert_eq "$(live_holders)" 0 "holders left"
}

# lib/err: each layer puts what it was doing in front, and the line is printed once, by main().
test_a_failing_slirp_says_each_layer_in_one_line() {
	# 67: rootlet-netns lets it through, the kernel refuses a tap below 68.
	refused 1 "$NETNS" add web --slirp --mtu 67
	assert_eq "$ERR" "rootlet-netns: add web: starting rootlet-slirp: configuring tap0: Invalid argument"
	[ ! -e "$ROOTLET_STATE_DIR/web" ] || fail "a failed add --slirp left its entry"
}

test_help_names_every_flag_engines_look_for() {
	ok "$SLIRP" --help
	for flag in --netns-type --userns-path --enable-ipv6 --cidr --disable-host-loopback \
		--api-socket --enable-sandbox --enable-seccomp --mtu --outbound-addr --disable-dns \
		--configure --exit-fd --ready-fd --macaddress; do
		assert_match "$OUT" -- "$flag" "--help names $flag"
	done
	ok "$SLIRP" -v
	assert_match "$OUT" "^rootlet-slirp version [0-9.]+"$'\n'"commit: [0-9a-f]+"$'\n'"libslirp: [0-9.]+"$'\n'"SLIRP_CONFIG_VERSION_MAX: [0-9]+"$'\n'"libseccomp: [0-9.]+$"
	check_man_page rootlet-slirp
}

# A netns joining another's userns gets its rootlet-slirp once its holder is up (nothing to map).
test_add_slirp_into_a_joined_userns() {
	ok "$NETNS" add outer
	ok "$NETNS" path outer --user
	ok "$NETNS" add inner --userns "$OUT" --slirp
	ok "$NETNS" exec inner -- ip -br addr show tap0
	assert_match "$OUT" "10\.0\.2\.100/24" "inner's tap address"
	ok "$NETNS" show inner --json
	assert_eq "$(echo "$OUT" | jq -r '[.helpers[].name] | join(",")')" slirp "inner's helpers"
	ok "$NETNS" del inner
	ok "$NETNS" del outer
}

# Below MTU 16384 libslirp's segments to the guest are coalesced into TSO frames (slirp/gro.c):
# data into the netns over IPv4 and IPv6, through a forward and on the guest's own
# connections, and out of it over both, must arrive intact; the tap shows frames larger than
# the MTU.
test_mtu_1500_coalesced_transfers_arrive_intact() {
	ok "$NETNS" add web --slirp --mtu 1500 --ipv6 --allow-host-loopback
	serve sha in_ns web $NET serve-sha 0.0.0.0 8000
	ok $NET api "$ROOTLET_STATE_DIR/web/slirp.sock" '{"execute":"add_hostfwd","arguments":{"proto":"tcp","host_addr":"127.0.0.1","host_port":0,"guest_port":8000}}'
	ok $NET send-sha 127.0.0.1 "$(echo "$OUT" | jq -r .return.host_port)" 64
	p4=$(free_port)
	serve src4 $NET serve-source 127.0.0.1 "$p4" 64
	ok in_ns web $NET recv-sha 10.0.2.2 "$p4" 64
	p6=$(free_port)
	serve src6 $NET serve-source ::1 "$p6" 64
	ok in_ns web $NET recv-sha fd00::2 "$p6" 64
	ph=$(free_port)
	serve hsha $NET serve-sha 127.0.0.1 "$ph"
	ok in_ns web $NET send-sha 10.0.2.2 "$ph" 64
	# Out over IPv6 too: the guest's TSO frames over IPv6 were longer than the MTU, which
	# libslirp drops (review of issue 26's order guard: 14,400 bytes went, then nothing).
	ph6=$(free_port)
	serve hsha6 $NET serve-sha ::1 "$ph6"
	ok in_ns web timeout 60 $NET send-sha fd00::2 "$ph6" 64
	ok in_ns web ip -j -s link show tap0
	avg=$(echo "$OUT" | jq '.[0].stats64.rx.bytes / .[0].stats64.rx.packets | floor')
	[ "$avg" -gt 1500 ] || fail "frames into the netns average $avg bytes: not coalesced"
}

# tap0's frame counters in the netns NAME: "RX TX".
tap_packets() {
	ok in_ns "$1" ip -j -s link show tap0
	echo "$OUT" | jq -r '"\(.[0].stats64.rx.packets) \(.[0].stats64.tx.packets)"'
}

# libslirp's pure ACKs to the guest are merged when a later one acknowledges more (slirp/gro.c):
# at the default MTU the guest's TCP keeps two segments in flight, both read in one round, so
# data out of the netns, over IPv4 and IPv6, arrives intact with about half as many frames in.
test_acks_to_the_guest_merge_and_data_out_arrives_intact() {
	local rx0 tx0 rx1 tx1
	ok "$NETNS" add web --slirp --ipv6 --allow-host-loopback
	p4=$(free_port)
	serve sha4 $NET serve-sha 127.0.0.1 "$p4"
	p6=$(free_port)
	serve sha6 $NET serve-sha ::1 "$p6"
	read -r rx0 tx0 <<<"$(tap_packets web)"
	ok in_ns web $NET send-sha 10.0.2.2 "$p4" 64
	ok in_ns web $NET send-sha fd00::2 "$p6" 64
	read -r rx1 tx1 <<<"$(tap_packets web)"
	[ $(((rx1 - rx0) * 4)) -lt $(((tx1 - tx0) * 3)) ] ||
		fail "$((rx1 - rx0)) frames into the netns for $((tx1 - tx0)) out: ACKs not merged"
	# --busy-poll (50 us by default) ends with the traffic: idle, the helper sleeps.
	pid=$(slirp_pid web)
	ticks=$(cpu_ticks "$pid")
	sleep 1
	[ $(($(cpu_ticks "$pid") - ticks)) -le 1 ] || fail "CPU used while idle: $(($(cpu_ticks "$pid") - ticks)) ticks in 1 s"
}

# gone PID: the process has ended (a zombie not yet reaped by init counts as ended).
gone() {
	! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

# Nothing outlives its netns: however the holder ends, the helpers end with it, and after gc
# no helper, port or entry of it is left.
test_helpers_end_with_their_holder() {
	for sig in TERM KILL; do
		port=$(free_port)
		ok "$NETNS" add web --slirp --publish "127.0.0.1:$port:80"
		spid=$(slirp_pid web)
		ppid=$(cut -d' ' -f1 "$ROOTLET_STATE_DIR/web/portfwd.pid")
		slirp_hostfwd web tcp 80
		sport=$HOST_PORT
		kill -"$sig" "$(holder_pid web)"
		wait_until 10 "gone $spid"
		wait_until 10 "gone $ppid"
		ok "$NETNS" gc
		[ ! -e "$ROOTLET_STATE_DIR/web" ] || fail "SIG$sig: entry left after gc"
		for p in $port $sport; do
			ss -Hltn "sport = :$p" | grep -q . && fail "SIG$sig: port $p still bound"
		done
	done
	return 0
}

# libslirp's own choices for forward sockets, undone: its UDP socket's SO_REUSEADDR (another
# user could take the port) and its TCP listener's backlog of 1 (connections arriving
# together were dropped).
test_udp_forward_sockets_are_not_shareable() {
	ok "$NETNS" add web --slirp --allow-host-loopback
	sock=$ROOTLET_STATE_DIR/web/slirp.sock
	serve udp in_ns web $NET serve-echo udp 0.0.0.0 5353
	slirp_hostfwd web udp 5353
	uport=$HOST_PORT
	run $NET steal-udp 127.0.0.1 "$uport"
	assert_eq "$OUT" "steal-udp: Address already in use" "second bind of the UDP forward's port"
	ok $NET echo-client udp 127.0.0.1 "$uport" still-ours
	run $NET api "$sock" "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"udp\",\"host_addr\":\"127.0.0.1\",\"host_port\":$uport,\"guest_port\":5353}}"
	assert_match "$OUT" '"error"' "one UDP port forwarded twice"
}

test_forward_listeners_take_a_full_backlog() {
	ok "$NETNS" add web --slirp
	serve tcp in_ns web $NET serve-echo tcp 0.0.0.0 80
	slirp_hostfwd web tcp 80
	assert_eq "$(ss -Hltn "sport = :$HOST_PORT" | awk '{ print $3 }')" 1024 "listen backlog"
	ok $NET many-echo 127.0.0.1 "$HOST_PORT" 200
}

# A UDP forward on 127.0.0.1 with host loopback disabled, asked for as docker's slirp4netns
# port driver asks (rootlesskit always passes --disable-host-loopback): taken, as slirp4netns
# takes it, and the host's datagrams arrive in the guest.
test_udp_forward_on_loopback_without_host_loopback_delivers_datagrams() {
	local port
	ok "$NETNS" add web
	bg slirp nsenter --preserve-credentials --user="$ROOTLET_STATE_DIR/web/user" \
		"$SLIRP" -c --disable-host-loopback --api-socket "$TEST_WORK/api.sock" \
		--netns-type=path "$ROOTLET_STATE_DIR/web/net" tap0
	wait_until 10 "[ -S '$TEST_WORK/api.sock' ]"
	cat >"$TEST_WORK/sink.py" <<-'PY'
		import socket, sys
		s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
		s.bind(("0.0.0.0", 5514))
		open(sys.argv[1], "w").close()
		with open(sys.argv[2], "a") as out:
		    while True:
		        out.write(s.recv(512).decode() + "\n")
		        out.flush()
	PY
	bg sink "$NETNS" exec web -- python3 "$TEST_WORK/sink.py" "$TEST_WORK/sink.ready" "$TEST_WORK/got"
	wait_until 10 "[ -e '$TEST_WORK/sink.ready' ]"
	port=$(free_port)
	ok $NET api "$TEST_WORK/api.sock" "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"udp\",\"host_addr\":\"127.0.0.1\",\"host_port\":$port,\"guest_addr\":\"10.0.2.100\",\"guest_port\":5514}}"
	assert_eq "$(echo "$OUT" | jq -r .return.id)" 1 "docker's request: $OUT"
	for i in 1 2 3; do
		python3 -c 'import socket, sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(sys.argv[1].encode(), ("127.0.0.1", int(sys.argv[2])))' "syslog $i" "$port"
	done
	wait_until 5 "[ \$(wc -l <'$TEST_WORK/got') -ge 3 ]"
	assert_eq "$(cat "$TEST_WORK/got")" $'syslog 1\nsyslog 2\nsyslog 3' "datagrams in the guest"
	ok $NET api "$TEST_WORK/api.sock" '{"execute":"add_hostfwd","arguments":{"proto":"udp","host_addr":"127.0.0.53","host_port":0,"guest_port":53}}'
	assert_match "$OUT" '"return"' "UDP on 127.0.0.53"
}

# API requests that trickle in cost the helper time linear in their bytes (each byte looked at
# once), not a parse of the whole buffer on every read: 16 clients sending 48 KiB each in
# 64-byte pieces over 3 s are all answered for well under half a second of the helper's CPU
# (re-parsing took seconds).
test_trickled_api_requests_cost_linear_time() {
	ok "$NETNS" add web --slirp
	pid=$(slirp_pid web)
	before=$(cpu_ticks "$pid")
	ok $NET api-drip "$ROOTLET_STATE_DIR/web/slirp.sock" 16 49152 --chunk 64 --seconds 3
	used=$(($(cpu_ticks "$pid") - before))
	echo "helper CPU: $used ticks"
	[ "$used" -lt 50 ] || fail "the helper used $used ticks (0.01 s each) on trickled requests"
}

# slirp_noloop NAME: rootlet-slirp on NAME as rootlesskit runs it for docker (host loopback
# disabled, sandbox and seccomp on), its API socket in the test's directory.
slirp_noloop() {
	bg slirp nsenter --preserve-credentials --user="$ROOTLET_STATE_DIR/$1/user" \
		"$SLIRP" -c --disable-host-loopback --enable-sandbox --enable-seccomp \
		--api-socket "$TEST_WORK/api.sock" \
		--netns-type=path "$ROOTLET_STATE_DIR/$1/net" tap0
	wait_until 10 "[ -S '$TEST_WORK/api.sock' ]"
}

# The same forward answers: a request-reply client on the host's loopback (DNS, say) gets the
# guest's replies, which libslirp 4.7 dropped (slirp4netns 1.2 drops them too).
test_udp_forward_on_loopback_without_host_loopback_answers_its_clients() {
	local port
	ok "$NETNS" add web
	slirp_noloop web
	serve guest in_ns web $NET serve-echo udp 0.0.0.0 5353
	ok $NET api "$TEST_WORK/api.sock" '{"execute":"add_hostfwd","arguments":{"proto":"udp","host_addr":"127.0.0.1","host_port":0,"guest_addr":"10.0.2.100","guest_port":5353}}'
	port=$(echo "$OUT" | jq -r .return.host_port)
	ok $NET echo-client udp 127.0.0.1 "$port" first-client
	assert_eq "$OUT" first-client "reply through the forward"
	ok $NET echo-client udp 127.0.0.1 "$port" second-client
	assert_eq "$OUT" second-client "a second client's reply"
	run $NET steal-udp 127.0.0.1 "$port"
	assert_eq "$OUT" "steal-udp: Address already in use" "second bind of the forward's port"
	ok $NET api "$TEST_WORK/api.sock" '{"execute":"list_hostfwd"}'
	assert_eq "$(echo "$OUT" | jq -c '[.entries[] | [.proto, .host_addr, .host_port, .guest_port]]')" \
		"[[\"udp\",\"127.0.0.1\",$port,5353]]"
	ok $NET api "$TEST_WORK/api.sock" '{"execute":"remove_hostfwd","arguments":{"id":1}}'
	run $NET echo-client udp 127.0.0.1 "$port" gone --timeout 2
	[ "$RC" -ne 0 ] || fail "the removed forward still answers"
}

# The reply path opens the host's loopback to nothing else: from the forward's own guest port,
# a datagram to another loopback port (a UDP echo server of the host's) goes nowhere, while
# the forward's client gets its reply.
test_udp_loopback_forward_replies_reach_only_its_clients() {
	local port hport
	hport=$(free_port)
	serve hostecho $NET serve-echo udp 127.0.0.1 "$hport"
	ok "$NETNS" add web
	slirp_noloop web
	cat >"$TEST_WORK/guest.py" <<-'PY'
		import socket, sys
		s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
		s.bind(("0.0.0.0", 6000))
		open(sys.argv[1], "w").close()
		data, peer = s.recvfrom(512)
		s.sendto(data + b"-back", peer)
		for port in (int(sys.argv[2]), peer[1] + 1):
		    s.sendto(b"leak", ("10.0.2.2", port))
		s.settimeout(2)
		try:
		    print("reached", s.recvfrom(512))
		except socket.timeout:
		    print("silent")
	PY
	bg guest "$NETNS" exec web -- python3 "$TEST_WORK/guest.py" "$TEST_WORK/guest.ready" "$hport"
	wait_until 10 "[ -e '$TEST_WORK/guest.ready' ]"
	ok $NET api "$TEST_WORK/api.sock" '{"execute":"add_hostfwd","arguments":{"proto":"udp","host_addr":"127.0.0.1","host_port":0,"guest_port":6000}}'
	port=$(echo "$OUT" | jq -r .return.host_port)
	ok python3 -c 'import socket, sys
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
c.settimeout(5)
c.sendto(b"hi", ("127.0.0.1", int(sys.argv[1])))
print(c.recv(512).decode())' "$port"
	assert_eq "$OUT" hi-back "the client's reply"
	wait_until 5 "grep -q . '$TEST_WORK/guest.out'"
	assert_eq "$(cat "$TEST_WORK/guest.out")" silent "the guest's datagrams to other loopback ports"
}

# One IPv4 fragment from the guest (offset 8 bytes, MF clear, nothing before it: 42 bytes on
# the wire) made libslirp 4.7's reassembly crash the helper, and with it the network of every
# container sharing it. Fragments never reach libslirp: the helper lives on and still answers,
# for each protocol number and for IPv6's Fragment header too.
test_a_lone_ip_fragment_from_the_guest_leaves_slirp_running() {
	local pid frag state
	ok "$NETNS" add web --slirp --ipv6
	pid=$(slirp_pid web)
	for frag in "10.0.2.2 53 --offset 1" "10.0.2.3 53 --offset 1 --more" "fd00::2 53 --offset 1"; do
		ok in_ns web $NET raw-frag $frag
		sleep 0.5
		state=$(awk '$1 == "State:" { print $2 }' "/proc/$pid/status" 2>/dev/null)
		[ -n "$state" ] && [ "$state" != Z ] ||
			fail "rootlet-slirp died after one IP fragment from the guest ($frag)"
	done
	ok in_ns web busybox ping -c 1 -W 2 10.0.2.2
}

# A client of the forward that sent from a port and closed its socket leaves the port to
# whoever binds it next: another user's loopback-only service. The guest's datagram to that
# port must not reach it (clients were known by port alone for 240 s, and the service's
# answers, taken for a client's datagrams, kept the way open): a reply goes only to the very
# socket that sent to the forward.
test_udp_loopback_forward_replies_never_reach_a_later_owner_of_a_clients_port() {
	local port cport
	cport=$(free_port)
	ok "$NETNS" add web
	slirp_noloop web
	bg guest "$NETNS" exec web -- $NET udp-echo-leak 0.0.0.0 6000 --ready "$TEST_WORK/guest.ready" --go "$TEST_WORK/go"
	wait_until 10 "[ -e '$TEST_WORK/guest.ready' ]"
	ok $NET api "$TEST_WORK/api.sock" '{"execute":"add_hostfwd","arguments":{"proto":"udp","host_addr":"127.0.0.1","host_port":0,"guest_port":6000}}'
	port=$(echo "$OUT" | jq -r .return.host_port)
	ok $NET udp-from 127.0.0.1 "$port" hi --bind-port "$cport"
	assert_eq "$OUT" hi-back "the client's reply"
	# The client is gone; a service that answers whatever it hears takes its port.
	bg victim $NET udp-answer-all 127.0.0.1 "$cport" --ready "$TEST_WORK/victim.ready"
	wait_until 5 "[ -e '$TEST_WORK/victim.ready' ]"
	touch "$TEST_WORK/go"
	wait_until 5 "grep -q . '$TEST_WORK/guest.out'"
	assert_eq "$(cat "$TEST_WORK/guest.out")" silent "the guest's datagram to the client's old port"
	[ ! -s "$TEST_WORK/victim.out" ] || fail "the port's new owner heard the guest: $(cat "$TEST_WORK/victim.out")"
}

# TCP and UDP from the guest to the slirp network's own address and broadcast (10.0.2.0,
# 10.0.2.255) went out of libslirp's host sockets by the host's routes; so did TCP to them as
# IPv4-mapped IPv6 addresses (::ffff:10.0.2.255, a fourth outside attack). Here the "host" is a
# network namespace of the test's own (unshare -rn) that has both addresses on lo, with a
# listener on each protocol: nothing reaches them. The guest's netns is a child of it.
test_frames_to_the_slirp_networks_own_and_broadcast_addresses_go_nowhere() {
	cat >"$TEST_WORK/edge.sh" <<-'SH'
		slirp=$1 net=$2 w=$3
		trap 'kill $(jobs -p) 2>/dev/null' EXIT
		exec 3>&2 >"$w/edge.log" 2>&1
		ip link set lo up
		ip addr add 10.0.2.255/32 dev lo
		ip addr add 10.0.2.0/32 dev lo
		python3 "$net" serve-count 0.0.0.0 7777 --log "$w/reached" --ready "$w/tcp.ready" &
		python3 -c 'import socket, sys
		s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
		s.bind(("0.0.0.0", 7778))
		open(sys.argv[2], "w").close()
		while True:
		    d, peer = s.recvfrom(512)
		    open(sys.argv[1], "a").write("udp from %s\n" % peer[0])' "$w/reached" "$w/udp.ready" &
		unshare -n sleep 60 &
		guest=/proc/$!/ns/net
		# until unshare has run, that path is still this netns: slirp would put tap0 here
		while [ "$(readlink "$guest")" = "$(readlink /proc/self/ns/net)" ]; do sleep 0.01; done
		"$slirp" -c --enable-ipv6 --netns-type=path "$guest" tap0 >"$w/edge-slirp.out" 2>&1 &
		# CI's two cores may be busy with the rest of the suite: wait long, and say so if not ready
		ready=
		for i in $(seq 300); do
			[ -e "$w/tcp.ready" ] && [ -e "$w/udp.ready" ] &&
				nsenter --net="$guest" ip -4 addr show tap0 | grep -q 10.0.2.100 && ready=1 && break
			sleep 0.1
		done
		[ -n "$ready" ] || { echo "listeners or rootlet-slirp not ready after 30 s: $(cat "$w/edge-slirp.out")" >&3; exit 1; }
		for dst in 10.0.2.255 10.0.2.0; do
			nsenter --net="$guest" python3 "$net" raw-syn "$dst" 7777 --count 2
			nsenter --net="$guest" python3 "$net" raw-frag "$dst" 7778 --size 16
			# the same IPv4 address, IPv4-mapped in IPv6 (libslirp's IPv6 socket reaches it)
			nsenter --net="$guest" python3 "$net" raw-syn "::ffff:$dst" 7777 --count 2
		done
		# the same to the gateway: the tools and the path work
		nsenter --net="$guest" python3 "$net" raw-frag 10.0.2.2 7778 --size 16
		# the frames before it took the same path: once it is heard, a second more lets any late one land
		for i in $(seq 150); do
			grep -q . "$w/reached" 2>/dev/null && break
			sleep 0.1
		done
		sleep 1
	SH
	ok unshare -rn bash "$TEST_WORK/edge.sh" "$SLIRP" "$TOP/tests/integration/tools/net.py" "$TEST_WORK"
	assert_eq "$(cat "$TEST_WORK/reached")" "udp from 127.0.0.1" "what reached the host's listeners"
}

# Seventh outside attack: libslirp logs a line for every ICMPv6 echo request to an outside
# address ("external icmpv6 not supported yet"), and slirp.log lives in the user's runtime
# directory, a tmpfs: 50,000 echoes wrote 2.8 MB of it. libslirp's lines are logged ten a
# second at most, and how many were left out once: 3000 echoes in a few seconds write no more
# than 50 lines (the total bound alone would let 100 through).
test_a_guest_cannot_grow_slirps_log_by_what_libslirp_complains_of() {
	local lines
	ok "$NETNS" add web --slirp --ipv6
	ok "$NETNS" exec web -- python3 -c '
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
for i in range(3000):
    s.sendto(bytes([128, 0, 0, 0, 0, 7, i >> 8 & 255, i & 255]) + b"x" * 8, ("2001:db8::1", 0))'
	sleep 1
	lines=$(grep -c icmpv6 "$ROOTLET_STATE_DIR/web/slirp.log")
	# the echoes did reach libslirp, which said so
	[ "$lines" -ge 1 ] || fail "libslirp said nothing of the echoes: $(tail -3 "$ROOTLET_STATE_DIR/web/slirp.log")"
	[ "$lines" -le 50 ] || fail "slirp.log took $lines lines for 3000 echoes"
}

# Eighth outside attack: the limit was a rate alone, so a guest pinging the outside for as long
# as it liked grew slirp.log by ten lines a second, 2.6 MB an hour. After 100 of libslirp's
# lines only how many were left out is said, once an hour: 15 s of echoes (150 lines at the
# rate alone) write no more than 100 of them.
test_a_guest_pinging_for_ever_grows_slirps_log_no_further_than_a_bound() {
	local lines
	ok "$NETNS" add web --slirp --ipv6
	ok "$NETNS" exec web -- python3 -c '
import socket, time
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
end, i = time.monotonic() + 15, 0
while time.monotonic() < end:
    s.sendto(bytes([128, 0, 0, 0, 0, 7, i >> 8 & 255, i & 255]) + b"x" * 8, ("2001:db8::1", 0))
    i += 1
    time.sleep(0.01)'
	lines=$(grep -c "icmpv6 not supported" "$ROOTLET_STATE_DIR/web/slirp.log")
	[ "$lines" -ge 1 ] || fail "libslirp said nothing of the echoes: $(tail -3 "$ROOTLET_STATE_DIR/web/slirp.log")"
	[ "$lines" -le 100 ] || fail "slirp.log took $lines of libslirp's lines for 15 s of echoes"
	assert_match "$(cat "$ROOTLET_STATE_DIR/web/slirp.log")" "from now on only how many more"
}
