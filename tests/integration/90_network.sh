# rootlet-network as the unprivileged test user: records (create, ls, inspect, rm) and containers
# attached to shared networks (alloc, dealloc, is-idle, print-*), with real veths and slirp.

test_create_takes_the_first_free_24s_and_inspect_shows_the_record() {
	ok "$NETWORK" create a
	assert_eq "$OUT" a
	ok "$NETWORK" create b --ipv6 --mtu 1500 --internal --no-dns
	ok "$NETWORK" inspect a
	assert_eq "$(echo "$OUT" | jq -c '[.name, .subnet, .gateway, .ipv6, .mtu, .internal, .dns, .attachments]')" \
		'["a","10.89.0.0/24","10.89.0.1",false,65520,false,true,[]]' "a's record"
	assert_eq "$(echo "$OUT" | jq 'has("subnet6")')" false "a has no IPv6"
	ok "$NETWORK" inspect b
	assert_eq "$(echo "$OUT" | jq -c '[.subnet, .gateway, .subnet6, .gateway6, .mtu, .internal, .dns]')" \
		'["10.89.1.0/24","10.89.1.1","fd89::/64","fd89::1",1500,true,false]' "b's record"
	now=$(date +%s)
	created=$(echo "$OUT" | jq .created)
	[ "$created" -le "$now" ] && [ "$created" -gt $((now - 60)) ] || fail "created $created is not now"
	ok "$NETWORK" create c --ipv6
	ok "$NETWORK" inspect c
	assert_eq "$(echo "$OUT" | jq -r .subnet6)" "fd89:0:0:1::/64" "c's IPv6 subnet"
}

test_ls_table_and_json() {
	ok "$NETWORK" ls
	assert_eq "$OUT" "$(printf '%-20s %-18s %-15s %s' NAME SUBNET GATEWAY ATTACHED)" "empty table"
	ok "$NETWORK" create web --subnet 172.30.0.0/16 --gateway 172.30.5.5
	ok "$NETWORK" create db
	ok "$NETWORK" ls
	assert_eq "$(echo "$OUT" | sed -n 2p | awk '{print $1, $2, $3, $4}')" "db 10.89.0.0/24 10.89.0.1 0"
	assert_eq "$(echo "$OUT" | sed -n 3p | awk '{print $1, $2, $3, $4}')" "web 172.30.0.0/16 172.30.5.5 0"
	ok "$NETWORK" ls --json
	assert_eq "$(echo "$OUT" | jq -c '[.[].name]')" '["db","web"]'
	ok "$NETWORK" create --json api
	assert_eq "$(echo "$OUT" | jq -r .subnet)" "10.89.1.0/24" "create --json prints the record"
}

# The caller's routes are the host's: in a netns with a route to 10.89.0.0/24, create skips it.
test_create_avoids_the_hosts_routes() {
	ok "$NETNS" add h
	ok "$NETNS" exec h -- sh -c 'ip link set lo up && ip route add 10.89.0.0/23 dev lo && ip addr add 10.89.2.9/32 dev lo'
	ok "$NETNS" exec h -- env ROOTLET_STATE_DIR="$TEST_WORK/inner" "$NETWORK" create --json n
	assert_eq "$(echo "$OUT" | jq -r .subnet)" "10.89.3.0/24" "a /24 clear of 10.89.0.0/23 and 10.89.2.9"
}

test_bad_input_is_one_line_and_changes_nothing() {
	ok "$NETWORK" create a --subnet 10.89.0.0/24
	ok "$NETWORK" ls --json
	before=$OUT
	# What the options say alone is a usage error (2); a conflict with what exists is not (1).
	refused 2 "$NETWORK" create b --subnet 10.89.0.1/24
	assert_match "$ERR" "^rootlet-network: create b: --subnet: '10.89.0.1/24' is not a network address"
	refused 2 "$NETWORK" create b --subnet 10.89.0.0/33
	refused 2 "$NETWORK" create b --subnet banana
	refused 1 "$NETWORK" create b --subnet 10.88.0.0/15
	assert_eq "$ERR" "rootlet-network: create b: --subnet 10.88.0.0/15 overlaps network a"
	refused 2 "$NETWORK" create b --subnet 10.0.2.0/25
	assert_match "$ERR" "overlaps 10.0.2.0/24, which slirp uses"
	refused 2 "$NETWORK" create b --ipv6 --subnet6 fd00::/64
	assert_match "$ERR" "overlaps fd00::/64, which slirp uses"
	refused 2 "$NETWORK" create b --subnet 10.90.0.0/24 --gateway 10.91.0.1
	assert_eq "$ERR" "rootlet-network: create b: --gateway 10.91.0.1: not a host address of the subnet"
	refused 2 "$NETWORK" create b --subnet 10.90.0.0/24 --gateway 10.90.0.255
	refused 1 "$NETWORK" create a
	assert_eq "$ERR" "rootlet-network: create a: exists"
	refused 1 "$NETWORK" inspect nosuch
	assert_eq "$ERR" "rootlet-network: inspect nosuch: no such network"
	refused 1 "$NETWORK" rm nosuch
	refused 2 "$NETWORK" create 'a/b'
	refused 2 "$NETWORK" create b --mtu 67
	refused 2 "$NETWORK" ls --subnet 10.90.0.0/24
	refused 2 "$NETWORK" create b --subnet6 fd89::/64
	refused 2 "$NETWORK" inspect a --force
	refused 2 "$NETWORK" frobnicate
	ok "$NETWORK" ls --json
	assert_eq "$OUT" "$before" "the networks after the refusals"
}

test_rm_removes_and_a_corrupt_record_needs_force() {
	ok "$NETWORK" create a
	ok "$NETWORK" rm a
	refused 1 "$NETWORK" inspect a
	ok "$NETWORK" create a
	assert_eq "$OUT" a "the name is free again"
	printf 'not json' >"$ROOTLET_STATE_DIR/~networks/bad.json"
	refused 1 "$NETWORK" inspect bad
	assert_match "$ERR" "bad.json is corrupt; 'rootlet-network rm --force bad' removes it"
	ok "$NETWORK" ls --json
	assert_eq "$(echo "$OUT" | jq -c '[.[].name]')" '["a"]' "ls leaves a corrupt record out"
	refused 1 "$NETWORK" rm bad
	ok "$NETWORK" rm --force bad
	[ ! -e "$ROOTLET_STATE_DIR/~networks/bad.json" ] || fail "rm --force left the record"
}

test_records_are_private_and_netns_verbs_ignore_them() {
	ok "$NETWORK" create a
	assert_eq "$(stat -c %a "$ROOTLET_STATE_DIR/~networks")" 700 "the directory's mode"
	assert_eq "$(stat -c %a "$ROOTLET_STATE_DIR/~networks/a.json")" 600 "the record's mode"
	ok "$NETNS" list --json
	assert_eq "$OUT" "[]" "rootlet-netns list"
	ok "$NETNS" gc
	[ -e "$ROOTLET_STATE_DIR/~networks/a.json" ] || fail "rootlet-netns gc removed a network"
}

# Ten creates at once: ten names, ten subnets, none twice.
test_parallel_creates_get_distinct_subnets() {
	for i in $(seq 1 10); do
		"$NETWORK" create "p$i" >/dev/null 2>"$TEST_WORK/p$i.err" &
	done
	wait
	ok "$NETWORK" ls --json
	assert_eq "$(echo "$OUT" | jq length)" 10 "networks made"
	assert_eq "$(echo "$OUT" | jq -r '.[].subnet' | sort -u | wc -l)" 10 "distinct subnets"
}

test_help_version_and_man_page() {
	ok "$NETWORK" --version
	assert_match "$OUT" "^rootlet-network [0-9]+\.[0-9]+\.[0-9]+$"
	check_man_page rootlet-network create ls inspect rm alloc dealloc is-idle print-netns-path \
		print-cni-result gc
}

# in NETNS CMD...: CMD inside a netns alloc made.
inside() {
	local ns=$1
	shift
	"$NETNS" exec "$ns" -- "$@"
}

# oci_client RUNTIME NETNS SCRIPT: busybox's sh -c SCRIPT in a RUNTIME container joined to NETNS
# through rootlet-netns oci; its output in OUT.
oci_client() {
	local runtime=$1 ns=$2 script=$3
	command -v "$runtime" >/dev/null || skip "$runtime is not installed"
	rm -rf bundle
	make_rootfs bundle/rootfs
	ln -sf busybox bundle/rootfs/bin/nc
	ln -sf busybox bundle/rootfs/bin/nslookup
	(cd bundle && runc spec --rootless) || fail "runc spec --rootless failed"
	# As an engine does: the container's resolv.conf is the one its network gives.
	cp "$ROOTLET_STATE_DIR/$ns/resolv.conf" bundle/rootfs/etc/resolv.conf
	ok "$NETNS" oci "$ns" bundle/config.json --in-place
	jq --arg s "$script" '.process.terminal = false | .process.args = ["sh", "-c", $s]' \
		<bundle/config.json >bundle/config.new && mv bundle/config.new bundle/config.json
	run "$runtime" --root "$TEST_WORK/$runtime-state" run --bundle bundle "it-$runtime-$$"
	[ "$RC" -eq 0 ] || fail "$runtime run exited $RC: $ERR"
}

test_alloc_prints_a_cni_result_and_dealloc_leaves_nothing() {
	ok "$NETWORK" create n
	ok "$NETWORK" is-idle n
	assert_eq "$(echo "$OUT" | jq -c .)" '{"idle":true}'
	ok "$NETWORK" alloc n c1 --mac 02:00:00:00:00:42
	res=$OUT
	assert_eq "$(echo "$res" | jq -r .cniVersion)" 1.0.0
	assert_eq "$(echo "$res" | jq -c '.interfaces')" \
		"[{\"name\":\"eth0\",\"mac\":\"02:00:00:00:00:42\",\"sandbox\":\"$ROOTLET_STATE_DIR/c1/net\"}]"
	assert_eq "$(echo "$res" | jq -c '.ips')" \
		'[{"address":"10.89.0.2/24","gateway":"10.89.0.1","interface":0}]'
	assert_eq "$(echo "$res" | jq -c '.routes')" '[{"dst":"0.0.0.0/0","gw":"10.89.0.1"}]'
	assert_eq "$(echo "$res" | jq -c '.dns')" '{"nameservers":["10.89.0.1"]}'
	# What the result says is what the netns has.
	ok inside c1 ip -o -4 addr show dev eth0
	assert_match "$OUT" "inet 10\.89\.0\.2/24"
	ok inside c1 ip -o link show dev eth0
	assert_match "$OUT" "link/ether 02:00:00:00:00:42"
	ok inside c1 ip route show default
	assert_match "$OUT" "^default via 10\.89\.0\.1 dev eth0"
	ok "$NETWORK" print-cni-result n c1
	assert_eq "$(echo "$OUT" | jq -c .)" "$(echo "$res" | jq -c .)" "print-cni-result"
	ok "$NETWORK" print-netns-path n c1
	path=$(echo "$OUT" | jq -r .path)
	ok nsenter --user="$ROOTLET_STATE_DIR/c1/user" --net="$path" --preserve-credentials \
		ip -o -4 addr show dev eth0
	assert_match "$OUT" "10\.89\.0\.2/24" "nsenter into print-netns-path's path"
	ok "$NETWORK" is-idle n
	assert_eq "$(echo "$OUT" | jq -c .)" '{"idle":false}'
	infra=$(infra_holder_pid n)
	slirp=$(cut -d' ' -f1 "$(infra_dir n)/slirp.pid")
	ok "$NETWORK" dealloc n c1
	ok "$NETWORK" is-idle n
	assert_eq "$(echo "$OUT" | jq -c .)" '{"idle":true}'
	wait_until 5 "! kill -0 $infra 2>/dev/null && ! kill -0 $slirp 2>/dev/null"
	ok "$NETNS" list --json
	assert_eq "$OUT" "[]" "netns left after the last dealloc"
	ok infra list --json
	assert_eq "$OUT" "[]" "infras left after the last dealloc"
	ok "$NETWORK" inspect n
	assert_eq "$(echo "$OUT" | jq -c .attachments)" "[]"
}

