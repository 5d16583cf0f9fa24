# rootlet-netns as root: the netns is an nsfs bind mount, as `ip netns add` makes, no holder.

test_root_add_is_a_bind_mounted_nsfs_file() {
	ok "$NETNS" add web
	assert_eq "$(stat -f -c %T "$ROOTLET_STATE_DIR/web/net")" nsfs "filesystem of net"
	ok "$NETNS" list --json
	assert_eq "$(echo "$OUT" | jq -r '.[0].state')" live
	assert_eq "$(echo "$OUT" | jq -r '.[0].holder_pid')" 0 "no holder"
	ok "$NETNS" exec web -- ip addr add 10.77.2.1/32 dev lo
	ok "$NETNS" exec web -- ip -o addr show dev lo
	assert_match "$OUT" "10\.77\.2\.1/32"
	ok nsenter --net="$ROOTLET_STATE_DIR/web/net" ip -o addr show dev lo
	assert_match "$OUT" "10\.77\.2\.1/32" "reached with nsenter"
	refused 1 "$NETNS" path web --user
	assert_match "$ERR" "no user namespace"
	ok "$NETNS" del web
	[ ! -e "$ROOTLET_STATE_DIR/web" ] || fail "entry left behind"
	grep -q " $ROOTLET_STATE_DIR/web/net " /proc/self/mountinfo && fail "nsfs still mounted"
	return 0
}

test_root_oci_sets_the_network_namespace_only() {
	ok "$NETNS" add web
	echo '{"linux": {"namespaces": [{"type": "user"}, {"type": "network"}]}}' >config.json
	ok "$NETNS" oci web config.json
	assert_eq "$(echo "$OUT" | jq -c '.linux.namespaces')" \
		"[{\"type\":\"user\"},{\"type\":\"network\",\"path\":\"$ROOTLET_STATE_DIR/web/net\"}]"
}

test_root_racing_adds_one_wins() {
	for i in $(seq 20); do
		("$NETNS" add same 2>/dev/null; echo $? >"$TEST_WORK/rc.$i") &
	done
	wait
	assert_eq "$(cat "$TEST_WORK"/rc.* | grep -c '^0$')" 1 "successful adds"
	assert_eq "$(ls -A "$ROOTLET_STATE_DIR")" same "state root content"
	assert_eq "$(grep -c " $ROOTLET_STATE_DIR/" /proc/self/mountinfo)" 1 "nsfs mounts left"
}
