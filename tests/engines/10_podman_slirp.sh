# podman 4.3 with network_cmd_path at rootlet-slirp: --network slirp4netns:OPTIONS, as users
# write them. Each scenario passes against slirp4netns too (ENGINES_REFERENCE=1).

# pin ARGS...: podman run --rm of net.py inside a container; its output in OUT.
pin() {
	local net=$1
	shift
	run podman run --rm --network "$net" "${ENG_RUN_OPTS[@]}" "$ENG_IMAGE" \
		python3 "$TOP/tests/integration/tools/net.py" "$@"
}

test_podman_info_reports_the_helpers_version() {
	ok podman info --format '{{.Host.Slirp4NetNS.Executable}} {{.Host.Slirp4NetNS.Version}}'
	assert_match "$OUT" "^$ENG_SLIRP (rootlet-slirp|slirp4netns) version [0-9.]+" "podman info"
	assert_match "$OUT" "libslirp: [0-9.]+" "podman info names libslirp"
}

test_host_loopback_reached_through_10_0_2_2_only_when_allowed() {
	port=$(free_port)
	serve host $NET serve-echo tcp 127.0.0.1 "$port"
	pin slirp4netns:allow_host_loopback=true echo-client tcp 10.0.2.2 "$port" allowed
	assert_eq "$OUT" allowed "echo from the host's loopback"
	pin slirp4netns:allow_host_loopback=false echo-client tcp 10.0.2.2 "$port" denied \
		--timeout 2
	[ "$RC" -ne 0 ] || fail "host loopback reached with allow_host_loopback=false"
	# podman's default is no host loopback.
	pin slirp4netns echo-client tcp 10.0.2.2 "$port" denied --timeout 2
	[ "$RC" -ne 0 ] || fail "host loopback reached by default"
}

test_enable_ipv6_gives_fd00_and_reaches_the_hosts_ipv6_loopback() {
	port=$(free_port)
	serve host $NET serve-echo tcp ::1 "$port"
	ok podman run --rm --network slirp4netns:enable_ipv6=true "$ENG_IMAGE" ip -6 -o addr show tap0
	assert_match "$OUT" "inet6 fd00::" "IPv6 address on tap0"
	pin slirp4netns:enable_ipv6=true,allow_host_loopback=true echo-client tcp fd00::2 "$port" v6
	assert_eq "$OUT" v6 "echo from the host's ::1 through fd00::2"
}

test_mtu_and_cidr_options_configure_the_tap() {
	ok podman run --rm --network slirp4netns:mtu=1500,cidr=10.41.0.0/24 "$ENG_IMAGE" \
		sh -c 'ip -o link show tap0; ip -o -4 addr show tap0; ip route'
	assert_match "$OUT" "mtu 1500" "tap0 MTU"
	assert_match "$OUT" "inet 10\.41\.0\.100/24" "tap0 address from the cidr"
	assert_match "$OUT" "default via 10\.41\.0\.2" "default route"
}

test_outbound_addr_is_the_source_the_host_sees() {
	port=$(free_port)
	serve peer $NET serve-peer 127.0.0.1 "$port"
	pin slirp4netns:allow_host_loopback=true,outbound_addr=127.0.0.2 whoami 10.0.2.2 "$port"
	[ "$RC" -eq 0 ] || fail "whoami through outbound_addr failed: $ERR"
	assert_eq "$OUT" 127.0.0.2 "source address seen on the host"
}

test_podman_stop_ends_the_helper() {
	before=$(count_procs "$ENG_SLIRP")
	prun stopme --network slirp4netns "$ENG_IMAGE" sleep 600
	assert_eq "$(count_procs "$ENG_SLIRP")" $((before + 1)) "helpers while it runs"
	ok podman stop -t 0 stopme
	wait_until 10 '[ "$(count_procs "$ENG_SLIRP")" -eq '"$before"' ]'
}

# The host replaces resolv.conf by rename (NetworkManager, resolvconf): the helper, sandboxed
# as podman always asks, must ask the new server. The test owns /etc in a mount namespace of
# its own, where each resolver it names is a responder the test runs on loopback.
test_dns_follows_a_resolv_conf_replaced_by_rename() {
	cat >"$TEST_WORK/dns.sh" <<-EOS
		set -e
		ip link set lo up
		mkdir -p $TEST_WORK/hostetc $TEST_WORK/etc
		mount --bind /etc $TEST_WORK/hostetc
		for f in /etc/*; do ln -s "$TEST_WORK/hostetc/\${f#/etc/}" "$TEST_WORK/etc/"; done
		rm $TEST_WORK/etc/resolv.conf
		echo 'nameserver 127.0.0.153' >$TEST_WORK/etc/resolv.conf
		mount --bind $TEST_WORK/etc /etc
		$NET serve-dns old.example 192.0.2.7 2001:db8::7 127.0.0.153 --ready $TEST_WORK/a.ready &
		$NET serve-dns old.example 192.0.2.8 2001:db8::8 127.0.0.154 --ready $TEST_WORK/b.ready &
		while [ ! -e $TEST_WORK/a.ready ] || [ ! -e $TEST_WORK/b.ready ]; do sleep 0.05; done
		unshare --net sleep 600 &
		target=\$!
		# Not before unshare has made its netns, or the helper would configure ours.
		while [ "\$(readlink /proc/\$target/ns/net)" = "\$(readlink /proc/self/ns/net)" ]; do
			sleep 0.01
		done
		$ENG_SLIRP --configure --enable-sandbox --enable-seccomp --disable-host-loopback \
			--netns-type=path /proc/\$target/ns/net tap0 >$TEST_WORK/slirp.log 2>&1 &
		ask() { nsenter --net=/proc/\$target/ns/net $NET dns-query old.example 10.0.2.3; }
		for i in \$(seq 200); do ask >/dev/null 2>&1 && break; sleep 0.1; done
		echo "before \$(ask)"
		echo 'nameserver 127.0.0.154' >/etc/resolv.conf.new
		mv /etc/resolv.conf.new /etc/resolv.conf
		# libslirp looks at the file again at most once a second.
		sleep 2.5
		echo "after \$(ask)"
		kill \$(jobs -p)
	EOS
	run unshare --user --map-root-user --net --mount bash "$TEST_WORK/dns.sh"
	[ "$RC" -eq 0 ] || fail "the DNS scenario failed ($RC): $ERR $(cat "$TEST_WORK/slirp.log")"
	assert_match "$OUT" "before 192\.0\.2\.7" "answer from the first resolver"
	assert_match "$OUT" "after 192\.0\.2\.8" "answer from the resolver named after the rename"
}