test_two_containers_reach_each_other_and_the_host_but_not_another_network() {
	ok "$NETWORK" create n --allow-host-loopback
	ok "$NETWORK" create other
	ok "$NETWORK" alloc n c1 --alias db
	ok "$NETWORK" alloc n c2
	ok "$NETWORK" alloc other c3
	assert_eq "$(echo "$OUT" | jq -r '.ips[0].address')" 10.89.1.2/24
	serve tcp1 inside c1 $NET serve-echo tcp 0.0.0.0 8080
	# UDP: busybox's nc has no -u, its nslookup asks a DNS server over UDP.
	serve udp1 inside c1 $NET serve-dns one.test 10.1.1.1 ::1 0.0.0.0
	serve tcp2 inside c2 $NET serve-echo tcp 0.0.0.0 8080
	serve udp2 inside c2 $NET serve-dns two.test 10.2.2.2 ::1 0.0.0.0
	serve udp1b inside c1 $NET serve-echo udp 0.0.0.0 5353
	hport=$(free_port)
	serve host $NET serve-echo tcp 127.0.0.1 "$hport"
	# runc in c1's netns and crun in c2's: each reaches the other, TCP and UDP, and the host.
	# Names through the network's DNS responder (the resolv.conf alloc gave them).
	oci_client runc c1 "echo runc-tcp | nc -w 2 10.89.0.3 8080; nslookup two.test 10.89.0.3 | grep -o 10.2.2.2; echo runc-host | nc -w 2 10.0.2.2 $hport; nslookup c2 | grep -o 10.89.0.3"
	assert_eq "$OUT" "runc-tcp"$'\n'"10.2.2.2"$'\n'"runc-host"$'\n'"10.89.0.3" "runc container in c1"
	oci_client crun c2 "echo crun-tcp | nc -w 2 10.89.0.2 8080; nslookup one.test 10.89.0.2 | grep -o 10.1.1.1; echo crun-host | nc -w 2 10.0.2.2 $hport; nslookup c1 | grep -o 10.89.0.2"
	assert_eq "$OUT" "crun-tcp"$'\n'"10.1.1.1"$'\n'"crun-host"$'\n'"10.89.0.2" "crun container in c2"
	# By name with the system's resolver, TCP and UDP: c2's hostname, c1's alias.
	ok inside c1 $NET echo-client tcp c2 8080 by-name-tcp
	assert_eq "$OUT" by-name-tcp
	ok inside c2 $NET echo-client udp db 5353 by-name-udp
	assert_eq "$OUT" by-name-udp
	# c3, on another network, reaches neither container (nor do they reach it).
	run inside c3 $NET echo-client tcp 10.89.0.2 8080 x --timeout 2
	[ "$RC" -ne 0 ] || fail "c3 reached c1 across networks"
	run inside c3 $NET echo-client tcp 10.89.0.3 8080 x --timeout 2
	[ "$RC" -ne 0 ] || fail "c3 reached c2 across networks"
}

# slirp asks (ARP) for each container's address on tap0, and the infra answers for them (proxy
# ARP): at once, not after the kernel's random proxy delay of up to 0.8 s, which a new
# container's first connection out used to wait (a median of about 450 ms).
test_the_infra_answers_slirps_arp_for_containers_at_once() {
	local hport
	ok "$NETWORK" create n --allow-host-loopback
	ok "$NETWORK" alloc n c1
	ok infra exec n -- cat /proc/sys/net/ipv4/neigh/tap0/proxy_delay /proc/sys/net/ipv4/conf/tap0/proxy_arp
	assert_eq "$OUT" $'0\n1' "tap0: proxy ARP, no delay"
	hport=$(free_port)
	serve host $NET serve-echo tcp 127.0.0.1 "$hport"
	ok inside c1 $NET echo-client tcp 10.0.2.2 "$hport" first
	assert_eq "$OUT" first
}

test_host_loopback_only_when_the_network_allows_it_and_internal_has_no_way_out() {
	ok "$NETWORK" create closed
	ok "$NETWORK" create inside --internal
	ok "$NETWORK" alloc closed c1
	ok "$NETWORK" alloc inside c2
	assert_eq "$(echo "$OUT" | jq -c .dns)" '{"nameservers":["10.89.1.1"]}' \
		"an internal network's resolver: its own, answering only its names"
	ok "$NETWORK" create quiet --internal --no-dns
	ok "$NETWORK" alloc quiet c3
	assert_eq "$(echo "$OUT" | jq -c .dns)" '{}' "no resolver at all"
	hport=$(free_port)
	serve host $NET serve-echo tcp 127.0.0.1 "$hport"
	run inside c1 $NET echo-client tcp 10.0.2.2 "$hport" x --timeout 2
	[ "$RC" -ne 0 ] || fail "host loopback reached without --allow-host-loopback"
	run inside c2 $NET echo-client tcp 10.0.2.2 "$hport" x --timeout 2
	[ "$RC" -ne 0 ] || fail "an internal network reached the host"
	[ ! -e "$(infra_dir inside)/slirp.pid" ] || fail "an internal network runs slirp"
}

test_twenty_parallel_allocs_get_distinct_addresses_and_parallel_deallocs_leave_nothing() {
	ok "$NETWORK" create n
	for i in $(seq 1 20); do
		"$NETWORK" alloc n "p$i" >"alloc.$i" 2>&1 &
	done
	wait
	for i in $(seq 1 20); do
		jq -r '.ips[0].address' "alloc.$i" 2>/dev/null || fail "alloc p$i: $(cat "alloc.$i")"
	done >addresses
	assert_eq "$(sort -u addresses | wc -l)" 20 "distinct addresses"
	serve echo inside p1 $NET serve-echo tcp 0.0.0.0 8080
	p1=$(jq -r '.ips[0].address' alloc.1)
	for i in $(seq 2 20); do
		ok inside "p$i" $NET echo-client tcp "${p1%/*}" 8080 "from-p$i"
	done
	pids=()
	for i in $(seq 1 20); do
		"$NETWORK" dealloc n "p$i" >/dev/null 2>&1 &
		pids+=($!)
	done
	wait "${pids[@]}"
	ok "$NETWORK" is-idle n
	assert_eq "$(echo "$OUT" | jq -c .)" '{"idle":true}'
	ok "$NETNS" list --json
	assert_eq "$OUT" "[]" "netns left"
}

test_a_killed_infra_holder_is_repaired_by_the_next_alloc() {
	ok "$NETWORK" create n
	ok "$NETWORK" alloc n c1
	serve echo inside c1 $NET serve-echo tcp 0.0.0.0 8080
	kill -9 "$(infra_holder_pid n)"
	wait_until 5 "[ \"\$(infra_state n)\" = stale ]"
	ok "$NETWORK" alloc n c2
	ok inside c2 $NET echo-client tcp 10.89.0.2 8080 after-repair
	assert_eq "$OUT" after-repair "c2 reaches c1 through the new infra"
	ok inside c1 ip -o -4 addr show dev eth0
	assert_match "$OUT" "10\.89\.0\.2/24" "c1 joined again"
}

test_alloc_refuses_bad_input_and_changes_nothing() {
	ok "$NETWORK" create n --subnet 10.89.7.0/24
	ok "$NETWORK" alloc n c1
	before=$(cat "$ROOTLET_STATE_DIR/~networks/n.json")
	refused 1 "$NETWORK" alloc nosuch c2
	assert_eq "$ERR" "rootlet-network: alloc nosuch c2: no such network"
	refused 1 "$NETWORK" alloc n c1
	assert_eq "$ERR" "rootlet-network: alloc n c1: c1 is attached already"
	refused 1 "$NETWORK" alloc n c2 --ip 10.89.8.5
	assert_eq "$ERR" "rootlet-network: alloc n c2: --ip 10.89.8.5: not in n's subnet"
	refused 1 "$NETWORK" alloc n c2 --ip 10.89.7.2
	assert_eq "$ERR" "rootlet-network: alloc n c2: --ip 10.89.7.2: taken (attached)"
	refused 1 "$NETWORK" alloc n c2 --ip 10.89.7.1
	assert_match "$ERR" "taken \(the gateway\)$"
	refused 1 "$NETWORK" alloc n c2 --ip 10.89.7.255
	assert_match "$ERR" "the subnet's broadcast address$"
	refused 2 "$NETWORK" alloc n c2 --mac 01:00:00:00:00:01
	assert_match "$ERR" "--mac '01:00:00:00:00:01': not a unicast MAC"
	refused 2 "$NETWORK" alloc n 'bad/id'
	refused 2 "$NETWORK" alloc n
	assert_match "$ERR" "alloc: ID missing"
	refused 1 "$NETWORK" dealloc n c9
	assert_eq "$ERR" "rootlet-network: dealloc n c9: c9 is not attached to n"
	refused 1 "$NETWORK" print-netns-path n c9
	ok "$NETNS" add foreign
	refused 1 "$NETWORK" alloc n c2 --netns foreign
	assert_match "$ERR" "not below the user namespace of n's infra"
	refused 2 "$NETWORK" create m --ip 10.0.0.1
	assert_eq "$(cat "$ROOTLET_STATE_DIR/~networks/n.json")" "$before" "the record after refusals"
	[ ! -e "$ROOTLET_STATE_DIR/c2" ] || fail "a refused alloc left netns c2"
	ok "$NETWORK" alloc n c2 --ip 10.89.7.9
	assert_eq "$(echo "$OUT" | jq -r '.ips[0].address')" 10.89.7.9/24 "a free static --ip"
}

test_alloc_into_a_given_netns_keeps_it_at_dealloc_and_rm_force_deallocates() {
	ok "$NETWORK" create n
	ok "$NETWORK" alloc n c1
	ok "$NETNS" add mine --userns "$(infra_dir n)/user"
	ok "$NETWORK" alloc n c2 --netns mine --hostname web --alias www --alias api
	assert_eq "$(echo "$OUT" | jq -r '.interfaces[0].sandbox')" "$ROOTLET_STATE_DIR/mine/net"
	ok "$NETWORK" inspect n
	assert_eq "$(echo "$OUT" | jq -c '.attachments[] | select(.id == "c2") | [.hostname, .aliases, .made]')" \
		'["web",["www","api"],false]'
	ok "$NETWORK" dealloc n c2
	[ -e "$ROOTLET_STATE_DIR/mine" ] || fail "dealloc deleted a netns it did not make"
	run inside mine ip -o link show dev eth0
	[ "$RC" -ne 0 ] || fail "eth0 left in mine"
	refused 1 "$NETWORK" rm n
	assert_match "$ERR" "1 containers attached"
	ok "$NETWORK" rm n --force
	[ ! -e "$ROOTLET_STATE_DIR/c1" ] || fail "rm --force left c1"
	[ ! -e "$(infra_dir n)" ] || fail "rm --force left the infra"
}

test_rootlet_run_network_attaches_the_command_and_deallocates_after() {
	ok "$NETWORK" create n
	ok "$NETWORK" alloc n c1
	serve echo inside c1 $NET serve-echo tcp 0.0.0.0 8080
	ok "$BUILD/rootlet" run --network n --ip 10.89.0.7 --alias web --name r1 -- \
		sh -c "ip -o -4 addr show dev eth0; $NET echo-client tcp 10.89.0.2 8080 from-run"
	assert_match "$OUT" "inet 10\.89\.0\.7/24"
	assert_match "$OUT" "from-run$"
	wait_until 10 "[ \"\$('$NETWORK' is-idle n | jq -c .)\" = '{\"idle\":false}' ] && [ ! -e '$ROOTLET_STATE_DIR/r1' ]"
	ok "$NETWORK" inspect n
	assert_eq "$(echo "$OUT" | jq -r '[.attachments[].id] | join(" ")')" c1 "attached after the run"
	refused 2 "$BUILD/rootlet" run --network n --publish 127.0.0.1:0:80 -- true
	assert_match "$ERR" "--network takes --ip and --alias"
	refused 2 "$BUILD/rootlet" run --ip 10.89.0.9 -- true
	assert_match "$ERR" "--ip and --alias go with --network"
	refused 125 "$BUILD/rootlet" run --network nosuch -- true
	assert_match "$ERR" "no such network"
}

# rootlet-dns alone, in a netns of the test's with a resolver of its own as the upstream.
test_dns_responder_answers_names_forwards_the_rest_and_rereads_its_hosts() {
	ok "$NETNS" add d
	ok inside d sh -c 'ip link set lo up && ip addr add 10.77.5.1/32 dev lo'
	serve up inside d $NET serve-dns outside.example 192.0.2.7 2001:db8::7 127.0.0.53
	printf '10.77.5.9 box Box.Alias\n' >"$ROOTLET_STATE_DIR/d/hosts"
	bg dns "$BUILD/rootlet-dns" --netns d --listen 10.77.5.1 --upstream 127.0.0.53
	wait_until 10 "[ -e '$ROOTLET_STATE_DIR/d/dns.pid' ]"
	pid=$BG_PID
	wait_until 10 "'$NETNS' exec d -- $NET dns-query box 10.77.5.1 >/dev/null 2>&1"
	ok inside d $NET dns-query box 10.77.5.1
	assert_eq "$OUT" 10.77.5.9
	ok inside d $NET dns-query BOX.alias 10.77.5.1
	assert_eq "$OUT" 10.77.5.9 "an alias, in another case"
	ok inside d $NET dns-query outside.example 10.77.5.1
	assert_eq "$OUT" 192.0.2.7 "forwarded upstream"
	printf '10.77.5.10 later\n' >hosts.new
	mv hosts.new "$ROOTLET_STATE_DIR/d/hosts"
	wait_until 5 "[ \"\$('$NETNS' exec d -- $NET dns-query later 10.77.5.1 2>/dev/null)\" = 10.77.5.10 ]"
	# Sandboxed like the other daemons: seccomp, no capability, an empty root.
	assert_match "$(grep '^Seccomp:' "/proc/$pid/status")" "2$"
	assert_eq "$(awk '/^CapEff/ {print $2}' "/proc/$pid/status")" 0000000000000000
	assert_match "$(mounts_of "$pid")" "^/ ro,[^"$'\n'"]*$" "its mounts: its read-only root alone"
	refused 2 "$BUILD/rootlet-dns" --netns d
	assert_match "$ERR" "--netns NAME and --listen IP are needed"
	refused 1 "$BUILD/rootlet-dns" --netns nosuch --listen 10.77.5.1
	assert_match "$ERR" "^rootlet-dns: no netns nosuch$"
	check_man_page rootlet-dns
}

