# The front door: `rootlet VERB` and `rootlet doctor`, as the unprivileged test user.

ROOTLET=$BUILD/rootlet

test_verbs_run_their_binaries() {
	ok "$ROOTLET" netns add web
	ok "$ROOTLET" netns list --json
	assert_eq "$(echo "$OUT" | jq -r '.[].name')" web
	ok "$ROOTLET" uidmap --version
	assert_match "$OUT" "^rootlet-uidmap "
	ok "$ROOTLET" netns del web
	ok "$ROOTLET" help
	for verb in netns uidmap slirp portfwd doctor help; do
		assert_match "$OUT" "  $verb " "help lists $verb"
	done
	refused 2 "$ROOTLET" frob
	assert_match "$ERR" "unknown verb 'frob'"
	refused 2 "$ROOTLET"
}

test_doctor_reports_all_ok_on_this_machine() {
	ok "$ROOTLET" doctor
	assert_no_match "$OUT" "(^|"$'\n'")(fail|warn) " "doctor output"
	assert_eq "$(echo "$OUT" | grep -c '^ok ')" 10 "checks that passed"
	ok "$ROOTLET" doctor --json
	assert_eq "$(echo "$OUT" | jq '[.[] | select(.status != "ok")] | length')" 0
}

test_doctor_names_a_missing_subuid_entry_and_its_fix() {
	printf 'somebody-else:300000:65536\n' >subuid
	run "$ROOTLET" doctor --subuid subuid
	assert_eq "$RC" 1 "exit status"
	assert_match "$OUT" "fail +subuid +no subuid entry for $(id -un)"
	assert_match "$OUT" "fix: usermod --add-subuids"
}

test_doctor_names_an_overlapping_or_broken_range() {
	me=$(id -un)
	printf '%s:%s:10\n' "$me" "$(( $(id -u) - 5 ))" >subuid
	run "$ROOTLET" doctor --subuid subuid
	assert_eq "$RC" 1
	assert_match "$OUT" "fail +subuid +.*own id $(id -u)"
	printf '%s:100000:65536\nother:100100:10\n' "$me" >subuid2
	run "$ROOTLET" doctor --subuid subuid2
	assert_match "$OUT" "warn +subuid overlap +ranges overlap"
}

test_doctor_names_a_newuidmap_without_setuid_and_its_fix() {
	mkdir bin
	cp /usr/bin/newuidmap /usr/bin/newgidmap bin/
	run env PATH="$TEST_WORK/bin:$PATH" "$ROOTLET" doctor
	assert_eq "$RC" 1
	assert_match "$OUT" "fail +newuidmap +.*bin/newuidmap is neither setuid root"
	assert_match "$OUT" "fix: chmod u\+s"
}

test_doctor_names_an_unset_xdg_runtime_dir_and_its_fix() {
	run env -u XDG_RUNTIME_DIR -u ROOTLET_STATE_DIR "$ROOTLET" doctor
	assert_eq "$RC" 1
	assert_match "$OUT" "fail +XDG_RUNTIME_DIR +not set"
	assert_match "$OUT" "fix: .*XDG_RUNTIME_DIR"
}

test_doctor_names_stale_state_and_its_fix() {
	ok "$NETNS" add web
	kill -9 "$(holder_pid web)"
	wait_until 5 '[ "$(netns_state web)" = stale ]'
	ok "$ROOTLET" doctor
	assert_match "$OUT" "warn +rootlet state +stale netns: web"
	assert_match "$OUT" "fix: rootlet netns gc"
}

test_man_page() {
	check_man_page rootlet netns uidmap slirp portfwd doctor help
}
