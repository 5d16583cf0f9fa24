# rootlesskit 1.1 with --slirp4netns-binary at the helper, both port drivers, and k3s's own
# invocation (the slirp4netns binary found in PATH, the slirp4netns port driver).

# rk NAME FLAGS...: rootlesskit in the background running an echo service inside (TCP 80 and
# UDP 53 on every address); returns once its API socket answers.
rk() {
	local name=$1
	shift
	cat >"$TEST_WORK/inside.sh" <<-EOF
		$NET serve-echo tcp :: 80 &
		$NET serve-echo udp :: 5353 &
		# With --ipv6 the address comes by router advertisement: wait for it.
		for i in \$(seq 50); do [ -z "${WAIT6:-}" ] || ip -o addr | grep -q 'inet6 fd00' && break; sleep 0.1; done
		# Written whole, then renamed: a reader never sees the addresses without the link.
		{ ip -o addr; ip -o link show tap0; } >$TEST_WORK/$name.addr.tmp
		mv $TEST_WORK/$name.addr.tmp $TEST_WORK/$name.addr
		wait
	EOF
	bg "$name" rootlesskit --state-dir="$TEST_WORK/$name" --net=slirp4netns "$@" \
		bash "$TEST_WORK/inside.sh"
	echo "$BG_PID" >>"$TEST_WORK/rootlesskit.pids"
	wait_until 20 "rootlessctl --socket '$TEST_WORK/$name/api.sock' info"
	wait_until 10 "[ -s '$TEST_WORK/$name.addr' ]"
}

# listed LIST PROTO ADDR PORT: rootlessctl list-ports shows that forward.
listed() {
	echo "$1" | awk -v proto="$2" -v addr="$3" -v port="$4" \
		'$2 == proto && $3 == addr && $4 == port { found = 1 } END { exit !found }' ||
		fail "list-ports lacks $2 $3:$4: $1"
}

ctl() {
	local name=$1
	shift
	ok rootlessctl --socket "$TEST_WORK/$name/api.sock" "$@"
}

test_rootlesskit_builtin_port_driver_add_list_remove() {
	rk b1 --slirp4netns-binary="$ENG_SLIRP" --port-driver=builtin --disable-host-loopback
	p=$(free_ports 2)
	ctl b1 add-ports "127.0.0.1:$p:80/tcp" "127.0.0.1:$((p + 1)):5353/udp"
	reaches tcp 127.0.0.1 "$p"
	reaches udp 127.0.0.1 $((p + 1))
	ctl b1 list-ports
	listed "$OUT" tcp 127.0.0.1 "$p"
	listed "$OUT" udp 127.0.0.1 $((p + 1))
	id=$(echo "$OUT" | awk -v p="$p" '$2 == "tcp" && $4 == p { print $1 }')
	ctl b1 remove-ports "$id"
	unreached tcp 127.0.0.1 "$p"
}

test_rootlesskit_slirp4netns_port_driver_with_sandbox_and_seccomp() {
	for sandbox in auto true; do
		rk "s$sandbox" --slirp4netns-binary="$ENG_SLIRP" --port-driver=slirp4netns \
			--slirp4netns-sandbox="$sandbox" --slirp4netns-seccomp="$sandbox"
		p=$(free_port)
		ctl "s$sandbox" add-ports "127.0.0.1:$p:80/tcp"
		reaches tcp 127.0.0.1 "$p"
		ctl "s$sandbox" list-ports
		listed "$OUT" tcp 127.0.0.1 "$p"
		ctl "s$sandbox" remove-ports 1
		unreached tcp 127.0.0.1 "$p"
		pid=$(pgrep -u "$(id -u)" -n -f -- "^$ENG_SLIRP ")
		assert_eq "$(awk '/^Seccomp:/ {print $2}' "/proc/$pid/status")" 2 "seccomp in force"
	done
}

test_rootlesskit_ipv6_gives_the_netns_fd00() {
	WAIT6=1 rk v6 --slirp4netns-binary="$ENG_SLIRP" --port-driver=builtin --ipv6
	assert_match "$(cat "$TEST_WORK/v6.addr")" "inet6 fd00::" "IPv6 inside"
	p=$(free_port)
	ctl v6 add-ports "[::1]:$p:80/tcp"
	reaches tcp ::1 "$p"
}

# k3s rootless: rootlesskit runs "slirp4netns" from PATH with these flags and the slirp4netns
# port driver. The rootless Kubernetes node's networking, on rootlet-slirp.
test_k3s_invocation_through_path() {
	mkdir bin
	ln -s "$ENG_SLIRP" bin/slirp4netns
	PATH=$TEST_WORK/bin:$PATH rk k3s --cidr 10.41.0.0/16 --disable-host-loopback --mtu 1500 \
		--port-driver=slirp4netns --slirp4netns-sandbox=auto --slirp4netns-seccomp=auto
	assert_match "$(cat "$TEST_WORK/k3s.addr")" "inet 10\.41\.0\.100/16" "k3s's cidr inside"
	assert_match "$(cat "$TEST_WORK/k3s.addr")" "mtu 1500" "k3s's MTU"
	pgrep -u "$(id -u)" -f -- "^slirp4netns .*--cidr" >/dev/null ||
		fail "rootlesskit did not run the slirp4netns of PATH"
	p=$(free_ports 2)
	ctl k3s add-ports "127.0.0.1:$p:80/tcp" "0.0.0.0:$((p + 1)):80/tcp"
	reaches tcp 127.0.0.1 "$p"
	reaches tcp 127.0.0.1 $((p + 1))
	ctl k3s remove-ports 1
	unreached tcp 127.0.0.1 "$p"
	reaches tcp 127.0.0.1 $((p + 1))
	# UDP: libslirp answers a loopback client only with host loopback allowed, which k3s
	# turns off; a forward on every address serves the node's other clients, and is listed
	# and removed as with slirp4netns. (rootlet-slirp refuses one on loopback alone.)
	u=$(free_port)
	ctl k3s add-ports "0.0.0.0:$u:5353/udp"
	ctl k3s list-ports
	listed "$OUT" udp 0.0.0.0 "$u"
	id=$(echo "$OUT" | awk -v p="$u" '$2 == "udp" && $4 == p { print $1 }')
	ctl k3s remove-ports "$id"
	ctl k3s list-ports
	echo "$OUT" | awk -v p="$u" '$4 == p { exit 1 }' || fail "UDP forward still listed"
}