# rootlet-dns's --netns is a name checked before it touches a path, as every helper's: a
# NAME of '..' or with a '/' never opens what lies outside the state root.
test_dns_refuses_a_netns_that_is_no_name_before_any_path() {
	mkdir -p "$ROOTLET_STATE_DIR"
	chmod 0700 "$ROOTLET_STATE_DIR"
	for name in .. ../x a/b ''; do
		refused 1 "$BUILD/rootlet-dns" --netns "$name" --listen 10.77.5.1
		assert_match "$ERR" "^rootlet-dns: invalid netns name '"
	done
}

test_publish_reaches_the_right_container_and_two_can_publish_one_port() {
	ok "$NETWORK" create n
	p1=$(free_port)
	p2=$(free_port)
	ok "$NETWORK" alloc n c1 --publish "127.0.0.1:$p1:8080"
	ok "$NETWORK" alloc n c2 --publish "127.0.0.1:$p2:8080/tcp"
	serve s1 inside c1 $NET serve-peer 0.0.0.0 8080 --say i-am-c1
	serve s2 inside c2 $NET serve-peer 0.0.0.0 8080 --say i-am-c2
	ok $NET whoami 127.0.0.1 "$p1"
	assert_eq "$OUT" i-am-c1 "host port $p1"
	ok $NET whoami 127.0.0.1 "$p2"
	assert_eq "$OUT" i-am-c2 "host port $p2"
	b=$OUT
	pid=$(cut -d' ' -f1 "$(infra_dir n)/portfwd-c1.pid")
	ok "$NETWORK" dealloc n c1
	wait_until 5 "! kill -0 $pid 2>/dev/null"
	ss -Hltn "sport = :$p1" | grep -q . && fail "port $p1 still bound after dealloc"
	ok $NET whoami 127.0.0.1 "$p2"
	assert_eq "$OUT" "$b" "c2's forward after c1's dealloc"
	p3=$(free_port)
	serve hold $NET hold-port 127.0.0.1 "$p3"
	refused 1 "$NETWORK" alloc n c3 --publish "127.0.0.1:$p3:8080"
	assert_match "$ERR" "port $p3"
	[ ! -e "$ROOTLET_STATE_DIR/c3" ] || fail "a refused alloc left c3"
}

# alloc parses its --publish SPECs as it reads them: a bad one is a usage error (exit 2, the
# SPEC named) before anything is made: no infra, no container netns, no record change, no
# process (a first alloc, and one on a network whose infra runs).
test_alloc_with_a_bad_publish_spec_is_a_usage_error_and_changes_nothing() {
	ok "$NETWORK" create fresh
	record=$(cat "$ROOTLET_STATE_DIR/~networks/fresh.json")
	refused 2 "$NETWORK" alloc fresh c1 --publish 127.0.0.1:0:80 --publish 8080:80/sctp
	assert_match "$ERR" "^rootlet-network: --publish '8080:80/sctp': protocol must be tcp or udp"
	assert_eq "$(cat "$ROOTLET_STATE_DIR/~networks/fresh.json")" "$record" "fresh's record"
	[ ! -e "$ROOTLET_STATE_DIR/~infra/fresh" ] || fail "an infra was made"
	[ ! -e "$ROOTLET_STATE_DIR/c1" ] || fail "c1's netns was made"
	assert_eq "$(state_root_procs)" "" "processes left"
	ok "$NETWORK" create n
	ok "$NETWORK" alloc n c0
	record=$(cat "$ROOTLET_STATE_DIR/~networks/n.json")
	procs=$(state_root_procs | sort)
	refused 2 "$NETWORK" alloc n c2 --publish 70000:80
	assert_match "$ERR" "^rootlet-network: --publish '70000:80': host port must be"
	assert_eq "$(cat "$ROOTLET_STATE_DIR/~networks/n.json")" "$record" "n's record"
	[ ! -e "$ROOTLET_STATE_DIR/c2" ] || fail "c2's netns was made"
	assert_eq "$(state_root_procs | sort | comm -13 <(echo "$procs") -)" "" \
		"processes the refused alloc left"
}

test_an_ipv6_network_gives_containers_ipv6_between_them() {
	ok "$NETWORK" create six --ipv6
	ok "$NETWORK" alloc six c1
	assert_eq "$(echo "$OUT" | jq -c '[.ips[] | [.address, .gateway]]')" \
		'[["10.89.0.2/24","10.89.0.1"],["fd89::2/64","fd89::1"]]'
	assert_eq "$(echo "$OUT" | jq -c '[.routes[].dst]')" '["0.0.0.0/0","::/0"]'
	assert_eq "$ERR" "" "no warning"
	ok "$NETWORK" alloc six c2 --ip6 fd89::20
	assert_eq "$(echo "$OUT" | jq -r '.ips[1].address')" fd89::20/64
	refused 1 "$NETWORK" alloc six c3 --ip6 fd89::20
	assert_match "$ERR" "--ip6 fd89::20: taken$"
	refused 1 "$NETWORK" alloc six c3 --ip6 fd00::5
	assert_match "$ERR" "not in six's IPv6 subnet$"
	serve echo inside c1 $NET serve-echo tcp :: 8080
	ok inside c2 $NET echo-client tcp fd89::2 8080 over-ipv6
	assert_eq "$OUT" over-ipv6
	ok inside c2 $NET dns-query c1 10.89.0.1 --aaaa
	assert_eq "$OUT" fd89::2 "AAAA from the network's DNS responder"
	ok inside c1 $NET dns-query c2 10.89.0.1
	assert_eq "$OUT" 10.89.0.3
}

# Outbound IPv6 leaves through the network's slirp, masqueraded to tap0's address (slirp
# cannot learn the containers' own: ARCHITECTURE.md); between containers it stays unchanged.
test_ipv6_goes_out_through_slirp_and_an_internal_network_has_no_way_out() {
	local hport uport
	ok "$NETWORK" create six --ipv6 --allow-host-loopback
	ok "$NETWORK" alloc six c1
	ok "$NETWORK" alloc six c2
	hport=$(free_port)
	uport=$(free_port)
	serve peer $NET serve-peer ::1 "$hport"
	ok inside c1 $NET whoami fd00::2 "$hport"
	assert_eq "$OUT" ::1 "the host's ::1 reached as fd00::2, through slirp"
	serve udpecho $NET serve-echo udp ::1 "$uport"
	ok inside c2 $NET echo-client udp fd00::2 "$uport" over-udp6
	assert_eq "$OUT" over-udp6
	serve cpeer inside c1 $NET serve-peer :: 8080
	ok inside c2 $NET whoami fd89::2 8080
	assert_eq "$OUT" fd89::3 "container to container: its own address, not masqueraded"
	# The network's second alloc (a warm infra) and a repaired infra keep the way out.
	kill -9 "$(infra_holder_pid six)"
	wait_until 5 "[ \"\$(infra_state six)\" = stale ]"
	ok "$NETWORK" alloc six c3
	ok inside c1 $NET whoami fd00::2 "$hport"
	assert_eq "$OUT" ::1 "after the infra was made again"
	ok "$NETWORK" create sealed --ipv6 --internal --allow-host-loopback
	ok "$NETWORK" alloc sealed c4
	run inside c4 $NET whoami fd00::2 "$hport" --timeout 2
	[ "$RC" -ne 0 ] || fail "an internal network reached the host over IPv6"
}

test_gc_drops_containers_whose_netns_went_and_repairs_a_dead_infra() {
	ok "$NETWORK" create n
	ok "$NETWORK" alloc n c1
	ok "$NETWORK" alloc n c2
	ok "$NETWORK" alloc n c3
	# c3's holder killed, and rootlet-netns gc removing the stale entries (c3, and the infra).
	kill -9 "$(holder_pid c3)" "$(infra_holder_pid n)"
	wait_until 5 "[ \"\$(netns_state c3)\" = stale ] && [ \"\$(infra_state n)\" = stale ]"
	ok "$NETWORK" gc
	assert_eq "$OUT" "n: 1 dropped (their netns were gone)"
	ok "$NETWORK" inspect n
	assert_eq "$(echo "$OUT" | jq -r '[.attachments[].id] | join(" ")')" "c1 c2"
	assert_eq "$(infra_state n)" live "the infra after gc"
	serve echo inside c1 $NET serve-echo tcp 0.0.0.0 8080
	ok inside c2 $NET echo-client tcp c1 8080 after-gc
	assert_eq "$OUT" after-gc "c2 reaches c1 by name through the repaired infra"
	ok "$NETWORK" gc
	assert_eq "$OUT" "" "a second gc has nothing to do"
}

# Issue 24, item 2: a container ID may look like an infra's old name (net.NAME); the infras live
# under <root>/~infra, where no ID and no netns name can go, so network victim's infra is never
# d1's container.
test_an_id_named_like_an_infra_stays_a_container() {
	ok "$NETWORK" create d1
	ok "$NETWORK" alloc d1 net.victim
	ok "$NETWORK" create victim
	ok "$NETWORK" alloc victim v1
	ok inside net.victim ip -o -4 addr show dev eth0
	assert_match "$OUT" "inet 10\.89\.0\.2/24" "d1's container net.victim"
	ok inside v1 ip -o -4 addr show dev eth0
	assert_match "$OUT" "inet 10\.89\.1\.2/24" "victim's container v1"
	ok "$NETWORK" dealloc victim v1
	ok "$NETWORK" gc
	ok "$NETWORK" inspect d1
	assert_eq "$(echo "$OUT" | jq -c '[.attachments[] | [.id, .state]]')" '[["net.victim","ready"]]'
	serve echo inside net.victim $NET serve-echo tcp 0.0.0.0 8080
	ok "$NETWORK" alloc d1 c2
	ok inside c2 $NET echo-client tcp net.victim 8080 still-there
	assert_eq "$OUT" still-there "d1's container after victim's last dealloc and gc"
}

# Issue 24, item 3: names are never cut. Two networks whose names share their first 60 bytes
# get an infra each (a container of one cannot reach one of the other, and the last dealloc of
# one leaves the other running); a name whose infra's socket paths would not fit is refused.
test_networks_sharing_60_bytes_of_name_stay_apart() {
	local stem a b
	stem=$(printf 'x%.0s' $(seq 60))
	a=${stem}aaa
	b=${stem}bbb
	use_state_root
	ok "$NETWORK" create "$a"
	ok "$NETWORK" create "$b"
	ok "$NETWORK" alloc "$a" c1
	ok "$NETWORK" alloc "$b" c2
	ok "$NETWORK" alloc "$b" c3
	serve echo inside c1 $NET serve-echo tcp 0.0.0.0 8080
	# The code in c2 routes a's subnet onto its link: a's containers must not be on it.
	ok inside c2 ip route add 10.89.0.0/24 dev eth0
	run inside c2 $NET echo-client tcp 10.89.0.2 8080 x --timeout 2
	[ "$RC" -ne 0 ] || fail "a container of $b reached one of $a"
	# Nor one way, where no answer has to come back: c2's datagrams to c1.
	serve udp1 inside c1 python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 9999))
open(sys.argv[-1], "w").close()
s.settimeout(4)
try:
    print(s.recvfrom(64)[0].decode())
except OSError:
    print("nothing")'
	ok inside c2 $NET send-udp 10.89.0.2 9999 from-b --count 3 --interval 0.3
	wait_until 10 "grep -q . udp1.out"
	assert_eq "$(cat udp1.out)" nothing "what c1 received from a container of $b"
	serve echo2 inside c2 $NET serve-echo tcp 0.0.0.0 8080
	ok "$NETWORK" dealloc "$a" c1
	ok inside c3 $NET echo-client tcp 10.89.1.2 8080 still-up
	assert_eq "$OUT" still-up "$b after the last dealloc of $a"
	ok "$NETWORK" rm "$b" --force
	ok "$NETWORK" rm "$a"
}

test_a_name_too_long_for_the_state_roots_socket_paths_is_a_usage_error() {
	local long
	long=$(printf 'y%.0s' $(seq 64))
	# This test's state root is long: <root>/~infra/NAME/slirp.sock would not fit 108 bytes.
	refused 2 "$NETWORK" create "$long"
	assert_match "$ERR" "^rootlet-network: create $long: too long"
	ok "$NETWORK" ls --json
	assert_eq "$OUT" "[]" "networks after the refusal"
}

