# rootlet-netns oci with the real OCI runtimes (runc, crun), rootless, busybox-static inside.

# prepare_bundle NAME ARGS...: a rootless bundle in ./bundle whose config joins netns NAME.
prepare_bundle() {
	local name=$1
	shift
	make_rootfs bundle/rootfs
	(cd bundle && runc spec --rootless) || fail "runc spec --rootless failed"
	ok "$NETNS" oci "$name" bundle/config.json --in-place
	args=$(printf '%s\n' "$@" | jq -R . | jq -s -c .)
	jq --argjson args "$args" '.process.terminal = false | .process.args = $args' \
		<bundle/config.json >bundle/config.new && mv bundle/config.new bundle/config.json
}

# run_container RUNTIME: run the bundle, its output in OUT.
run_container() {
	local runtime=$1
	command -v "$runtime" >/dev/null || fail "$runtime is not installed"
	run "$runtime" --root "$TEST_WORK/$runtime-state" run --bundle bundle "it-$runtime-$$"
	[ "$RC" -eq 0 ] || fail "$runtime run exited $RC: $ERR"
}

container_sees_the_netns() {
	local runtime=$1
	ok "$NETNS" add web
	ok "$NETNS" exec web -- ip addr add 10.77.1.1/32 dev lo
	prepare_bundle web sh -c 'ip -o addr show dev lo; cat /proc/self/uid_map'
	run_container "$runtime"
	assert_match "$OUT" "10\.77\.1\.1/32" "address set through exec, seen in the $runtime container"
	assert_match "$OUT" "0 +$(id -u) +1" "container uid_map is the holder's"
}

test_runc_container_joins_the_netns() {
	container_sees_the_netns runc
}

test_crun_container_joins_the_netns() {
	container_sees_the_netns crun
}

test_oci_keeps_other_fields_and_never_makes_a_new_userns() {
	ok "$NETNS" add web
	mkdir bundle && (cd bundle && runc spec --rootless) || fail "runc spec failed"
	jq '.annotations = {"org.example.keep": "yes"} | .linux.sysctl = {"net.ipv4.ip_forward": "1"}' \
		bundle/config.json >config.json
	ok "$NETNS" oci web config.json
	out=$OUT
	assert_eq "$(echo "$out" | jq -r '.annotations["org.example.keep"]')" yes "annotation kept"
	assert_eq "$(echo "$out" | jq -r '.linux.sysctl["net.ipv4.ip_forward"]')" 1 "sysctl kept"
	assert_eq "$(echo "$out" | jq -r '.process.args[0]')" sh "process kept"
	assert_eq "$(echo "$out" | jq '[.linux.namespaces[] | select(.type=="user" and .path==null)] | length')" 0 "user namespaces without a path"
	assert_eq "$(echo "$out" | jq -r '.linux.namespaces[] | select(.type=="network") | .path')" \
		"$ROOTLET_STATE_DIR/web/net" "network path"
	assert_eq "$(echo "$out" | jq -r '.linux.namespaces[] | select(.type=="user") | .path')" \
		"$ROOTLET_STATE_DIR/web/user" "user path"
	assert_eq "$(echo "$out" | jq '[.linux.namespaces[] | select(.type=="pid" or .type=="mount")] | length')" 2 "other namespaces kept"
	pid=$(holder_pid web)
	assert_eq "$(echo "$out" | jq -r '.linux.uidMappings[] | "\(.containerID) \(.hostID) \(.size)"')" \
		"$(awk '{print $1, $2, $3}' /proc/$pid/uid_map)" "uidMappings equal the holder's"
	assert_eq "$(echo "$out" | jq -r '.linux.gidMappings[] | "\(.containerID) \(.hostID) \(.size)"')" \
		"$(awk '{print $1, $2, $3}' /proc/$pid/gid_map)" "gidMappings equal the holder's"
	# Printing must not have touched the file.
	assert_eq "$(jq '[.linux.namespaces[] | select(.type=="network")] | length' config.json)" 0 \
		"network namespaces in the file after printing"
}

test_oci_refuses_invalid_json_and_leaves_the_file() {
	ok "$NETNS" add web
	printf '{"ociVersion": "1.0.2",\n  "linux": ' >config.json
	before=$(sha256sum config.json)
	refused 1 "$NETNS" oci web config.json --in-place
	assert_match "$ERR" "config.json: not valid JSON: .*line 2"
	assert_eq "$(sha256sum config.json)" "$before" "file after refusal"
	echo '[1, 2]' >array.json
	refused 1 "$NETNS" oci web array.json
	assert_match "$ERR" "not a JSON object"
	echo '{"linux": {"namespaces": {}}}' >odd.json
	refused 1 "$NETNS" oci web odd.json --in-place
	assert_match "$ERR" "linux.namespaces"
	refused 1 "$NETNS" oci web missing.json
	assert_match "$ERR" "missing.json: No such file"
	ls -A | grep -q '\.tmp\.' && fail "temporary file left behind"
	return 0
}

test_oci_refuses_a_stale_netns() {
	ok "$NETNS" add web
	echo '{}' >config.json
	kill -9 "$(holder_pid web)"
	wait_until 5 '[ "$(netns_state web)" = stale ]'
	refused 1 "$NETNS" oci web config.json
	assert_match "$ERR" "stale"
}
