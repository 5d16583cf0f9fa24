# rootlet-network's records (create, ls, inspect, rm) as the unprivileged test user.

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
	refused 1 "$NETWORK" create b --subnet 10.89.0.1/24
	assert_match "$ERR" "^rootlet-network: create b: --subnet: '10.89.0.1/24' is not a network address"
	refused 1 "$NETWORK" create b --subnet 10.89.0.0/33
	refused 1 "$NETWORK" create b --subnet banana
	refused 1 "$NETWORK" create b --subnet 10.88.0.0/15
	assert_eq "$ERR" "rootlet-network: create b: --subnet 10.88.0.0/15 overlaps network a"
	refused 1 "$NETWORK" create b --subnet 10.0.2.0/25
	assert_match "$ERR" "overlaps 10.0.2.0/24, which slirp uses"
	refused 1 "$NETWORK" create b --ipv6 --subnet6 fd00::/64
	assert_match "$ERR" "overlaps fd00::/64, which slirp uses"
	refused 1 "$NETWORK" create b --subnet 10.90.0.0/24 --gateway 10.91.0.1
	assert_eq "$ERR" "rootlet-network: create b: --gateway 10.91.0.1: not a host address of the subnet"
	refused 1 "$NETWORK" create b --subnet 10.90.0.0/24 --gateway 10.90.0.255
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
	check_man_page rootlet-network create ls inspect rm
}
