# rootlet-uidmap as the unprivileged test user, with the real newuidmap/newgidmap.

no_entry_file() {
	printf 'somebody-else:300000:65536\n' >"$TEST_WORK/subuid.none"
	echo "$TEST_WORK/subuid.none"
}

test_exec_maps_the_users_subuid_and_subgid_ranges() {
	ok "$UIDMAP" exec -- cat /proc/self/uid_map
	assert_eq "$(echo "$OUT" | awk '{print $1, $2, $3}')" "$(expected_map /etc/subuid "$(id -u)")" "uid_map"
	ok "$UIDMAP" exec -- cat /proc/self/gid_map
	assert_eq "$(echo "$OUT" | awk '{print $1, $2, $3}')" "$(expected_map /etc/subgid "$(id -g)")" "gid_map"
	[ "$(echo "$OUT" | wc -l)" -ge 2 ] || fail "no subordinate range mapped"
	ok "$UIDMAP" exec -- id -u
	assert_eq "$OUT" 0 "uid inside"
}

test_chown_inside_lands_on_start_plus_999_outside() {
	mkdir owned && touch owned/f
	ok "$UIDMAP" exec -- chown 1000:1000 owned/f
	start=$(grep -E "^($(id -un)|$(id -u)):" /etc/subuid | head -1 | cut -d: -f2)
	gstart=$(grep -E "^($(id -un)|$(id -u)):" /etc/subgid | head -1 | cut -d: -f2)
	assert_eq "$(stat -c %u owned/f)" "$((start + 999))" "owner on the host"
	assert_eq "$(stat -c %g owned/f)" "$((gstart + 999))" "group on the host"
}

test_exec_status_and_private_mounts() {
	run "$UIDMAP" exec -- sh -c 'exit 9'
	assert_eq "$RC" 9 "exit status"
	mkdir m
	ok "$UIDMAP" exec -- sh -c "mount -t tmpfs none '$TEST_WORK/m' && touch '$TEST_WORK/m/inside'"
	[ ! -e m/inside ] || fail "a mount made inside exec is visible outside"
	refused 127 "$UIDMAP" exec -- /nonexistent/cmd
}

test_oci_config_runs_under_crun_with_the_mapped_ranges() {
	make_rootfs bundle/rootfs
	(cd bundle && runc spec --rootless) || fail "runc spec failed"
	ok "$UIDMAP" oci bundle/config.json --in-place
	assert_eq "$(jq '[.linux.namespaces[] | select(.type=="user")] | length' bundle/config.json)" 1
	assert_eq "$(jq -r '.linux.namespaces[] | select(.type=="user") | .path // "new"' bundle/config.json)" new
	jq '.process.terminal = false | .process.args = ["cat", "/proc/self/uid_map"]' \
		bundle/config.json >c.json && mv c.json bundle/config.json
	run crun --root "$TEST_WORK/crun" run --bundle bundle "it-uidmap-$$"
	[ "$RC" -eq 0 ] || fail "crun run exited $RC: $ERR"
	assert_eq "$(echo "$OUT" | awk '{print $1, $2, $3}')" "$(expected_map /etc/subuid "$(id -u)")" \
		"uid_map inside the crun container"
}

test_show_lists_maps_and_their_sources() {
	ok "$UIDMAP" show --json
	assert_eq "$(echo "$OUT" | jq -r .user)" "$(id -un)"
	assert_eq "$(echo "$OUT" | jq -r .full)" true
	assert_eq "$(echo "$OUT" | jq -r '.uid_map[] | "\(.inside) \(.outside) \(.count)"')" \
		"$(expected_map /etc/subuid "$(id -u)")"
	assert_match "$(echo "$OUT" | jq -r '.uid_map[1].source')" "^/etc/subuid:[0-9]+$"
	ok "$UIDMAP" show
	assert_match "$OUT" "from /etc/subuid:[0-9]+"
	ok "$UIDMAP" show root --subuid "$(no_entry_file)"
	assert_match "$OUT" "user root \(uid 0"
	refused 1 "$UIDMAP" show no-such-user-xyz
	assert_match "$ERR" "no such user"
}

test_apply_maps_a_process_waiting_in_a_fresh_userns() {
	unshare --user sleep 30 &
	pid=$!
	wait_until 5 '[ "$(readlink /proc/$pid/ns/user)" != "$(readlink /proc/$$/ns/user)" ]'
	ok "$UIDMAP" apply "$pid"
	assert_eq "$(awk '{print $1, $2, $3}' /proc/$pid/uid_map)" "$(expected_map /etc/subuid "$(id -u)")"
	assert_eq "$(awk '{print $1, $2, $3}' /proc/$pid/gid_map)" "$(expected_map /etc/subgid "$(id -g)")"
	refused 1 "$UIDMAP" apply "$pid"
	kill $pid
	refused 2 "$UIDMAP" apply notapid
	refused 2 "$UIDMAP" apply
}