# Issue 24, item 4: hostnames and aliases are DNS names, written as records only when they are;
# a name another container of the network answers to (in any case) is refused.
test_hostnames_and_aliases_are_dns_names_and_unique_per_network() {
	local bad
	ok "$NETWORK" create n
	for bad in "$(printf 'h2\n10.0.2.2 www.example.com')" 'a b' 'a#b' 'a..b' '-a' 'a-' 'a_b' \
		"$(printf 'z%.0s' $(seq 64))" "$(printf 'abcdefghi.%.0s' $(seq 26))"; do
		refused 2 "$NETWORK" alloc n c1 --hostname "$bad"
		assert_match "$ERR" "^rootlet-network: --hostname '.*': not a DNS name"
		refused 2 "$NETWORK" alloc n c1 --alias "$bad"
	done
	ok "$NETWORK" alloc n a2 --alias db
	refused 1 "$NETWORK" alloc n A2
	assert_eq "$ERR" "rootlet-network: alloc n A2: the name A2 is taken on n (by a2); give another ID"
	refused 1 "$NETWORK" alloc n c3 --alias DB
	assert_match "$ERR" "the name DB is taken on n \(by a2\)"
	refused 1 "$NETWORK" alloc n c3 --hostname A2
	ok "$NETWORK" alloc n web_1 --hostname web
	ok "$NETWORK" alloc n c4
	ok inside c4 $NET dns-query web 10.89.0.1
	assert_eq "$OUT" 10.89.0.3 "web_1 by its hostname"
	run inside c4 $NET dns-query www.example.com 10.89.0.1 --timeout 2
	assert_no_match "$OUT" "10\.0\.2\.2" "an injected record"
	assert_eq "$(sort "$(infra_dir n)/hosts")" "$(printf '%s\n' '10.89.0.2 a2' '10.89.0.2 db' \
		'10.89.0.3 web' '10.89.0.4 c4' | sort)" "the hosts file"
	ok "$NETNS" list --json
	assert_eq "$(echo "$OUT" | jq -r '[.[].name] | sort | join(" ")')" "a2 c4 web_1" \
		"netns after the refusals"
}

# Issue 24, item 5: subnets a container cannot use are a usage error, and nothing is recorded.
test_create_refuses_subnets_that_cannot_work() {
	local s
	for s in 127.0.0.0/24 224.0.0.0/24 239.1.0.0/16 169.254.0.0/24 0.0.0.0/8 240.0.0.0/24 \
		255.255.255.252/30 10.0.0.0/8 10.0.2.0/25; do
		refused 2 "$NETWORK" create b --subnet "$s"
		assert_match "$ERR" "^rootlet-network: create b: --subnet $s"
	done
	for s in fe80::/64 ff02::/64 ::/64 ::ffff:0:0/96 fd00::/64; do
		refused 2 "$NETWORK" create b --ipv6 --subnet6 "$s"
		assert_match "$ERR" "^rootlet-network: create b: --subnet6 $s"
	done
	ok "$NETWORK" ls --json
	assert_eq "$OUT" "[]" "networks after the refusals"
}

# podman's internal networks have no default route (netavark and CNI): nor do rootlet's, in the
# netns or in the CNI result; the gateway, the network's DNS responder, is on the link.
test_an_internal_network_gives_no_default_route() {
	ok "$NETWORK" create sealed --internal --ipv6
	ok "$NETWORK" alloc sealed c1
	assert_eq "$(echo "$OUT" | jq -c .routes)" "[]" "routes in the CNI result"
	ok "$NETWORK" print-cni-result sealed c1
	assert_eq "$(echo "$OUT" | jq -c .routes)" "[]" "routes in print-cni-result"
	ok inside c1 sh -c 'ip route show default; ip -6 route show default'
	assert_eq "$OUT" "" "default routes in the netns"
	ok "$NETWORK" alloc sealed c2
	ok inside c2 $NET dns-query c1 10.89.0.1
	assert_eq "$OUT" 10.89.0.2 "the network's DNS responder, on the link"
	# A CNI plugin takes the result as its prevResult (it parses and checks it): tuning, run
	# in c1's namespaces, passes it through.
	[ -x /usr/lib/cni/tuning ] || skip "no CNI plugins in /usr/lib/cni (containernetworking-plugins)"
	ok "$NETWORK" print-cni-result sealed c1
	jq -n --argjson r "$OUT" '{cniVersion: "1.0.0", name: "sealed", type: "tuning", prevResult: $r}' \
		>tuning.json
	ok inside c1 env CNI_COMMAND=ADD CNI_CONTAINERID=c1 CNI_NETNS=/proc/self/ns/net \
		CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni /usr/lib/cni/tuning <tuning.json
	assert_eq "$(echo "$OUT" | jq -c '[.ips[].address, (.routes // [] | length)]')" \
		'["10.89.0.2/24","fd89::2/64",0]' "the result tuning gives back"
}

# Issue 24, item 9: a dealloc killed after it wrote the record without its last container but
# before it stopped the infra (as it leaves it, made by hand here): gc stops the infra, its
# holder, slirp and DNS responder.
test_gc_stops_the_infra_a_killed_last_dealloc_left() {
	local holder slirp dns
	ok "$NETWORK" create n
	ok "$NETWORK" alloc n c1
	ok "$NETWORK" alloc n c2
	ok inside c2 $NET dns-query c1 10.89.0.1
	holder=$(infra_holder_pid n)
	slirp=$(cut -d' ' -f1 "$(infra_dir n)/slirp.pid")
	dns=$(cut -d' ' -f1 "$(infra_dir n)/dns.pid")
	ok "$NETWORK" dealloc n c1
	ok "$NETNS" del c2
	jq -c '.attachments = []' "$ROOTLET_STATE_DIR/~networks/n.json" >n.json
	mv n.json "$ROOTLET_STATE_DIR/~networks/n.json"
	ok "$NETWORK" gc
	wait_until 5 "! kill -0 $holder && ! kill -0 $slirp && ! kill -0 $dns"
	[ ! -e "$(infra_dir n)" ] || fail "the infra's entry is left"
}

# ... and so does the next verb on that network.
test_the_next_verb_stops_the_infra_a_killed_last_dealloc_left() {
	local dns
	ok "$NETWORK" create n
	ok "$NETWORK" alloc n c1
	dns=$(cut -d' ' -f1 "$(infra_dir n)/dns.pid")
	ok "$NETNS" del c1
	jq -c '.attachments = []' "$ROOTLET_STATE_DIR/~networks/n.json" >n.json
	mv n.json "$ROOTLET_STATE_DIR/~networks/n.json"
	ok "$NETWORK" is-idle n
	wait_until 5 "! kill -0 $dns"
	[ ! -e "$(infra_dir n)" ] || fail "the infra's entry is left"
}

# Issue 25: an infra without its bridge is named as such, with what to do, and gc does it.
test_a_missing_bridge_is_named_and_gc_makes_the_infra_again() {
	ok "$NETWORK" create n
	ok "$NETWORK" alloc n c1
	ok infra exec n -- ip link del rootlet0
	refused 1 "$NETWORK" alloc n c2
	assert_eq "$ERR" "rootlet-network: alloc n c2: the infra's bridge rootlet0 is gone (deleted by hand?); 'rootlet-network gc' makes the infra again"
	ok "$NETWORK" gc
	ok "$NETWORK" alloc n c2
	serve echo inside c1 $NET serve-echo tcp 0.0.0.0 8080
	ok inside c2 $NET echo-client tcp c1 8080 after-gc
	assert_eq "$OUT" after-gc "c2 reaches c1 through the infra gc made again"
}

# Issue 25: a netns attached already (its eth0) is refused by what is wrong, not "File exists".
test_a_netns_with_an_eth0_already_is_refused_with_the_reason() {
	ok "$NETWORK" create n
	ok "$NETWORK" alloc n c1
	ok "$NETNS" add mine --userns "$(infra_dir n)/user"
	ok "$NETWORK" alloc n first --netns mine
	ok "$NETWORK" alloc n c2
	ok "$NETWORK" dealloc n first
	ok inside mine ip link add eth0 type veth peer name other
	refused 1 "$NETWORK" alloc n second --netns mine
	assert_match "$ERR" "the container's netns has an eth0 already \(attached to another network\?\); dealloc it there first$"
	# Nor is the network's own infra a container's netns.
	refused 1 "$NETWORK" alloc n third --netns "$(infra_dir n)/net"
	assert_match "$ERR" "network n's infra, not a container's netns$"
	ok "$NETWORK" inspect n
	assert_eq "$(echo "$OUT" | jq -r '[.attachments[].id] | join(" ")')" "c1 c2" "attachments after the refusal"
}

# The infras' state root is opened as the state root is: one that others could write, or a
# symlink, is refused, and the alloc leaves nothing.
test_an_infra_root_others_could_tamper_with_is_refused() {
	ok "$NETWORK" create n
	mkdir -m 0777 "$ROOTLET_STATE_DIR/~infra"
	chmod 0777 "$ROOTLET_STATE_DIR/~infra"
	refused 1 "$NETWORK" alloc n c1
	assert_match "$ERR" "~infra is mode 0777, open to its group or others: refused as the state directory, since they could plant links in it; 'chmod 0700 .*~infra'$" \
		"why the infra's root is refused"
	rmdir "$ROOTLET_STATE_DIR/~infra"
	mkdir -m 0700 elsewhere
	ln -s "$TEST_WORK/elsewhere" "$ROOTLET_STATE_DIR/~infra"
	refused 1 "$NETWORK" alloc n c1
	assert_match "$ERR" "~infra is a symlink, not the state directory: refused" \
		"why a symlinked infra root is refused"
	[ -z "$(ls -A elsewhere)" ] || fail "an infra was made through the symlink: $(ls -A elsewhere)"
	ok "$NETWORK" inspect n
	assert_eq "$(echo "$OUT" | jq -c .attachments)" "[]" "attachments after the refusals"
	[ ! -e "$ROOTLET_STATE_DIR/c1" ] || fail "a refused alloc left c1"
	rm "$ROOTLET_STATE_DIR/~infra"
	ok "$NETWORK" alloc n c1
}

# daemon_pid NET FILE: the live pid in network NET's infra pid file FILE (dns.pid, slirp.pid), or
# nothing.
daemon_pid() {
	local f p
	f="$(infra_dir "$1")/$2"
	[ -e "$f" ] || return 0
	p=$(cut -d' ' -f1 "$f")
	[ -d "/proc/$p" ] && ! grep -q '^State:.*Z' "/proc/$p/status" && echo "$p"
}

# Issue 24, F3: a killed rootlet-dns of a live infra is started again by the next verb
# (is-idle here), and answers the containers' names again.
test_a_killed_dns_responder_is_started_again_by_the_next_verb() {
	ok "$NETWORK" create n
	ok "$NETWORK" alloc n c1
	ok "$NETWORK" alloc n c2
	old=$(daemon_pid n dns.pid)
	[ -n "$old" ] || fail "no rootlet-dns runs for n"
	kill -9 "$old"
	wait_until 5 "[ -z \"\$(daemon_pid n dns.pid)\" ]"
	ok "$NETWORK" is-idle n
	new=$(daemon_pid n dns.pid)
	[ -n "$new" ] || fail "no rootlet-dns runs for n after is-idle"
	ok inside c2 $NET dns-query c1 10.89.0.1
	assert_eq "$OUT" 10.89.0.2 "c1's name, answered by the new responder"
}

# Issue 24, F3: a killed rootlet-slirp of a live infra is started again by gc, and the
# containers reach out through it again.
test_a_killed_slirp_of_an_infra_is_started_again_by_gc() {
	ok "$NETWORK" create n --allow-host-loopback
	ok "$NETWORK" alloc n c1
	old=$(daemon_pid n slirp.pid)
	[ -n "$old" ] || fail "no rootlet-slirp runs for n"
	kill -9 "$old"
	wait_until 5 "[ -z \"\$(daemon_pid n slirp.pid)\" ]"
	ok "$NETWORK" gc
	new=$(daemon_pid n slirp.pid)
	[ -n "$new" ] || fail "no rootlet-slirp runs for n after gc"
	hport=$(free_port)
	serve host $NET serve-echo tcp 127.0.0.1 "$hport"
	ok inside c1 $NET echo-client tcp 10.0.2.2 "$hport" out-again --timeout 5
	assert_eq "$OUT" out-again "c1 reaches the host through the new slirp"
	ok "$NETWORK" gc
	assert_eq "$(daemon_pid n slirp.pid)" "$new" "a second gc leaves the new slirp be"
}

# Issue 24, F4: a name may start with '.' and hold ".json.tmp.": its record is no temporary
# file, and the next verb's sweep (under the lock) leaves it.
test_a_network_named_like_a_temporary_file_stays() {
	ok "$NETWORK" create .n.json.tmp.x
	ok "$NETWORK" create other
	ok "$NETWORK" inspect .n.json.tmp.x
	assert_eq "$(echo "$OUT" | jq -r .name)" .n.json.tmp.x "the record after another verb"
	ok "$NETWORK" alloc .n.json.tmp.x c9
	ok "$NETWORK" dealloc .n.json.tmp.x c9
	ok "$NETWORK" rm .n.json.tmp.x
}

