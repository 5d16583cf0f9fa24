# podman -p through both port handlers: rootlessport (rootlet-portfwd under that name, found
# through CONTAINERS_HELPER_BINARY_DIR) and slirp4netns (rootlet-slirp's add_hostfwd API).

RK=slirp4netns:port_handler=rootlesskit
SL=slirp4netns:port_handler=slirp4netns

# The same echo service on TCP (and UDP) inside; PORTS... published.
publish_echo() {
	local name=$1 net=$2 proto=${3:-tcp} port=${4:-80}
	shift 4
	prun "$name" --network "$net" "$@" "$ENG_IMAGE" $(echo_server "$proto" "$port")
}

test_rootlessport_tcp_udp_range_and_random_port() {
	base=$(free_ports 4)
	prun tcp1 --network $RK -p "127.0.0.1:$base:80" -p "127.0.0.1:$((base + 1))-$((base + 2)):81-82" \
		-p 127.0.0.1::83 "$ENG_IMAGE" sh -c "for p in 80 81 82 83; do $CNET serve-echo tcp :: \$p & done; wait"
	reaches tcp 127.0.0.1 "$base"
	reaches tcp 127.0.0.1 $((base + 1))
	reaches tcp 127.0.0.1 $((base + 2))
	ok podman port tcp1 83
	random=${OUT##*:}
	assert_match "$random" '^[1-9][0-9]*$' "podman port shows the random host port"
	reaches tcp 127.0.0.1 "$random"
	uport=$(free_port)
	publish_echo udp1 $RK udp 9999 -p "127.0.0.1:$uport:9999/udp"
	reaches udp 127.0.0.1 "$uport"
}

test_rootlessport_wildcard_is_dual_stack_and_ipv6_hosts_work() {
	p=$(free_ports 4)
	publish_echo dual1 $RK tcp 80 -p "$p:80" -p "0.0.0.0:$((p + 1)):80" -p "[::]:$((p + 2)):80" \
		-p "[::1]:$((p + 3)):80"
	for port in $p $((p + 1)) $((p + 2)); do
		reaches tcp 127.0.0.1 "$port"
		reaches tcp ::1 "$port"
	done
	reaches tcp ::1 $((p + 3))
	unreached tcp 127.0.0.1 $((p + 3))
	u=$(free_port)
	publish_echo dualudp $RK udp 9999 -p "$u:9999/udp"
	reaches udp 127.0.0.1 "$u"
	reaches udp ::1 "$u"
}

test_slirp_port_handler_tcp_udp_range_and_random_port() {
	base=$(free_ports 4)
	# libslirp's UDP forwards answer only with host loopback allowed (TESTING-NOTES.md).
	prun sl1 --network $SL,allow_host_loopback=true -p "127.0.0.1:$base:80" \
		-p "$((base + 1))-$((base + 2)):81-82" -p "127.0.0.1:$((base + 3)):9999/udp" \
		"$ENG_IMAGE" sh -c "for p in 80 81 82; do $CNET serve-echo tcp :: \$p & done
			$CNET serve-echo udp 0.0.0.0 9999 & wait"
	reaches tcp 127.0.0.1 "$base"
	reaches tcp 127.0.0.1 $((base + 1))
	reaches tcp 127.0.0.1 $((base + 2))
	reaches udp 127.0.0.1 $((base + 3))
	prun sl2 --network $SL -p 127.0.0.1::80 "$ENG_IMAGE" $(echo_server tcp 80)
	ok podman port sl2 80
	reaches tcp 127.0.0.1 "${OUT##*:}"
}

test_slirp_port_handler_refuses_an_ipv6_host_without_ipv6() {
	p=$(free_port)
	echo sl6 >>"$TEST_WORK/containers"
	run podman run -d --name sl6 --network $SL,enable_ipv6=false -p "[::1]:$p:80" \
		"${ENG_RUN_OPTS[@]}" "$ENG_IMAGE" $(echo_server tcp 80)
	[ "$RC" -ne 0 ] || fail "an IPv6 host address with an IPv4-only guest was accepted"
	assert_match "$ERR" "bad arguments\.host_addr" "podman's error"
}

test_sixty_five_mappings_with_both_handlers() {
	for net in $RK $SL; do
		# Host ports two apart, so that podman cannot merge them into one range.
		base=$(free_ports 130)
		args=()
		for i in $(seq 0 64); do
			args+=(-p "127.0.0.1:$((base + 2 * i)):$((1000 + i))")
		done
		name=many${net##*=}
		prun "$name" --network "$net" "${args[@]}" "$ENG_IMAGE" \
			sh -c "for i in \$(seq 1000 1064); do $CNET serve-echo tcp :: \$i & done; wait"
		reaches tcp 127.0.0.1 "$base"
		reaches tcp 127.0.0.1 $((base + 128))
		ok podman rm -f -t 0 "$name"
	done
}

test_pod_with_a_published_port_and_container_restart() {
	for net in $RK $SL; do
		p=$(free_port)
		pod=pod${net##*=}
		echo "$pod" >>"$TEST_WORK/pods"
		ok podman pod create --name "$pod" --network "$net" -p "127.0.0.1:$p:80"
		prun "${pod}c" --pod "$pod" "$ENG_IMAGE" $(echo_server tcp 80)
		reaches tcp 127.0.0.1 "$p"
		ok podman pod rm -f -t 0 "$pod"
		p=$(free_port)
		prun "re${net##*=}" --network "$net" -p "127.0.0.1:$p:80" "$ENG_IMAGE" $(echo_server tcp 80)
		reaches tcp 127.0.0.1 "$p"
		ok podman restart -t 0 "re${net##*=}"
		reaches tcp 127.0.0.1 "$p"
	done
}

# Beyond slirp4netns (1.2 refuses every IPv6 host address): with IPv6 on, an IPv6 host address
# forwards to the guest's fd00::100, and the IPv4 one beside it still works.
test_slirp_port_handler_ipv6_host_with_ipv6_enabled() {
	[ -z "${ENGINES_REFERENCE:-}" ] ||
		skip "slirp4netns 1.2 refuses IPv6 host addresses in add_hostfwd (rootlet's addition)"
	p=$(free_ports 2)
	prun sl6ok --network $SL,enable_ipv6=true -p "[::1]:$p:80" -p "127.0.0.1:$((p + 1)):80" \
		"$ENG_IMAGE" $(echo_server tcp 80)
	reaches tcp ::1 "$p"
	reaches tcp 127.0.0.1 $((p + 1))
}