test_no_entry_falls_back_to_own_ids_with_one_warning() {
	ok "$UIDMAP" --subuid "$(no_entry_file)" exec -- cat /proc/self/uid_map
	assert_eq "$(echo "$OUT" | awk '{print $1, $2, $3}')" "0 $(id -u) 1" "single mapping"
	assert_eq "$(printf '%s\n' "$ERR" | wc -l)" 1 "warning lines"
	assert_match "$ERR" "^rootlet-uidmap: warning: no .*subuid.none entry for $(id -un)"
	ok "$UIDMAP" --subuid "$(no_entry_file)" exec -- cat /proc/self/setgroups
	assert_eq "$OUT" deny "setgroups in the fallback"
}

test_strict_turns_the_fallback_into_an_error() {
	refused 125 "$UIDMAP" --strict --subuid "$(no_entry_file)" exec -- true
	assert_match "$ERR" "no .* entry .*--strict"
	refused 1 "$UIDMAP" --strict --subuid "$(no_entry_file)" show
}

test_root_only_maps_just_the_own_ids_silently() {
	ok "$UIDMAP" --root-only exec -- cat /proc/self/uid_map
	assert_eq "$(echo "$OUT" | awk '{print $1, $2, $3}')" "0 $(id -u) 1"
	assert_eq "$ERR" "" "stderr"
}

test_malformed_lines_are_reported_with_file_and_line_and_skipped() {
	start=$(grep -E "^$(id -un):" /etc/subuid | head -1 | cut -d: -f2,3)
	printf '# comment\n%s: 1:2\n%s:abc:5\n%s:%s\n' "$(id -un)" "$(id -un)" "$(id -un)" "$start" \
		>subuid
	ok "$UIDMAP" --subuid subuid show --json
	assert_match "$ERR" "subuid:2: malformed line skipped"
	assert_match "$ERR" "subuid:3: malformed line skipped"
	assert_eq "$(echo "$OUT" | jq -r .uid_map[1].source)" subuid:4
}

test_unusable_own_ranges_are_errors_with_file_and_line() {
	me=$(id -un)
	printf '%s:100000:0\n' "$me" >zero
	refused 1 "$UIDMAP" --subuid zero show
	assert_match "$ERR" "zero:1: COUNT is 0"
	printf 'x:1:1\n%s:4294967295:2\n' "$me" >over
	refused 1 "$UIDMAP" --subuid over show
	assert_match "$ERR" "over:2: START\+COUNT goes past 2\^32-1"
	printf '%s:%s:10\n' "$me" "$(( $(id -u) - 5 ))" >own
	refused 125 "$UIDMAP" --subuid own exec -- true
	assert_match "$ERR" "own:1: .*own id $(id -u)"
}

test_newuidmap_without_setuid_falls_back_and_strict_fails() {
	mkdir bin
	cp /usr/bin/newuidmap /usr/bin/newgidmap bin/
	ok env PATH="$TEST_WORK/bin:$PATH" "$UIDMAP" exec -- cat /proc/self/uid_map
	assert_eq "$(echo "$OUT" | awk '{print $1, $2, $3}')" "0 $(id -u) 1" "single mapping"
	assert_match "$ERR" "bin/newuidmap is neither setuid root nor given file capabilities"
	refused 125 env PATH="$TEST_WORK/bin:$PATH" "$UIDMAP" --strict exec -- true
	mkdir empty
	ok env PATH="$TEST_WORK/empty" "$UIDMAP" show
	assert_match "$ERR" "newuidmap not found on PATH"
}

test_bad_config_is_refused_and_left_alone() {
	echo '{"linux": ' >config.json
	before=$(sha256sum config.json)
	refused 1 "$UIDMAP" oci config.json --in-place
	assert_match "$ERR" "not valid JSON"
	assert_eq "$(sha256sum config.json)" "$before"
}

test_usage_errors_and_help() {
	refused 2 "$UIDMAP" frob
	refused 2 "$UIDMAP" exec
	refused 2 "$UIDMAP" show a b
	refused 2 "$UIDMAP" --json exec -- true
	ok "$UIDMAP" --version
	assert_match "$OUT" "^rootlet-uidmap [0-9]+\.[0-9]+\.[0-9]+$"
	check_man_page rootlet-uidmap show apply exec oci
}