# Issue 24, F6: IPv6 needs a link MTU of 1280 or more; below it every alloc would fail in the
# kernel, so create refuses it (exit 2) and records nothing.
test_an_ipv6_network_below_ipv6s_minimum_mtu_is_a_usage_error() {
	refused 2 "$NETWORK" create v --ipv6 --mtu 100
	assert_match "$ERR" "--ipv6 needs an MTU of 1280 or more"
	refused 2 "$NETWORK" create v --ipv6 --mtu 1279
	ok "$NETWORK" ls --json
	assert_eq "$OUT" "[]" "networks after the refusals"
	ok "$NETWORK" create v --ipv6 --mtu 1280
	ok "$NETWORK" create w --mtu 100
}

# Issue 24, F7: numbers are decimal digits with no leading zero (exit 2).
test_a_prefix_or_mtu_with_a_leading_zero_is_a_usage_error() {
	refused 2 "$NETWORK" create b --subnet 10.89.5.0/024
	refused 2 "$NETWORK" create b --subnet 10.89.5.0/+24
	refused 2 "$NETWORK" create b --ipv6 --subnet6 fd89:0:0:5::/064
	refused 2 "$NETWORK" create b --mtu 01500
	refused 2 "$NETWORK" create b --mtu +1500
	refused 2 "$NETWORK" create b --mtu " 1500"
	ok "$NETWORK" ls --json
	assert_eq "$OUT" "[]" "networks after the refusals"
}

# Issue 24, F7: IPv6 subnets that cannot work as a network's own: IPv4-compatible ::/96
# (deprecated) and NAT64's prefixes (DNS64 answers would land on the bridge).
test_create_refuses_ipv4_compatible_and_nat64_subnet6s() {
	local s
	for s in ::a59:0/120 64:ff9b::/96 64:ff9b::/120 64:ff9b:1::/64; do
		refused 2 "$NETWORK" create b --ipv6 --subnet6 "$s"
		assert_match "$ERR" "^rootlet-network: create b: --subnet6 $s"
	done
	ok "$NETWORK" ls --json
	assert_eq "$OUT" "[]" "networks after the refusals"
}

# Issue 24, F7: a MAC the kernel would refuse (all zeros: EIO) or that is no unicast one is a
# usage error; one another container of the network has is refused (two bridge ports).
test_alloc_refuses_a_zero_multicast_broadcast_or_taken_mac() {
	local m
	ok "$NETWORK" create n --subnet 10.89.7.0/24
	ok "$NETWORK" alloc n c1 --mac 02:00:00:00:00:01
	ok "$NETWORK" alloc n c2
	mac2=$(echo "$OUT" | jq -r '.interfaces[0].mac')
	before=$(cat "$ROOTLET_STATE_DIR/~networks/n.json")
	for m in 00:00:00:00:00:00 ff:ff:ff:ff:ff:ff 33:33:00:00:00:01 01:00:5e:00:00:01; do
		refused 2 "$NETWORK" alloc n c3 --mac "$m"
		assert_match "$ERR" "--mac '$m': not a unicast MAC"
	done
	refused 1 "$NETWORK" alloc n c3 --mac 02:00:00:00:00:01
	assert_eq "$ERR" "rootlet-network: alloc n c3: --mac 02:00:00:00:00:01: taken by c1"
	refused 1 "$NETWORK" alloc n c3 --mac "${mac2^^}"
	assert_match "$ERR" "taken by c2$"
	assert_eq "$(cat "$ROOTLET_STATE_DIR/~networks/n.json")" "$before" "the record after refusals"
	[ ! -e "$ROOTLET_STATE_DIR/c3" ] || fail "a refused alloc left netns c3"
	ok "$NETWORK" alloc n c3 --mac 02:00:00:00:00:03
}

# Outside attack of issue 24: a name beginning with '-' reached rootlet-netns del as an
# option (`dealloc n -- -h` printed del's help, kept the netns and dropped the record;
# `-- --json` wedged the network). Network names and container IDs are netns names: a
# leading '-' is a usage error, and nothing is made.
test_a_name_beginning_with_a_dash_is_a_usage_error() {
	local name
	ok "$NETWORK" create n
	for name in -h --help -V --json -x; do
		refused 2 "$NETWORK" alloc n -- "$name"
		assert_match "$ERR" "begin with '-'"
		refused 2 "$NETWORK" create -- "$name"
		refused 2 "$NETNS" add -- "$name"
	done
	ok "$NETWORK" inspect n
	assert_eq "$(echo "$OUT" | jq -c '.attachments')" '[]' "n's attachments"
	ok "$NETWORK" ls --json
	assert_eq "$(echo "$OUT" | jq -c '[.[].name]')" '["n"]' "networks"
	assert_eq "$(ls "$ROOTLET_STATE_DIR" | grep -c -- '^-' || true)" 0 "entries named with a dash"
}

# Issue 24 (an outside attack): a container's netns file is a link to its holder's
# /proc/PID/ns/net. Once the holder is dead, its pid can be taken by a process of another
# network's container (d1's here), and the link then opens that container's netns: gc kept c1,
# and the repair of a dead infra made the new infra in d1's user namespace and moved c1's eth0
# into d1. Reproduced deterministically as the reuse looks to rootlet-network: c1's state.json
# says pid D (d1's holder) with c1's holder's start time, and c1's links point at /proc/D/ns.
test_a_reused_holder_pid_is_a_gone_container_never_another_networks_netns() {
	local d dir
	ok "$NETWORK" create na
	ok "$NETWORK" create nb
	ok "$NETWORK" alloc na c1
	ok "$NETWORK" alloc na c2
	ok "$NETWORK" alloc nb d1
	d=$(holder_pid d1)
	dir=$ROOTLET_STATE_DIR/c1
	kill -9 "$(holder_pid c1)"
	wait_until 5 "[ \"\$(netns_state c1)\" = stale ]"
	jq --argjson p "$d" '.holder_pid = $p' "$dir/state.json" >"$TEST_WORK/c1.json" ||
		fail "editing c1's state.json"
	cat "$TEST_WORK/c1.json" >"$dir/state.json"
	ln -sfn "/proc/$d/ns/net" "$dir/net"
	ln -sfn "/proc/$d/ns/user" "$dir/user"
	assert_eq "$(netns_state c1)" stale "c1, its pid reused"
	ok "$NETWORK" gc
	assert_eq "$OUT" "na: 1 dropped (their netns were gone)"
	ok "$NETWORK" inspect na
	assert_eq "$(echo "$OUT" | jq -r '[.attachments[].id] | join(" ")')" c2
	# na's infra dies: its repair joins c2, never d1.
	kill -9 "$(infra_holder_pid na)"
	wait_until 5 "[ \"\$(infra_state na)\" = stale ]"
	ok "$NETWORK" gc
	ok inside d1 ip -o -4 addr show
	assert_no_match "$OUT" "10\.89\.0\." "d1's addresses after na's repair"
	assert_match "$OUT" "inet 10\.89\.1\.2/24" "d1's own address"
	ok inside c2 ip -o -4 addr show dev eth0
	assert_match "$OUT" "inet 10\.89\.0\.3/24" "c2, plumbed again by the repair"
	ok "$NETWORK" alloc nb d2
	serve echo inside d1 $NET serve-echo tcp 0.0.0.0 8080
	ok inside d2 $NET echo-client tcp d1 8080 d1-intact
	assert_eq "$OUT" d1-intact "d1 on its own network after na's repair"
}

# Issue 26 (an outside attack): a container sends from an address of the subnet it does not
# own (10.89.0.110, added to its eth0). The infra's bridge port passes its own address only:
# nothing from another reaches the host through slirp, nor another container.
test_a_container_sending_from_another_address_of_its_subnet_reaches_nothing() {
	local hport
	ok "$NETWORK" create n --allow-host-loopback
	ok "$NETWORK" alloc n c1
	ok "$NETWORK" alloc n c2
	hport=$(free_port)
	serve host $NET serve-peer 127.0.0.1 "$hport"
	serve peer inside c2 $NET serve-peer 0.0.0.0 8080
	ok inside c1 ip addr add 10.89.0.110/24 dev eth0
	ok inside c1 $NET whoami 10.0.2.2 "$hport" --bind 10.89.0.2 --timeout 5
	assert_eq "$OUT" 127.0.0.1 "c1 from its own address, to the host"
	ok inside c1 $NET whoami 10.89.0.3 8080 --bind 10.89.0.2 --timeout 5
	assert_eq "$OUT" 10.89.0.2 "c1 from its own address, to c2"
	run inside c1 $NET whoami 10.0.2.2 "$hport" --bind 10.89.0.110 --timeout 2
	[ "$RC" -ne 0 ] || fail "c1 reached the host from 10.89.0.110: $OUT"
	run inside c1 $NET whoami 10.89.0.3 8080 --bind 10.89.0.110 --timeout 2
	[ "$RC" -ne 0 ] || fail "c1 reached c2 from 10.89.0.110: $OUT"
}

# hold.py PORT SRC...: from each SRC, up to HOLD_PER_SOURCE connections to 10.0.2.2:PORT made
# at once and kept; prints "SRC N" for each, then holds them until killed.
write_hold_py() {
	cat >"$TEST_WORK/hold.py" <<-'PY'
		import resource, select, socket, sys, time
		resource.setrlimit(resource.RLIMIT_NOFILE, (20000, 20000))
		port, held = int(sys.argv[1]), []
		for src in sys.argv[2:]:
		    pend = []
		    for _ in range(1100):
		        s = socket.socket()
		        s.setblocking(False)
		        s.bind((src, 0))
		        s.connect_ex(("10.0.2.2", port))
		        pend.append(s)
		    deadline, ok, p = time.time() + 5, 0, select.poll()
		    fds = {s.fileno(): s for s in pend}
		    for fd in fds:
		        p.register(fd, select.POLLOUT)
		    while fds and time.time() < deadline:
		        for fd, _ in p.poll(200):
		            s = fds.pop(fd)
		            p.unregister(fd)
		            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
		                held.append(s)
		                ok += 1
		    print(src, ok, flush=True)
		print("holding", flush=True)
		time.sleep(600)
	PY
}

# Issue 26, "fair on a shared network": c1 holds as many host sockets as slirp lets one source
# hold (--max-sockets-per-source, half of --max-sockets), then tries the same from two more
# addresses of the subnet. Those never reach slirp, so c2's connections all succeed.
test_a_container_spoofing_sources_cannot_take_a_shared_networks_slirp() {
	local hport cport
	ulimit -n "$(ulimit -Hn)"
	ok "$NETWORK" create n --allow-host-loopback
	ok "$NETWORK" alloc n c1
	ok "$NETWORK" alloc n c2
	hport=$(free_port)
	bg server "$BUILD/tools/churn" serve 127.0.0.1 "$hport" keep
	wait_until 5 "grep -q listening '$TEST_WORK/server.out'"
	cport=$(free_port)
	bg closer "$BUILD/tools/churn" serve 127.0.0.1 "$cport"
	wait_until 5 "grep -q listening '$TEST_WORK/closer.out'"
	ok inside c1 ip addr add 10.89.0.110/24 dev eth0
	ok inside c1 ip addr add 10.89.0.111/24 dev eth0
	write_hold_py
	bg hold inside c1 python3 "$TEST_WORK/hold.py" "$hport" 10.89.0.2 10.89.0.110 10.89.0.111
	wait_until 60 "grep -q holding '$TEST_WORK/hold.out'"
	cat "$TEST_WORK/hold.out"
	ok inside c2 "$BUILD/tools/churn" connect 10.0.2.2 "$cport" 200 20 10
	assert_match "$OUT" "^ok 200 errors 0 refused 0 " "c2's connections while c1 holds its share"
	assert_match "$(cat "$TEST_WORK/hold.out")" "10\.89\.0\.110 0" "c1's sockets from 10.89.0.110"
}

# sniff.py tcp|udp PORT...: in the infra, each TCP SYN (or UDP datagram) slirp gets on tap0
# for one of the PORTs, as "syn SOURCE SPORT".
write_sniff_masq_py() {
	cat >"$TEST_WORK/sniff.py" <<-'PY'
		import socket, struct, sys
		# ETH_P_ALL: a socket of one protocol gets no outgoing frames.
		s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
		s.bind(("tap0", 0))
		proto = {"tcp": 6, "udp": 17}[sys.argv[1]]
		ports = {int(p) for p in sys.argv[2:]}
		print("sniffing", flush=True)
		while True:
		    f, addr = s.recvfrom(65536)
		    if (addr[2] != socket.PACKET_OUTGOING or len(f) < 14 + 40 + 8 or
		            f[12:14] != b"\x86\xdd" or f[14 + 6] != proto):
		        continue
		    sport, dport = struct.unpack("!HH", f[54:58])
		    if dport in ports and (proto == 17 or f[54 + 13] & 0x12 == 0x02):
		        print("syn", socket.inet_ntop(socket.AF_INET6, f[22:38]), sport, flush=True)
	PY
}

# Issue 26: a container's IPv6 leaves the infra masqueraded as tap0's one address, with a
# source port of the container's own range (lib/masq6.h: 2048 + (IPv4 host number mod 64) *
# 992), by which rootlet-slirp counts its share. c1 (10.89.0.2: 4032-5023) binds ports of
# c2's range (10.89.0.3: 5024-6015), one of them twice towards two host ports, and ports of
# its own: every SYN of c1's on tap0 (what slirp sees) has a source port of c1's range.
test_a_container_cannot_send_its_ipv6_from_another_containers_port_range() {
	local p1 p2
	ok "$NETWORK" create n --ipv6 --allow-host-loopback
	ok "$NETWORK" alloc n c1
	ok "$NETWORK" alloc n c2
	ok inside c1 ip -4 -o addr show dev eth0
	assert_match "$OUT" "inet 10\.89\.0\.2/" "c1's IPv4 address"
	ok inside c2 ip -4 -o addr show dev eth0
	assert_match "$OUT" "inet 10\.89\.0\.3/" "c2's IPv4 address"
	p1=$(free_port)
	p2=$(free_port)
	write_sniff_masq_py
	cat >"$TEST_WORK/bind.py" <<-'PY'
		import socket, sys
		held = []
		for spec in sys.argv[1:]:
		    sport, dport = (int(x) for x in spec.split(":"))
		    s = socket.socket(socket.AF_INET6)
		    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
		    s.bind(("::", sport))
		    s.settimeout(5)
		    s.connect(("fd00::2", dport))
		    held.append(s)
		print("connected", len(held), flush=True)
	PY
	bg keep1 "$BUILD/tools/churn" serve ::1 "$p1" keep
	bg keep2 "$BUILD/tools/churn" serve ::1 "$p2" keep
	bg sniff env ROOTLET_STATE_DIR="$ROOTLET_STATE_DIR/~infra" "$NETNS" exec n -- \
		python3 "$TEST_WORK/sniff.py" tcp "$p1" "$p2"
	wait_until 5 "grep -q listening '$TEST_WORK/keep1.out' && grep -q listening '$TEST_WORK/keep2.out' && grep -q sniffing '$TEST_WORK/sniff.out'"
	ok inside c1 python3 "$TEST_WORK/bind.py" "5024:$p1" "5024:$p2" "6015:$p1" "5500:$p2" \
		"4032:$p1" "5023:$p2"
	assert_eq "$OUT" "connected 6"
	wait_until 5 "[ \$(grep -c '^syn' '$TEST_WORK/sniff.out') -ge 6 ]"
	cat "$TEST_WORK/sniff.out"
	awk '/^syn/ && ($2 != "fd00::100" || $3 < 4032 || $3 > 5023) { bad = 1 } END { exit bad }' \
		"$TEST_WORK/sniff.out" || fail "a SYN of c1's on tap0 from outside its range 4032-5023"
}

# The same for UDP: c1's datagrams from ports of c2's range and of its own reach tap0 from
# ports of c1's range only.
test_a_container_cannot_send_its_ipv6_udp_from_another_containers_port_range() {
	local p1
	ok "$NETWORK" create n --ipv6 --allow-host-loopback
	ok "$NETWORK" alloc n c1
	ok "$NETWORK" alloc n c2
	ok inside c1 ip -4 -o addr show dev eth0
	assert_match "$OUT" "inet 10\.89\.0\.2/" "c1's IPv4 address"
	p1=$(free_port)
	write_sniff_masq_py
	bg sniff env ROOTLET_STATE_DIR="$ROOTLET_STATE_DIR/~infra" "$NETNS" exec n -- \
		python3 "$TEST_WORK/sniff.py" udp "$p1"
	wait_until 5 "grep -q sniffing '$TEST_WORK/sniff.out'"
	ok inside c1 python3 -c '
import socket, sys
for sport in (5024, 5500, 6015, 4032, 5023):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.bind(("::", sport))
    s.sendto(b"x", ("fd00::2", int(sys.argv[1])))
    s.close()
print("sent")' "$p1"
	wait_until 5 "[ \$(grep -c '^syn' '$TEST_WORK/sniff.out') -ge 5 ]"
	cat "$TEST_WORK/sniff.out"
	awk '/^syn/ && ($2 != "fd00::100" || $3 < 4032 || $3 > 5023) { bad = 1 } END { exit bad }' \
		"$TEST_WORK/sniff.out" || fail "a datagram of c1's on tap0 from outside its range 4032-5023"
}

# Issue 26 (an outside attack, W1): a container sends UDP from 10.0.2.3:53 (slirp's DNS, on
# tap0's side) to the infra, as an answer to rootlet-dns's upstream query would come. The
# bridge port passes c1's own address only (and the infra's strict reverse-path filter would
# drop it behind that): UDP in the infra never sees it, where a datagram from c1's own address
# is seen.
test_a_datagram_from_slirps_dns_address_sent_by_a_container_never_reaches_the_infra() {
	local before after
	ok "$NETWORK" create n
	ok "$NETWORK" alloc n c1
	cat >"$TEST_WORK/spoof.py" <<-'PY'
		import socket, struct
		s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
		src, dst = socket.inet_aton("10.0.2.3"), socket.inet_aton("10.89.0.1")
		for port in range(40000, 40200):
		    udp = struct.pack(">HHHH", 53, port, 12, 0) + b"spoo"
		    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, src, dst)
		    s.sendto(ip + udp, ("10.89.0.1", 0))
	PY
	udp_in() { infra exec n -- awk '/^Udp:/ { n++ } /^Udp:/ && n == 2 { print $2 + $3 + $4 }' /proc/net/snmp; }
	before=$(udp_in)
	ok inside c1 python3 "$TEST_WORK/spoof.py"
	sleep 1
	after=$(udp_in)
	assert_eq "$((after - before))" 0 "UDP datagrams from 10.0.2.3 the infra took in (InDatagrams + NoPorts + InErrors)"
	ok inside c1 python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"own", ("10.89.0.1", 40000))'
	sleep 1
	[ "$(udp_in)" -gt "$after" ] || fail "a datagram from c1's own address was not counted either"
}

# An --ip or --ip6 that is no address is said to be none (it was "not in the subnet"), and a
# --netns that cannot be opened says why (/proc/1/ns/net: permission denied, where it said
# "not a network namespace"); a file that is no namespace is still called so.
test_a_malformed_ip_or_an_unopenable_netns_is_named_as_such() {
	ok "$NETWORK" create n --ipv6
	ok "$NETWORK" alloc n c1
	refused 1 "$NETWORK" alloc n c2 --ip abc
	assert_eq "$ERR" "rootlet-network: alloc n c2: --ip abc: not an IPv4 address"
	refused 1 "$NETWORK" alloc n c2 --ip6 abc
	assert_eq "$ERR" "rootlet-network: alloc n c2: --ip6 abc: not an IPv6 address"
	refused 1 "$NETWORK" alloc n c2 --netns /proc/1/ns/net
	assert_eq "$ERR" "rootlet-network: alloc n c2: --netns /proc/1/ns/net: Permission denied"
	echo x >"$TEST_WORK/plain"
	refused 1 "$NETWORK" alloc n c2 --netns "$TEST_WORK/plain"
	assert_eq "$ERR" "rootlet-network: alloc n c2: --netns $TEST_WORK/plain: not a network namespace"
	[ ! -e "$ROOTLET_STATE_DIR/c2" ] || fail "a refused alloc left netns c2"
}

# Issue 26, the same on an IPv6 network: a container's port passes its own IPv6 address (and
# link-local, ::), not another of the subnet6 (fd89::110 here), to another container.
test_a_container_sending_from_another_ipv6_address_of_its_subnet_reaches_nothing() {
	ok "$NETWORK" create six --ipv6
	ok "$NETWORK" alloc six c1
	ok "$NETWORK" alloc six c2
	serve peer inside c2 $NET serve-peer :: 8080
	ok inside c1 ip addr add fd89::110/64 dev eth0 nodad
	ok inside c1 $NET whoami fd89::3 8080 --bind fd89::2 --timeout 5
	assert_eq "$OUT" fd89::2 "c1 from its own IPv6 address, to c2"
	run inside c1 $NET whoami fd89::3 8080 --bind fd89::110 --timeout 2
	[ "$RC" -ne 0 ] || fail "c1 reached c2 from fd89::110: $OUT"
}

# raw.py: frames made by hand on a container's eth0 (AF_PACKET), as an attacker in it sends them.
#   steal VICTIM_MAC SECS [lldp]: IPv4 from its own address under VICTIM_MAC, broadcast, every
#     50 ms (with lldp: an LLDP frame to the link-local group 01:80:c2:00:00:0e instead);
#     prints "taken N", the frames for VICTIM_MAC that came to it meanwhile
#   na TARGET / ra: an unsolicited override Neighbor Advertisement (TARGET is at our MAC) / a
#     high-preference Router Advertisement of fd66::/64, from its link-local to ff02::1, 4 times
#   echo6 SRC DST DSTMAC: an ICMPv6 echo request from SRC to DST (marked ECHO-SPOOF), in a frame
#     to DSTMAC, 4 times
#   sniff SECS: prints "got N", the frames marked ECHO-SPOOF that came to it meanwhile
#   mldq MRC / igmpq MRC: a general MLDv2 query from its link-local address to ff02::1 / IGMPv3
#     query from its IPv4 address to 224.0.0.1 (Router Alert, hop limit 1), max response code
#     MRC, 4 times
write_raw_py() {
	cat >"$TEST_WORK/raw.py" <<-'PY'
		import fcntl, socket, struct, sys, time
		IF, SIOCGIFHWADDR, SIOCGIFADDR = "eth0", 0x8927, 0x8915
		SK = socket.socket()
		def ifreq(req):
		    return fcntl.ioctl(SK.fileno(), req, struct.pack("256s", IF.encode()))
		MAC = ifreq(SIOCGIFHWADDR)[18:24]
		def csum(b):
		    b += b"\0" * (len(b) % 2)
		    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
		    while s >> 16:
		        s = (s & 0xFFFF) + (s >> 16)
		    return ~s & 0xFFFF
		r = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
		r.bind((IF, 0))
		if sys.argv[1] == "steal":
		    victim, end = bytes.fromhex(sys.argv[2].replace(":", "")), time.time() + float(sys.argv[3])
		    me, gw = ifreq(SIOCGIFADDR)[20:24], socket.inet_aton("10.89.0.1")
		    udp = struct.pack("!HHHH", 40000, 9, 12, 0) + b"ping"
		    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0, me, gw)
		    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:] + udp
		    frame = b"\xff" * 6 + victim + b"\x08\x00" + ip
		    if sys.argv[4:] == ["lldp"]:
		        # chassis id, port id, TTL, end: the TLVs of an LLDPDU
		        tlvs = b"\x02\x07\x04" + victim + b"\x04\x02\x07\x31\x06\x02\x00\x78\x00\x00"
		        frame = b"\x01\x80\xc2\x00\x00\x0e" + victim + b"\x88\xcc" + tlvs
		    r.settimeout(0.05)
		    taken = 0
		    while time.time() < end:
		        r.send(frame)
		        try:
		            while True:
		                d, a = r.recvfrom(70000)
		                taken += a[2] != socket.PACKET_OUTGOING and d[0:6] == victim
		        except socket.timeout:
		            pass
		    print("taken", taken)
		    sys.exit(0)
		if sys.argv[1] == "sniff":
		    r.settimeout(0.2)
		    got, end = 0, time.time() + float(sys.argv[2])
		    while time.time() < end:
		        try:
		            got += b"ECHO-SPOOF" in r.recv(70000)
		        except socket.timeout:
		            pass
		    print("got", got)
		    sys.exit(0)
		if sys.argv[1] == "dad":
		    # Neighbor Solicitations from :: for a target, as its duplicate address detection
		    tgt, end = socket.inet_pton(socket.AF_INET6, sys.argv[2]), time.time() + float(sys.argv[3])
		    src = bytes(16)
		    dst = socket.inet_pton(socket.AF_INET6, "ff02::1:ff00:0")[:13] + tgt[13:]
		    icmp = struct.pack("!BBHI", 135, 0, 0, 0) + tgt
		    icmp = icmp[:2] + struct.pack("!H", csum(src + dst + struct.pack("!I3xB", len(icmp), 58) + icmp)) + icmp[4:]
		    ip6 = struct.pack("!IHBB", 0x60000000, len(icmp), 58, 255) + src + dst + icmp
		    sent = 0
		    while time.time() < end:
		        r.send(b"\x33\x33" + dst[12:] + MAC + b"\x86\xdd" + ip6)
		        sent += 1
		        time.sleep(0.02)
		    print("sent", sent)
		    sys.exit(0)
		if sys.argv[1] == "echo6":
		    src, dst = (socket.inet_pton(socket.AF_INET6, a) for a in sys.argv[2:4])
		    icmp = struct.pack("!BBHHH", 128, 0, 0, 7, 1) + b"ECHO-SPOOF"
		    ph = src + dst + struct.pack("!I3xB", len(icmp), 58)
		    icmp = icmp[:2] + struct.pack("!H", csum(ph + icmp)) + icmp[4:]
		    ip6 = struct.pack("!IHBB", 0x60000000, len(icmp), 58, 64) + src + dst + icmp
		    for _ in range(4):
		        r.send(bytes.fromhex(sys.argv[4].replace(":", "")) + MAC + b"\x86\xdd" + ip6)
		        time.sleep(0.25)
		    print("sent")
		    sys.exit(0)
		if sys.argv[1] == "igmpq":
		    me, dst = ifreq(SIOCGIFADDR)[20:24], socket.inet_aton("224.0.0.1")
		    igmp = struct.pack("!BBH4sBBH", 0x11, int(sys.argv[2], 0), 0, bytes(4), 2, 125, 0)
		    igmp = igmp[:2] + struct.pack("!H", csum(igmp)) + igmp[4:]
		    ip = struct.pack("!BBHHHBBH4s4s", 0x46, 0xC0, 24 + len(igmp), 0, 0x4000, 1, 2, 0, me, dst)
		    ip += b"\x94\x04\x00\x00"
		    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:] + igmp
		    for _ in range(4):
		        r.send(b"\x01\x00\x5e\x00\x00\x01" + MAC + b"\x08\x00" + ip)
		        time.sleep(0.25)
		    print("sent")
		    sys.exit(0)
		ll = [l.split()[0] for l in open("/proc/net/if_inet6") if l.split()[5] == IF and l.startswith("fe80")][0]
		src, dst = bytes.fromhex(ll), socket.inet_pton(socket.AF_INET6, "ff02::1")
		if sys.argv[1] == "mldq":
		    # Hop-by-Hop: ICMPv6 next, Router Alert (MLD), PadN
		    hbh = bytes([58, 0, 5, 2, 0, 0, 1, 0])
		    icmp = struct.pack("!BBHHH16sBBH", 130, 0, 0, int(sys.argv[2], 0), 0, bytes(16), 2, 125, 0)
		    ph = src + dst + struct.pack("!I3xB", len(icmp), 58)
		    icmp = icmp[:2] + struct.pack("!H", csum(ph + icmp)) + icmp[4:]
		    ip6 = struct.pack("!IHBB", 0x60000000, len(hbh) + len(icmp), 0, 1) + src + dst + hbh + icmp
		    for _ in range(4):
		        r.send(b"\x33\x33\x00\x00\x00\x01" + MAC + b"\x86\xdd" + ip6)
		        time.sleep(0.25)
		    print("sent", ll)
		    sys.exit(0)
		if sys.argv[1] == "na":
		    icmp = struct.pack("!BBHI", 136, 0, 0, 0x20000000) + socket.inet_pton(socket.AF_INET6, sys.argv[2])
		    icmp += struct.pack("!BB", 2, 1) + MAC
		else:
		    icmp = struct.pack("!BBHBBHII", 134, 0, 0, 64, 0x08, 1800, 0, 0) + struct.pack("!BB", 1, 1) + MAC
		    icmp += struct.pack("!BBBBIII", 3, 4, 64, 0xC0, 86400, 14400, 0) + socket.inet_pton(socket.AF_INET6, "fd66::")
		ph = src + dst + struct.pack("!I3xB", len(icmp), 58)
		icmp = icmp[:2] + struct.pack("!H", csum(ph + icmp)) + icmp[4:]
		ip6 = struct.pack("!IHBB", 0x60000000, len(icmp), 58, 255) + src + dst + icmp
		for _ in range(4):
		    r.send(b"\x33\x33\x00\x00\x00\x01" + MAC + b"\x86\xdd" + ip6)
		    time.sleep(0.25)
		print("sent", ll)
	PY
}

# container_mac NS: its eth0's MAC (/sys is the namespace of whoever mounted it: not NS's)
container_mac() {
	inside "$1" ip -o link show dev eth0 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'
}

# mac_theft_scene [lldp]: c1 sends frames under c2's MAC (raw.py steal) while c3 sends to c2;
# fails if c1 was given any of c2's frames, or if c1 or c2 lost its own way out.
mac_theft_scene() {
	local hport mac2
	ok "$NETWORK" create n --allow-host-loopback
	ok "$NETWORK" alloc n c1
	ok "$NETWORK" alloc n c2
	hport=$(free_port)
	serve host $NET serve-peer 127.0.0.1 "$hport"
	write_raw_py
	mac2=$(container_mac c2)
	ok "$NETWORK" alloc n c3
	# c2 only listens (it sends no frame to move its MAC back); c3 sends to it.
	bg sink inside c2 python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("", 9999))
while True:
    s.recv(100)'
	bg steal inside c1 python3 "$TEST_WORK/raw.py" steal "$mac2" 4 "$@"
	ok inside c3 $NET send-udp 10.89.0.3 9999 "for c2" --count 150 --interval 0.02
	wait_until 15 "grep -q taken '$TEST_WORK/steal.out'"
	cat "$TEST_WORK/steal.out"
	grep -qx "taken 0" "$TEST_WORK/steal.out" || fail "c1 took c2's frames: $(cat "$TEST_WORK/steal.out")"
	ok inside c2 $NET whoami 10.0.2.2 "$hport" --timeout 5
	assert_eq "$OUT" 127.0.0.1 "c2 to the host, after"
	ok inside c1 $NET whoami 10.0.2.2 "$hport" --timeout 5
	assert_eq "$OUT" 127.0.0.1 "c1 to the host, under its own MAC"
}

# Outside attack of issue 26: c1 sent frames under c2's MAC (from its own address, which its port
# let through); the bridge learnt c2's MAC on c1's port and gave c1 c2's traffic. A port passes
# only frames from its container's own MAC.
test_a_container_sending_under_another_containers_mac_takes_none_of_its_traffic() {
	mac_theft_scene
}

# Third outside attack of issue 26: frames to a link-local group (LLDP, 01:80:c2:00:00:0e) are
# taken by the bridge before any nftables bridge hook, and it learnt their source MAC: c1 took
# c2's MAC that way. The bridge learns from no link-local frame.
test_a_container_sending_link_local_frames_under_another_containers_mac_takes_none_of_its_traffic() {
	mac_theft_scene lldp
}

# Outside attack of issue 26: c1 advertised the gateway's IPv6 address at its own MAC (c2's
# neighbour cache took it) and advertised itself a router of fd66::/64 (c2 took a default route
# and an address). A port drops Router Advertisements, Redirects and Neighbor Advertisements of
# any address but its container's own.
test_a_container_cannot_claim_the_gateways_ipv6_address_nor_advertise_a_router() {
	local mac1
	ok "$NETWORK" create six --ipv6
	ok "$NETWORK" alloc six c1
	ok "$NETWORK" alloc six c2
	serve peer inside c2 $NET serve-peer :: 8080
	write_raw_py
	mac1=$(container_mac c1)
	echo "c1's MAC: $mac1"
	ok inside c2 python3 -c 'import socket; socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).sendto(b"x", ("fd89::1", 9))'
	wait_until 5 "inside c2 ip -6 neigh show fd89::1 dev eth0 | grep -q lladdr"
	ok inside c1 python3 "$TEST_WORK/raw.py" na fd89::1
	ok inside c2 ip -6 neigh show fd89::1 dev eth0
	echo "c2's neighbour fd89::1: $OUT"
	case $OUT in *"$mac1"*) fail "c2 has the gateway at c1's MAC: $OUT" ;; esac
	ok inside c1 python3 "$TEST_WORK/raw.py" ra
	ok inside c2 ip -6 addr show dev eth0
	case $OUT in *fd66:*) fail "c2 took an address of c1's advertised prefix: $OUT" ;; esac
	ok inside c2 ip -6 route show default
	case $OUT in *fe80:*) fail "c2 took a default route from c1: $OUT" ;; esac
	ok inside c1 $NET whoami fd89::3 8080 --bind fd89::2 --timeout 5
	assert_eq "$OUT" fd89::2 "c1 to c2, its own neighbour discovery passed"
}

# gateway_mac NS: the MAC NS's neighbour cache has for the gateway 10.89.0.1, asked afresh
gateway_mac() {
	inside "$1" ip neigh flush dev eth0
	inside "$1" python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("10.89.0.1", 9))'
	wait_until 5 "inside $1 ip neigh show 10.89.0.1 dev eth0 | grep -q lladdr"
	inside "$1" ip neigh show 10.89.0.1 dev eth0 | sed -n 's/.*lladdr \([0-9a-f:]*\).*/\1/p'
}

# Fifth outside attack: the bridge took its lowest port's MAC, so when that container went the
# gateway's MAC changed; the others' caches named a MAC nobody had, whose frames the bridge
# flooded to every port (another container read them). The gateway's MAC is its own, 02:00
# and its IPv4 address, whoever comes and goes.
test_the_gateways_mac_is_its_own_whoever_comes_and_goes() {
	ok "$NETWORK" create n
	for c in c1 c2 c3; do ok "$NETWORK" alloc n $c; done
	assert_eq "$(gateway_mac c3)" 02:00:0a:59:00:01 "the gateway's MAC with three containers"
	ok "$NETWORK" dealloc n c1
	ok "$NETWORK" dealloc n c2
	ok "$NETWORK" alloc n c4
	assert_eq "$(gateway_mac c3)" 02:00:0a:59:00:01 "the gateway's MAC after two left and one came"
	refused 1 "$NETWORK" alloc n c5 --mac 02:00:0a:59:00:01
	assert_match "$ERR" "gateway" "a container given the gateway's MAC"
}

# link_local NS: its eth0's link-local IPv6 address
link_local() {
	inside "$1" ip -6 -o addr show dev eth0 scope link | sed -n 's/.*inet6 \(fe80::[0-9a-f:]*\).*/\1/p'
}

# Fourth outside attack of issue 24: NAs for any link-local target passed a port, so c1 told c3
# that c2's link-local address was at c1's MAC, and took c3's datagrams for c2. A port's NA and
# IPv6 source may be its own link-local address only, the EUI-64 one of its MAC.
test_a_container_cannot_claim_another_containers_link_local_address() {
	local mac1 ll2
	ok "$NETWORK" create six --ipv6
	for c in c1 c2 c3; do ok "$NETWORK" alloc six $c; done
	write_raw_py
	mac1=$(container_mac c1)
	ll2=$(link_local c2)
	[ -n "$ll2" ] || fail "c2 has no link-local address"
	ok inside c3 python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.sendto(b"x", (sys.argv[1], 9, 0, socket.if_nametoindex("eth0")))' "$ll2"
	wait_until 5 "inside c3 ip -6 neigh show $ll2 dev eth0 | grep -q lladdr"
	ok inside c1 python3 "$TEST_WORK/raw.py" na "$ll2"
	ok inside c3 ip -6 neigh show "$ll2" dev eth0
	echo "c3's neighbour $ll2 (c2's link-local): $OUT"
	case $OUT in *"$mac1"*) fail "c3 has c2's link-local address at c1's MAC: $OUT" ;; esac
	ok inside c3 python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.sendto(b"x", (sys.argv[1], 9, 0, socket.if_nametoindex("eth0")))' "$(link_local c1)"
	wait_until 5 "inside c3 ip -6 neigh show $(link_local c1) dev eth0 | grep -q '$mac1'"
}

# Sixth outside attack: a container sent Neighbor Solicitations from :: (duplicate address
# detection's) for the link-local address of a container being made, which failed DAD and was
# left with no usable link-local address (a port is heard from its EUI-64 one only). From ::, a
# port may probe for its own addresses only.
test_a_container_cannot_fail_another_containers_duplicate_address_detection() {
	local mac=02:42:0a:59:00:33 ll=fe80::42:aff:fe59:33
	ok "$NETWORK" create six --ipv6
	ok "$NETWORK" alloc six c1
	write_raw_py
	bg dad inside c1 python3 "$TEST_WORK/raw.py" dad "$ll" 20
	sleep 0.5
	ok "$NETWORK" alloc six c3 --mac "$mac"
	# DAD ends, one way or the other, about a second after eth0 is up
	wait_until 10 "inside c3 ip -6 -o addr show dev eth0 scope link | grep -q '$ll' &&
		! inside c3 ip -6 -o addr show dev eth0 scope link | grep -v dadfailed | grep -q tentative"
	ok inside c3 ip -6 -o addr show dev eth0 scope link
	assert_no_match "$OUT" dadfailed "c3's link-local address"
}

# Outside attack B2: ca sent an MLD general query from its own link-local address (max response
# code 0xffff: the others answer it only after up to 8387 s). The bridge snooped multicast: it
# then had a querier and took ca's port for a multicast router's, and once ce's membership of its
# solicited-node group expired, Neighbor Solicitations for ce went to ca's port only: the infra
# and cb lost ce. The bridge snoops no multicast; it floods it to every port. Memberships are
# made to last 2 s, not 260 (ce's are heard after that), so that ce's expire within the test.
test_a_containers_multicast_query_never_cuts_the_others_off_from_neighbour_discovery() {
	ok "$NETWORK" create six --ipv6
	ok "$NETWORK" alloc six ca
	ok "$NETWORK" alloc six cb
	ok infra exec six -- ip link set rootlet0 type bridge mcast_membership_interval 200
	ok "$NETWORK" alloc six ce
	serve peer inside ce $NET serve-peer :: 8080
	write_raw_py
	ok inside cb $NET whoami fd89::4 8080 --bind fd89::3 --timeout 5
	# The first query, answered at once, makes the querier known to the bridge (it counts one
	# only after a first query's response delay); the next ones keep it there.
	ok inside ca python3 "$TEST_WORK/raw.py" mldq 1
	ok inside ca python3 "$TEST_WORK/raw.py" mldq 0xffff
	# ce's last unsolicited report is sent within about 2 s of its eth0 coming up
	sleep 5
	ok infra exec six -- bridge mdb show dev rootlet0
	echo "the bridge's multicast groups: $OUT"
	ok infra exec six -- ip -6 neigh flush dev rootlet0
	ok inside cb ip -6 neigh flush dev eth0
	ok infra exec six -- $NET whoami fd89::4 8080 --bind fd89::1 --timeout 5
	assert_eq "$OUT" fd89::1 "the infra to ce, after ca's query"
	ok inside cb $NET whoami fd89::4 8080 --bind fd89::3 --timeout 5
	assert_eq "$OUT" fd89::3 "cb to ce, after ca's query"
}

# Outside attack B2 over IPv4: c1's IGMP queries (from its own address; max response code 255:
# ~3174 s) made c1's port the only way to a group whose members' reports had expired. A group
# c3 joined still reaches c3 from c2 after c1's queries (memberships last 2 s, as above).
test_a_containers_igmp_query_never_cuts_the_others_off_from_a_multicast_group() {
	ok "$NETWORK" create n
	ok "$NETWORK" alloc n c1
	ok "$NETWORK" alloc n c2
	ok infra exec n -- ip link set rootlet0 type bridge mcast_membership_interval 200
	ok "$NETWORK" alloc n c3
	write_raw_py
	bg group inside c3 python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("", 5000))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton("239.1.2.3") + bytes(4))
print("joined", flush=True)
s.settimeout(30)
print("got", s.recv(100).decode(), flush=True)'
	wait_until 5 "grep -q joined '$TEST_WORK/group.out'"
	ok inside c1 python3 "$TEST_WORK/raw.py" igmpq 1
	ok inside c1 python3 "$TEST_WORK/raw.py" igmpq 255
	# c3's last unsolicited report is sent within about 2 s of its joining
	sleep 5
	ok inside c2 python3 -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
for _ in range(10):
    s.sendto(b"to-the-group", ("239.1.2.3", 5000))
    time.sleep(0.2)'
	wait_until 10 "grep -q 'got to-the-group' '$TEST_WORK/group.out'"
}

# A bridge an older build made snooped multicast, and lives as long as its infra: the next alloc
# on its network turns that off.
test_an_older_builds_bridge_snoops_no_multicast_after_the_next_alloc() {
	ok "$NETWORK" create n
	ok "$NETWORK" alloc n c1
	ok infra exec n -- ip -d link show rootlet0
	assert_match "$OUT" "mcast_snooping 0" "the bridge as made"
	ok infra exec n -- ip link set rootlet0 type bridge mcast_snooping 1
	ok "$NETWORK" alloc n c2
	ok infra exec n -- ip -d link show rootlet0
	assert_match "$OUT" "mcast_snooping 0" "an older build's bridge after an alloc"
}

# Fourth outside attack of issue 24: a frame to a link-local group (01:80:c2:00:00:0e, ...03) is
# passed up on the bridge port before any bridge hook, and the port took IPv6 from any source:
# c1 sent echo requests from c2's address to the gateway and the infra answered c2. Bridge
# ports take no IPv6 themselves.
test_ipv6_from_another_containers_address_to_a_link_local_group_gets_no_answer() {
	ok "$NETWORK" create six --ipv6
	ok "$NETWORK" alloc six c1
	ok "$NETWORK" alloc six c2
	write_raw_py
	bg sniff inside c2 python3 "$TEST_WORK/raw.py" sniff 5
	sleep 0.5
	for group in 01:80:c2:00:00:0e 01:80:c2:00:00:03; do
		ok inside c1 python3 "$TEST_WORK/raw.py" echo6 fd89::3 fd89::1 "$group"
	done
	wait_until 15 "grep -q got '$TEST_WORK/sniff.out'"
	cat "$TEST_WORK/sniff.out"
	grep -qx "got 0" "$TEST_WORK/sniff.out" ||
		fail "the infra answered c1's requests in c2's name: $(cat "$TEST_WORK/sniff.out")"
	# c2's own echo request is answered (the kernel fills in a raw ICMPv6 socket's checksum).
	ok inside c2 python3 -c 'import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.settimeout(3)
s.sendto(bytes([128, 0, 0, 0, 0, 7, 0, 1]) + b"own", ("fd89::1", 0))
while s.recv(100)[0] != 129:
    pass
print("answered")'
	assert_eq "$OUT" answered "c2's own echo request to the gateway"
}

# Outside attack of issue 24: an alloc killed once its container's rootlet-portfwd was started,
# before its pid file was written, left a forwarder nothing recorded, still forwarding the
# host port to the address the next alloc was given. A container's rootlet-portfwd serves
# that container's netns: it ends with the netns's holder, however the holder ends.
test_a_containers_portfwd_ends_with_its_netns() {
	local port pf holder
	port=$(free_port)
	ok "$NETWORK" create n
	ok "$NETWORK" alloc n c1 --publish "127.0.0.1:$port:80"
	pf=$(cut -d' ' -f1 "$(infra_dir n)/portfwd-c1.pid")
	kill -0 "$pf" || fail "c1's rootlet-portfwd is not running"
	holder=$(holder_pid c1)
	kill -9 "$holder"
	wait_until 10 "! kill -0 $pf"
	ok python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', $port))"
	ok "$NETWORK" gc
	ok "$NETWORK" alloc n c2 --publish "127.0.0.1:$port:80"
}

# A second outside attack of issue 24: an alloc killed while it wrote the infra's hosts file left
# its temporary file (~hosts.tmp.PID), and gc kept it. Writers of the hosts file hold the
# networks' lock, so whoever holds it next removes what a dead writer left.
# Review of the typed-records change: alloc saves its record before it writes the hosts file,
# and dealloc too, so a verb killed in between leaves the file out of step with a record that
# recovery finds whole. gc writes the file again from the record (it had stopped doing so).
test_gc_writes_the_hosts_file_again_from_the_record() {
	ok "$NETWORK" create n
	ok "$NETWORK" alloc n c1
	ok "$NETWORK" alloc n c2
	grep -v ' c2$' "$(infra_dir n)/hosts" >"$TEST_WORK/hosts" || true
	cp "$TEST_WORK/hosts" "$(infra_dir n)/hosts"
	echo "10.89.0.77 gone" >>"$(infra_dir n)/hosts"
	ok "$NETWORK" gc
	grep -q ' c2$' "$(infra_dir n)/hosts" || fail "gc left c2 out of the hosts file: $(cat "$(infra_dir n)/hosts")"
	! grep -q ' gone$' "$(infra_dir n)/hosts" || fail "gc kept a name no attachment has"
}

test_gc_removes_the_hosts_file_a_killed_writer_left() {
	ok "$NETWORK" create n
	ok "$NETWORK" alloc n c1
	touch "$(infra_dir n)/~hosts.tmp.99999"
	ok "$NETWORK" gc
	[ ! -e "$(infra_dir n)/~hosts.tmp.99999" ] || fail "gc kept a dead writer's temporary file"
	[ -e "$(infra_dir n)/hosts" ] || fail "gc took the hosts file itself"
}

# Issue 24: each container's netns has a user namespace of its own, a child of the network's.
# A process with CAP_NET_ADMIN there (the container's root, rootlet-netns exec as an engine
# runs it) has none over the infra's netns or another container's: every route across is
# tried from inside c1 against the infra and c2 by tests/integration/tools/nsattack.py.
ATTACK="python3 $TOP/tests/integration/tools/nsattack.py"

# two_containers: network n with c1 and c2 attached; VETH2 is c2's bridge port.
two_containers() {
	ok "$NETWORK" create n
	ok "$NETWORK" alloc n c1
	ok "$NETWORK" alloc n c2
	VETH2=$(jq -r '.attachments[] | select(.id == "c2") | .veth' "$ROOTLET_STATE_DIR/~networks/n.json")
}

# holder_pid NETNS: the pid of a container netns's holder.
holder_pid() {
	"$NETNS" list --json | jq -r --arg n "$1" '.[] | select(.name == $n) | .holder_pid'
}

# attack ROUTE ARGS...: the route tried from inside c1; OUT is nsattack's one line.
attack() {
	ok inside c1 $ATTACK "$@"
	assert_match "$OUT" "^refused: " "from c1's netns: $OUT"
}

test_a_container_cannot_delete_another_containers_bridge_port_by_the_infras_netns_id() {
	two_containers
	attack target-del "$VETH2"
	ok infra exec n -- ip link show dev "$VETH2"
	ok inside c2 ip link show dev eth0
}

# (RTM_SETLINK takes no IFLA_TARGET_NETNSID: the bridge is looked up in the caller's own netns,
# ENODEV; RTM_NEWLINK makes a link where the id says.)
test_a_container_cannot_make_a_link_in_the_infra_by_its_netns_id() {
	two_containers
	attack target-create evil0
	run infra exec n -- ip link show dev evil0
	[ "$RC" -ne 0 ] || fail "c1 made a link in the infra"
}

test_a_container_cannot_list_the_infras_links_by_its_netns_id() {
	two_containers
	attack target-list
}

test_a_container_cannot_join_the_infras_or_another_containers_namespaces() {
	two_containers
	attack setns "$(infra_holder_pid n)" net
	attack setns "$(infra_holder_pid n)" user
	attack setns "$(holder_pid c2)" net
	attack setns "$(holder_pid c2)" user
}

test_a_container_cannot_move_a_link_into_the_infra_or_another_container() {
	two_containers
	ok inside c1 ip link add x0 type veth peer name x1
	attack move-into x1 "$(infra_holder_pid n)"
	attack move-into x1 "$(holder_pid c2)"
	run infra exec n -- ip link show dev x1
	[ "$RC" -ne 0 ] || fail "x1 reached the infra"
}

test_a_container_cannot_reach_another_container_by_a_netns_id_it_gives_it() {
	two_containers
	attack forged-nsid-del "$(holder_pid c2)" eth0
	ok inside c2 ip link show dev eth0
}

# The netns alloc makes is in a user namespace below the network's (its "userns" mode
# "child"), and rootlet-netns add --userns NETWORK'S makes one likewise; what an engine joins
# (rootlet-netns exec, path --user) is that one.
test_a_containers_netns_has_a_user_namespace_of_its_own_below_the_networks() {
	ok "$NETWORK" create n
	ok "$NETWORK" alloc n c1
	ok "$NETNS" add mine --userns "$(infra_dir n)/user"
	netuser=$(stat -L -c %i "$(infra_dir n)/user")
	for ns in c1 mine; do
		ok "$NETNS" show "$ns" --json
		assert_eq "$(echo "$OUT" | jq -r .userns_mode)" child "$ns's userns mode"
		ok "$NETNS" path "$ns" --user
		[ "$(stat -L -c %i "$OUT")" != "$netuser" ] || fail "$ns is in the network's userns"
	done
	ok inside c1 cat /proc/self/uid_map
	assert_eq "$(echo "$OUT" | awk '{print $1, $2}' | sort -u | awk '$1 != $2')" "" "mapped 1:1"
	ok "$NETWORK" alloc n c2 --netns mine
	ok "$NETNS" exec mine -- ip -o -4 addr show dev eth0
	assert_match "$OUT" "10\.89\.0\.[0-9]+/24"
}

# A netns in the network's own user namespace would give its container the network: refused,
# saying how to make one that is not.
test_alloc_refuses_a_netns_in_the_networks_own_user_namespace() {
	ok "$NETWORK" create n
	ok "$NETWORK" alloc n c1
	# exec and unshare exec in turn: the sleeper is the pid itself, in a netns of its own.
	ROOTLET_STATE_DIR=$ROOTLET_STATE_DIR/~infra "$NETNS" exec n -- unshare -n sleep 60 &
	pid=$!
	for _ in $(seq 50); do
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = sleep ] && break
		sleep 0.1
	done
	[ "$(cat "/proc/$pid/comm")" = sleep ] || fail "no sleeper in the infra's userns"
	refused 1 "$NETWORK" alloc n c2 --netns "/proc/$pid/ns/net"
	kill "$pid"
	wait "$pid" 2>/dev/null
	assert_match "$ERR" "in the user namespace of n's infra, where it could administer the network; make it with 'rootlet-netns add NAME --userns "
	ok "$NETWORK" inspect n
	assert_eq "$(echo "$OUT" | jq '.attachments | length')" 1 "nothing attached"
}
