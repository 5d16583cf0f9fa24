# rootlet-runtime: runc's command line, the real runtime (crun or runc) run in its place. With
# nothing asked of it, podman cannot tell it from the runtime it wraps; on create it puts a
# container whose netns is a rootlet netns under that netns's rootlet-bypass when asked.

RT=$BUILD/rootlet-runtime

# A runtime that tells what it was given: argv, pid, fds, ignored signals, stdin; exits 42.
fake_runtime() {
	cat >"$TEST_WORK/fake" <<-'EOF2'
		#!/bin/sh
		echo "argv=$*"
		echo "pid=$$"
		echo "fds=$(ls /proc/$$/fd | sort -n | tr '\n' ' ')"
		echo "sigign=$(awk '$1 == "SigIgn:" { print $2 }' /proc/$$/status)"
		echo "env=$FAKE_ENV"
		echo "stdin=$(cat)"
		echo "to-stderr" >&2
		exit 42
	EOF2
	chmod +x "$TEST_WORK/fake"
}

# rtp RUNTIME PODMAN-ARGS...: podman with rootlet-runtime over RUNTIME (crun or runc).
rtp() {
	local under=$1
	shift
	run podman --runtime "$RT" --runtime-flag "runtime=$under" "$@"
}

test_version_names_the_runtime_it_wraps() {
	ok "$RT" --version
	assert_match "$OUT" "^rootlet-runtime [0-9.]+"$'\n'"runtime: /usr/bin/crun \(chosen by PATH\)"$'\n'"crun version 1\." \
		"crun first on PATH, and its own --version"
	ok "$RT" --runtime runc --version
	assert_match "$OUT" "runtime: $(command -v runc) \(chosen by --runtime\)"$'\n'"runc version 1\." "--runtime NAME"
	ok env ROOTLET_RUNTIME=/usr/sbin/runc "$RT" --version
	assert_match "$OUT" "runtime: /usr/sbin/runc \(chosen by \\\$ROOTLET_RUNTIME\)" "the variable"
	ok env ROOTLET_RUNTIME=/usr/sbin/runc "$RT" --runtime /usr/bin/crun --version
	assert_match "$OUT" "runtime: /usr/bin/crun \(chosen by --runtime\)" "the option beats the variable"
}

test_path_order_crun_then_runc_never_itself() {
	mkdir -p onlyrunc self
	ln -s /usr/sbin/runc onlyrunc/runc
	ok env PATH="$TEST_WORK/onlyrunc" "$RT" --version
	assert_match "$OUT" "runtime: $TEST_WORK/onlyrunc/runc \(chosen by PATH\)" "no crun: runc"
	# Installed as crun and runc in front of the real ones, it runs the real ones.
	ln -s "$RT" self/crun
	ln -s "$RT" self/runc
	ok env PATH="$TEST_WORK/self:$TEST_WORK/onlyrunc:/usr/bin" "$TEST_WORK/self/runc" --version
	assert_match "$OUT" "runtime: /usr/bin/crun \(chosen by PATH\)" "crun anywhere on PATH before runc"
	# No PATH at all (conmon runs delete so): the usual directories, runc's /usr/sbin too.
	ok env -u PATH "$RT" --version
	assert_match "$OUT" "runtime: /usr/(local/)?bin/crun \(chosen by PATH\)" "no PATH"
	ok env -u PATH "$RT" --runtime runc --version
	assert_match "$OUT" "runtime: /usr/(local/)?s?bin/runc \(chosen by --runtime\)" "no PATH, runc"
	refused 1 env PATH="$TEST_WORK/self" "$RT" list
	assert_match "$ERR" "no crun or runc on PATH" "none but itself"
	refused 1 env ROOTLET_RUNTIME="$TEST_WORK/self/crun" "$RT" list
	assert_match "$ERR" "itself" "the variable naming the wrapper"
}

test_bad_options_exit_2_in_one_line() {
	refused 2 "$RT" --bypass-foo list
	assert_match "$ERR" "^rootlet-runtime: unknown or incomplete option '--bypass-foo'" "unknown"
	refused 2 "$RT" --runtime
	refused 2 "$RT" --bypass-publish 80:99999 list
	assert_match "$ERR" "publish spec '80:99999'" "a bad spec"
	refused 2 "$RT" --bypass=1 list
	refused 1 "$RT" --runtime /nonexistent list
	assert_match "$ERR" "/nonexistent" "a runtime that is not there"
	check_man_page rootlet-runtime
}

test_everything_else_reaches_the_runtime_unchanged() {
	fake_runtime
	# Our options go; the runtime's, known or not, stay in order, with their values.
	run bash -c 'echo "pid=$$" >&2; trap "" USR2; exec 7</dev/null 9>/dev/null;
		FAKE_ENV=kept exec "$0" --bypass-host-loopback --root /r --log-format json \
		--runtime "$1" --weird -x create --bundle /nonexistent --preserve-fds 2 id <<<in' \
		"$RT" "$TEST_WORK/fake"
	assert_eq "$RC" 42 "the runtime's exit status"
	assert_match "$OUT" "argv=--root /r --log-format json --weird -x create --bundle /nonexistent --preserve-fds 2 id" "argv"
	[[ $ERR =~ pid=([0-9]+) ]] && assert_match "$OUT" "pid=${BASH_REMATCH[1]}"$'\n' "the same process"
	assert_match "$OUT" "fds=0 1 2 .*7 9 " "inherited fds kept open"
	assert_match "$OUT" "env=kept"$'\n'"stdin=in" "environment and stdin"
	assert_match "$ERR" "to-stderr" "stderr"
	sigign=$(echo "$OUT" | sed -n 's/^sigign=//p')
	(((0x$sigign >> 11) & 1)) || fail "SIGUSR2 no longer ignored in the runtime: $sigign"
	# Our own words only before the verb: after it, they are the runtime's.
	run "$RT" --runtime "$TEST_WORK/fake" exec --bypass id sh </dev/null
	assert_eq "$RC" 42 "exit status"
	assert_match "$OUT" "argv=exec --bypass id sh" "an option after the verb"
}

test_podman_run_exec_kill_stop_rm_through_crun_and_runc() {
	for under in crun runc; do
		echo "$under" >>"$TEST_WORK/containers"
		rtp "$under" run -d --name "$under" "$ENG_IMAGE" sh -c \
			'trap "echo got-usr1" USR1; while :; do sleep 0.1; done'
		[ "$RC" -eq 0 ] || fail "$under: podman run -d exited $RC: $ERR"
		# The real runtime asked for kept its state where it keeps it (podman gives no --root).
		id=$(podman inspect --format '{{.ID}}' "$under")
		case $under in
		crun) state=$XDG_RUNTIME_DIR/crun/$id/status ;;
		runc) state=$XDG_RUNTIME_DIR/runc/$id/state.json ;;
		esac
		[ -e "$state" ] || fail "$under: no $state: not the runtime asked for"
		rtp "$under" exec "$under" sh -c 'echo exec-ok; exit 3'
		assert_eq "$RC" 3 "$under: podman exec's status"
		assert_eq "$OUT" exec-ok "$under: exec's output"
		rtp "$under" kill -s USR1 "$under"
		[ "$RC" -eq 0 ] || fail "$under: podman kill exited $RC: $ERR"
		wait_until 10 "podman logs $under | grep -q got-usr1"
		rtp "$under" stop -t 1 "$under"
		[ "$RC" -eq 0 ] || fail "$under: podman stop exited $RC: $ERR"
		rtp "$under" rm "$under"
		[ "$RC" -eq 0 ] || fail "$under: podman rm exited $RC: $ERR"
		# conmon's own cleanup (podman container cleanup, on the container's exit) may be the
		# one that runs the runtime's delete, racing rm: give it its moment. Its delete does not
		# carry podman's --runtime-flag: the wrapper finds the runtime that made the container
		# in its create's record (test_a_later_verb_without_the_runtime_...).
		wait_until 10 "[ ! -e '$state' ]"
		[ ! -e "$HOST_ROOT/runtime@$id" ] || fail "$under: the record of its runtime is left"
	done
}

test_podman_exit_status_tty_and_preserved_fds_through_crun_and_runc() {
	echo secret-fd >fd.txt
	for under in crun runc; do
		rtp "$under" run --rm "$ENG_IMAGE" sh -c 'echo out; echo err >&2; exit 7'
		assert_eq "$RC" 7 "$under: the container's status"
		assert_eq "$OUT" out "$under: stdout"
		assert_match "$ERR" "err" "$under: stderr"
		rtp "$under" run --rm "$ENG_IMAGE" /nonexistent
		assert_eq "$RC" 127 "$under: a command the runtime cannot find"
		# -t: the runtime hands the terminal's master to conmon's --console-socket.
		rtp "$under" run --rm -t "$ENG_IMAGE" sh -c 'tty; test -t 0 && echo is-a-tty'
		[ "$RC" -eq 0 ] || fail "$under: run -t exited $RC: $ERR"
		assert_match "$OUT" "/dev/pts/[0-9]+" "$under: the console"
		assert_match "$OUT" "is-a-tty" "$under: stdin a terminal"
		# --preserve-fds: fd 3 of podman is fd 3 of the container.
		rtp "$under" run --rm --preserve-fds 1 "$ENG_IMAGE" sh -c 'cat <&3' 3<fd.txt
		[ "$RC" -eq 0 ] || fail "$under: --preserve-fds exited $RC: $ERR"
		assert_eq "$OUT" secret-fd "$under: the preserved fd"
	done
}

# bypass_netns NAME ADD-OPTIONS...: a rootlet netns in podman's user namespace under its own
# rootlet-bypass (as 30_podman_bridge's ns: scenario, with --bypass); its path in NSPATH.
bypass_netns() {
	local name=$1 pause
	shift
	ok podman unshare true
	pause=$(cat "$ENG_DIR/tmp/pause.pid")
	ok "$NETNS" add "$name" --userns "/proc/$pause/ns/user" --slirp --bypass "$@"
	ok "$NETNS" path "$name"
	NSPATH=$OUT
}

# where_from UNDER ARGS...: where a container's connect() to 10.0.2.2:$IPORT comes from.
where_from() {
	local under=$1
	shift
	rtp "$under" run --rm --network "ns:$NSPATH" "$@" "${ENG_RUN_OPTS[@]}" "$ENG_IMAGE" \
		$CNET where 10.0.2.2 "$IPORT"
	[ "$RC" -eq 0 ] || fail "$under: podman run $* exited $RC: $ERR"
}

is_twin() {
	[[ $OUT =~ local=127.0.0.1:([0-9]+)\ said=127.0.0.1:([0-9]+) ]] ||
		fail "$1: the container's socket is not the host's twin: $OUT $ERR"
	assert_eq "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" "$1: the server's peer port"
}

bypassed() {
	$NET api "$ROOTLET_STATE_DIR/$1/bypass-api.sock" '{"execute":"counters"}' | jq .return.bypassed
}

test_annotation_puts_a_podman_container_under_its_netns_bypass() {
	bypass_netns bpod --allow-host-loopback
	IPORT=$(free_port)
	serve peer $NET serve-peer 127.0.0.1 "$IPORT" --with-port
	for under in crun runc; do
		before=$(bypassed bpod)
		where_from "$under" --annotation io.rootlet.bypass=1 \
			--annotation io.rootlet.bypass.host-loopback=1
		is_twin "$under"
		[ "$(bypassed bpod)" -gt "$before" ] || fail "$under: the supervisor counted nothing"
	done
	# No annotation: the same netns, the container's own socket through slirp.
	where_from crun
	assert_match "$OUT" "^local=10\.0\.2\.100:" "without the annotation"
}

test_bypass_option_as_dockers_runtime_args() {
	bypass_netns bdock --allow-host-loopback
	IPORT=$(free_port)
	serve peer $NET serve-peer 127.0.0.1 "$IPORT" --with-port
	# podman's --runtime-flag puts them before the verb, as Docker's runtimeArgs do.
	where_from crun --runtime-flag bypass --runtime-flag bypass-host-loopback
	is_twin "--bypass"
}

test_annotation_publish_binds_the_containers_port_on_the_host() {
	hp=$(free_port)
	# Host loopback allowed: without it, a kernel that refuses the supervisor socket filters
	# has no TCP twin, and rootlet-portfwd serves the rule (rootlet-bypass(1)).
	bypass_netns bpub --allow-host-loopback --publish "127.0.0.1:$hp:8080"
	echo bpubc >>"$TEST_WORK/containers"
	rtp crun run -d --name bpubc --network "ns:$NSPATH" --annotation io.rootlet.bypass=1 \
		--annotation "io.rootlet.bypass.publish=127.0.0.1:$hp:8080" "${ENG_RUN_OPTS[@]}" \
		"$ENG_IMAGE" $CNET serve-peer 0.0.0.0 8080 --with-port
	[ "$RC" -eq 0 ] || fail "podman run exited $RC: $ERR"
	wait_until 10 "ss -Hltn 'src 127.0.0.1 and sport = :$hp' | grep -q ."
	ok $NET whoami 127.0.0.1 "$hp" --bind 127.0.0.9
	assert_match "$OUT" "^127\.0\.0\.9:[0-9]+$" "the peer the container saw"
}

# What a supervisor does not offer, a container cannot ask: create fails, nothing runs.
test_bypass_asked_beyond_the_supervisor_fails_the_create() {
	bypass_netns bnarrow --publish 127.0.0.1:$(free_port):8080
	IPORT=$(free_port)
	rtp crun run --rm --network "ns:$NSPATH" --annotation io.rootlet.bypass=1 \
		--annotation io.rootlet.bypass.host-loopback=1 "$ENG_IMAGE" sleep 0
	[ "$RC" -ne 0 ] || fail "host loopback granted beyond the supervisor"
	assert_match "$ERR" "does not allow host loopback" "the reason"
	rtp crun run --rm --network "ns:$NSPATH" --annotation io.rootlet.bypass=1 \
		--annotation io.rootlet.bypass.publish=127.0.0.1:1999:9090 "$ENG_IMAGE" sleep 0
	[ "$RC" -ne 0 ] || fail "a port published beyond the supervisor"
	assert_match "$ERR" "does not publish 127.0.0.1:1999:9090" "the reason"
	# (podman's own slirp4netns netns is no rootlet netns: the host-side supervisor serves it,
	# test_podman_default_network_* below.)
	# A rootlet netns with no supervisor.
	ok "$NETNS" add plain --userns "/proc/$(cat "$ENG_DIR/tmp/pause.pid")/ns/user" --slirp
	ok "$NETNS" path plain
	rtp crun run --rm --network "ns:$OUT" --annotation io.rootlet.bypass=1 "$ENG_IMAGE" sleep 0
	[ "$RC" -ne 0 ] || fail "bypass with no supervisor"
	assert_match "$ERR" "no rootlet-bypass serves netns plain" "the reason"
}

# The edit itself, on a bundle of runc spec's shape, the fake runtime run after it.
rt_bundle() {
	mkdir -p b && rm -f b/config.json
	(cd b && runc spec --rootless) || fail "runc spec failed"
	jq --arg net "$1" --argjson ann "$2" '.annotations = $ann |
		.linux.namespaces += [{type: "network", path: $net}] |
		.linux.seccomp = {defaultAction: "SCMP_ACT_ERRNO",
			syscalls: [{names: ["read", "connect", "bind"], action: "SCMP_ACT_ALLOW"}]}' \
		b/config.json >b/c.new && mv b/c.new b/config.json
}

test_create_merges_the_notify_rules_only_when_asked() {
	fake_runtime
	ok "$NETNS" add web --slirp --bypass
	rt_bundle "$ROOTLET_STATE_DIR/web/net" '{"io.rootlet.bypass": "0"}'
	before=$(sha256sum b/config.json)
	run "$RT" --runtime "$TEST_WORK/fake" create --bundle b id </dev/null
	assert_eq "$RC" 42 "the runtime ran"
	assert_eq "$(sha256sum b/config.json)" "$before" "not asked: the config untouched"
	rt_bundle "$ROOTLET_STATE_DIR/web/net" '{"io.rootlet.bypass": "1", "other": "kept"}'
	run "$RT" --runtime "$TEST_WORK/fake" create --bundle b id </dev/null
	assert_eq "$RC" 42 "the runtime ran after the edit"
	assert_eq "$(jq -r .linux.seccomp.listenerPath b/config.json)" "$ROOTLET_STATE_DIR/web/bypass.sock" "listener"
	# The bypass's whole rule set, as rootlet-netns oci --bypass merges it: connect and bind
	# notified; io_uring and i386's socketcall refused (ENOSYS), since they reach a socket
	# past seccomp (the profile allows no send, so no fast-open rule is added).
	assert_eq "$(jq -c .linux.seccomp.syscalls b/config.json)" \
		'[{"names":["read"],"action":"SCMP_ACT_ALLOW"},{"names":["connect","bind"],"action":"SCMP_ACT_NOTIFY"},{"names":["io_uring_setup","io_uring_enter","io_uring_register","socketcall"],"action":"SCMP_ACT_ERRNO","errnoRet":38}]' \
		"the profile after the merge"
	assert_eq "$(jq -r '.annotations.other, .linux.seccomp.defaultAction' b/config.json)" \
		$'kept\nSCMP_ACT_ERRNO' "the rest kept"
	# run is create's twin, and the options ask as the annotation does.
	rt_bundle "$ROOTLET_STATE_DIR/web/net" '{}'
	run "$RT" --runtime "$TEST_WORK/fake" --bypass run -b b id </dev/null
	assert_eq "$(jq -r .linux.seccomp.listenerPath b/config.json)" "$ROOTLET_STATE_DIR/web/bypass.sock" "--bypass on run"
}

# Only a netns of ours (<state root>/NAME/net, the root ours and 0700, opened without following
# a symlink), and live: anything else fails create with one line, the config untouched and the
# runtime not run.
test_create_refuses_a_netns_that_is_not_a_live_rootlet_one() {
	fake_runtime
	ok "$NETNS" add web --slirp --bypass
	mkdir -p "$TEST_WORK/other/web"
	chmod 755 "$TEST_WORK/other"
	ln -s "$ROOTLET_STATE_DIR/web/net" "$TEST_WORK/other/web/net"
	ln -s "$ROOTLET_STATE_DIR" "$TEST_WORK/rootlink"
	for bad in "$TEST_WORK/other/web/net" "$TEST_WORK/rootlink/web/net" \
		"$ROOTLET_STATE_DIR/web/user" "$ROOTLET_STATE_DIR/gone/net" "$ROOTLET_STATE_DIR/web/net/" \
		"web/net" "/proc/$(holder_pid web)/ns/net"; do
		rt_bundle "$bad" '{"io.rootlet.bypass": "1"}'
		before=$(sha256sum b/config.json)
		refused 1 "$RT" --runtime "$TEST_WORK/fake" create --bundle b id
		assert_match "$ERR" "^rootlet-runtime: create: bypass: " "$bad: our line"
		assert_eq "$(sha256sum b/config.json)" "$before" "$bad: the config after a refusal"
	done
	rt_bundle "$ROOTLET_STATE_DIR/web/net" '{"io.rootlet.bypass": "yes"}'
	refused 1 "$RT" --runtime "$TEST_WORK/fake" create --bundle b id
	assert_match "$ERR" "io.rootlet.bypass: not \"1\" or \"0\"" "a bad annotation"
	rt_bundle "$ROOTLET_STATE_DIR/web/net" '{"io.rootlet.bypass": "1", "io.rootlet.bypass.publish": "80:x"}'
	refused 1 "$RT" --runtime "$TEST_WORK/fake" create --bundle b id
	assert_match "$ERR" "publish spec '80:x'" "a bad publish annotation"
	# Another supervisor's listener is not replaced.
	rt_bundle "$ROOTLET_STATE_DIR/web/net" '{"io.rootlet.bypass": "1"}'
	jq '.linux.seccomp.listenerPath = "/run/other.sock"' b/config.json >b/c.new && mv b/c.new b/config.json
	before=$(sha256sum b/config.json)
	refused 1 "$RT" --runtime "$TEST_WORK/fake" create --bundle b id
	assert_match "$ERR" "listenerPath names another supervisor" "another listener"
	assert_eq "$(sha256sum b/config.json)" "$before" "the config after that refusal"
	# A stopped netns is not live.
	rt_bundle "$ROOTLET_STATE_DIR/web/net" '{"io.rootlet.bypass": "1"}'
	holder=$(holder_pid web)
	kill "$holder"
	wait_until 5 "! kill -0 $holder"
	refused 1 "$RT" --runtime "$TEST_WORK/fake" create --bundle b id
	# Nothing was made: no record of a runtime for gc to find.
	[ ! -e "$ROOTLET_STATE_DIR/runtime@id" ] || fail "a refused create left runtime@id"
}

# podman 4.3 copies an image's manifest annotations into config.json: an image can ask for the
# bypass, but only within what the netns's supervisor (the user's rootlet-netns add) offers.
test_an_images_annotations_ask_no_more_than_the_supervisor_offers() {
	mkdir ctx && echo "FROM $ENG_IMAGE" >ctx/Containerfile
	ok podman build -q --format oci --annotation io.rootlet.bypass=1 \
		--annotation io.rootlet.bypass.host-loopback=1 -t localhost/rootlet-bb-ann ctx
	bypass_netns bimg
	rtp crun run --rm --network "ns:$NSPATH" localhost/rootlet-bb-ann sleep 0
	podman rmi -f localhost/rootlet-bb-ann >/dev/null 2>&1
	[ "$RC" -ne 0 ] || fail "the image's host-loopback ask was granted beyond the supervisor"
	assert_match "$ERR" "does not allow host loopback" "the reason"
}

# The host-side supervisor: podman's own slirp4netns netns is no rootlet netns, and the wrapper
# (run by podman in its user namespace, in the host's netns) hands the container to the
# `rootlet-bypass --host` of that user namespace, starting it if none runs.
# conmon runs the runtime without the test's ROOTLET_STATE_DIR: the user's state root it is.
HOST_ROOT=/run/user/$(id -u)/rootlet

host_api() {
	local api
	api=$(ls "$HOST_ROOT"/bypass@host-*.sock.api 2>/dev/null | head -n1)
	[ -n "$api" ] || fail "no host supervisor's API in $HOST_ROOT: $(ls -a "$HOST_ROOT")"
	echo "$api"
}

host_bypassed() {
	$NET api "$(host_api)" '{"execute":"counters"}' | jq .return.bypassed
}

# where_slirp UNDER ARGS...: where a container of podman's default network connects from.
where_slirp() {
	local under=$1
	shift
	rtp "$under" run --rm --network slirp4netns "$@" "${ENG_RUN_OPTS[@]}" "$ENG_IMAGE" \
		$CNET where 10.0.2.2 "$IPORT"
}

test_podman_default_network_outbound_to_host_loopback_bypassed_by_the_host_supervisor() {
	IPORT=$(free_port)
	serve peer $NET serve-peer 127.0.0.1 "$IPORT" --with-port
	for under in crun runc; do
		where_slirp "$under" --annotation io.rootlet.bypass=1 --runtime-flag bypass-host-loopback
		[ "$RC" -eq 0 ] || fail "$under: podman run exited $RC: $ERR"
		is_twin "$under"
		[ "$(host_bypassed)" -gt 0 ] || fail "$under: the host supervisor counted nothing"
	done
}

host_filters() {
	$NET api "$(host_api)" '{"execute":"counters"}' | jq .return.filters
}

# As slirp4netns does by podman's default (allow_host_loopback=false): 10.0.2.2 is no way to the
# host's loopback unless the wrapper's own option says so.
test_podman_default_network_without_host_loopback_10_0_2_2_is_refused_as_slirp_does() {
	IPORT=$(free_port)
	serve peer $NET serve-peer 127.0.0.1 "$IPORT" --with-port
	# A container under the supervisor keeps it running: its counters are one daemon's.
	echo hkeep >>"$TEST_WORK/containers"
	rtp crun run -d --name hkeep --network slirp4netns --annotation io.rootlet.bypass=1 \
		"$ENG_IMAGE" sleep 1000
	[ "$RC" -eq 0 ] || fail "podman run -d exited $RC: $ERR"
	before=$(host_bypassed)
	# What slirp4netns itself answers, without the bypass.
	where_slirp crun
	[ "$RC" -ne 0 ] || fail "slirp4netns let 10.0.2.2 reach the host's loopback: $OUT"
	plain=$(echo "$ERR" | grep '^where:')
	for under in crun runc; do
		where_slirp "$under" --annotation io.rootlet.bypass=1
		[ "$RC" -ne 0 ] || fail "$under: 10.0.2.2 reached the host's loopback: $OUT"
		assert_eq "$(echo "$ERR" | grep '^where:')" "$plain" "$under: the connect()'s error"
		# Served by the supervisor (which a test before may have left running): none bypassed.
		[ "$(host_bypassed)" -eq "$before" ] ||
			fail "$under: the host supervisor bypassed a connect() to 10.0.2.2"
	done
}

# podman copies an image's annotations into config.json: in the engine's own netns only the
# wrapper's options (--runtime-flag, Docker's runtimeArgs) grant host loopback or a host port.
test_podman_default_network_annotations_cannot_grant_host_loopback_or_a_port() {
	rtp crun run --rm --network slirp4netns --annotation io.rootlet.bypass=1 \
		--annotation io.rootlet.bypass.host-loopback=1 "$ENG_IMAGE" sleep 0
	[ "$RC" -ne 0 ] || fail "an annotation granted host loopback in podman's own netns"
	assert_match "$ERR" "an image's annotations cannot be told from yours" "the reason"
	rtp crun run --rm --network slirp4netns --annotation io.rootlet.bypass=1 \
		--annotation "io.rootlet.bypass.publish=127.0.0.1:$(free_port):80" "$ENG_IMAGE" sleep 0
	[ "$RC" -ne 0 ] || fail "an annotation published a port in podman's own netns"
	mkdir ctx && echo "FROM $ENG_IMAGE" >ctx/Containerfile
	ok podman build -q --format oci --annotation io.rootlet.bypass=1 \
		--annotation io.rootlet.bypass.host-loopback=1 -t localhost/rootlet-bb-hostann ctx
	rtp crun run --rm --network slirp4netns localhost/rootlet-bb-hostann sleep 0
	podman rmi -f localhost/rootlet-bb-hostann >/dev/null 2>&1
	[ "$RC" -ne 0 ] || fail "an image's annotation granted host loopback"
	assert_match "$ERR" "cannot be told from yours" "the image's ask"
}

# The host supervisor, idle, ends with its socket, API and pid files; its log and locks stay
# for a later one, and gc takes them once it is gone.
host_supervisor_ends_leaving_nothing_after_gc() {
	local pid left
	pid=$(cut -d' ' -f1 "$(host_api | sed 's/\.api$/.pid/')")
	wait_until 30 "! kill -0 $pid 2>/dev/null"
	left=$(ls "$HOST_ROOT" | grep -E '^bypass@host-[0-9]+\.sock(\.api|\.pid|\.standby\.pid)?$' || true)
	[ -z "$left" ] || fail "left after the supervisor's end: $left"
	ok env ROOTLET_STATE_DIR="$HOST_ROOT" "$NETNS" gc
	left=$(ls "$HOST_ROOT" | grep '^bypass@host' || true)
	[ -z "$left" ] || fail "left after gc: $left"
}

# A container killed -9: its listener hangs up, the supervisor drops it; idle, the supervisor
# ends and leaves no socket, API or pid file.
test_podman_container_killed_leaves_the_host_supervisor_nothing() {
	for under in crun runc; do
		echo "k$under" >>"$TEST_WORK/containers"
		rtp "$under" run -d --name "k$under" --network slirp4netns \
			--annotation io.rootlet.bypass=1 "$ENG_IMAGE" sleep 1000
		[ "$RC" -eq 0 ] || fail "$under: podman run -d exited $RC: $ERR"
		wait_until 10 "[ \"\$(host_filters)\" -ge 1 ]"
		kill -9 "$(podman inspect --format '{{.State.Pid}}' "k$under")"
		wait_until 10 "[ \"\$(host_filters)\" -eq 0 ]"
		rtp "$under" rm -f "k$under"
	done
	host_supervisor_ends_leaving_nothing_after_gc
}

# podman's engine for a running container is its conmon: killed -9, the container runs on and is
# still served; podman rm then kills it through the wrapper, but runs no delete (podman leaves the
# runtime's own state so with crun or runc alone). Once that state is gone, rootlet-netns gc
# takes the wrapper's record of the container; the supervisor, idle, ends and leaves nothing.
test_podman_conmon_killed_then_rm_leaves_nothing_gc_cannot_remove() {
	for under in crun runc; do
		echo "e$under" >>"$TEST_WORK/containers"
		rtp "$under" run -d --name "e$under" --network slirp4netns \
			--annotation io.rootlet.bypass=1 "$ENG_IMAGE" sleep 1000
		[ "$RC" -eq 0 ] || fail "$under: podman run -d exited $RC: $ERR"
		wait_until 10 "[ \"\$(host_filters)\" -ge 1 ]"
		id=$(podman inspect --format '{{.ID}}' "e$under")
		init=$(podman inspect --format '{{.State.Pid}}' "e$under")
		conmon=$(podman inspect --format '{{.State.ConmonPid}}' "e$under")
		kill -9 "$conmon"
		wait_until 10 "! kill -0 $conmon"
		kill -0 "$init" || fail "$under: the container ended with its conmon"
		[ "$(host_filters)" -ge 1 ] || fail "$under: its filter was dropped while it ran"
		rtp "$under" rm -f -t 0 "e$under"
		[ "$RC" -eq 0 ] || fail "$under: podman rm -f exited $RC: $ERR"
		wait_until 10 "! kill -0 $init"
		wait_until 10 "[ \"\$(host_filters)\" -eq 0 ]"
		[ -e "$HOST_ROOT/runtime@$id" ] || fail "$under: no record of its runtime to gc"
		# A record is not gc's while the runtime still keeps the container.
		ok env ROOTLET_STATE_DIR="$HOST_ROOT" "$NETNS" gc
		[ -e "$HOST_ROOT/runtime@$id" ] || fail "$under: gc took the record of a kept container"
		"$under" delete --force "$id" >/dev/null 2>&1
		ok env ROOTLET_STATE_DIR="$HOST_ROOT" "$NETNS" gc
		assert_match "$OUT" "removed runtime@$id" "$under: gc's report"
		[ ! -e "$HOST_ROOT/runtime@$id" ] || fail "$under: gc left the record of its runtime"
	done
	host_supervisor_ends_leaving_nothing_after_gc
}

# The host supervisor and its standby killed -9 while serving: once the container is gone, gc
# removes every file they kept (socket, API, pid files, log, locks); a later bypassed container
# starts a new supervisor as if none had run.
test_a_killed_host_supervisor_leaves_nothing_gc_cannot_remove() {
	echo hk9 >>"$TEST_WORK/containers"
	rtp crun run -d --name hk9 --network slirp4netns --annotation io.rootlet.bypass=1 \
		"$ENG_IMAGE" sleep 1000
	[ "$RC" -eq 0 ] || fail "podman run -d exited $RC: $ERR"
	wait_until 10 "[ \"\$(host_filters)\" -ge 1 ]"
	pidf=$(host_api | sed 's/\.api$/.pid/')
	wait_until 10 "[ -e '${pidf%.pid}.standby.pid' ]"
	kill -9 "$(cut -d' ' -f1 "$pidf")" "$(cut -d' ' -f1 "${pidf%.pid}.standby.pid")"
	rtp crun rm -f -t 0 hk9
	# Not while a file of theirs could be a live one's: gc takes them once nothing holds them.
	wait_until 10 "env ROOTLET_STATE_DIR='$HOST_ROOT' '$NETNS' gc >/dev/null; \
		! ls '$HOST_ROOT' | grep -q '^bypass@host'"
	rtp crun run --rm --network slirp4netns --annotation io.rootlet.bypass=1 "$ENG_IMAGE" sleep 0
	[ "$RC" -eq 0 ] || fail "a bypassed container after gc: podman run exited $RC: $ERR"
}

# A container made through runc (chosen by an option podman passes on some calls only) is
# handled by runc on a later verb naming no runtime, as conmon's cleanup runs delete: create
# records the runtime it chose, and delete takes the record away.
test_a_later_verb_without_the_runtime_goes_to_the_runtime_that_made_the_container() {
	make_rootfs bundle/rootfs
	(cd bundle && runc spec --rootless) || fail "runc spec failed"
	jq '.process.args = ["sleep", "100"] | .process.terminal = false' bundle/config.json \
		>bundle/c.new && mv bundle/c.new bundle/config.json
	id=rootlet-rec-$$
	echo "$id" >>"$TEST_WORK/runc.ids"
	# The container's stdio is create's: /dev/null, or it would hold the test's pipes.
	"$RT" --runtime runc create --bundle bundle "$id" </dev/null >/dev/null 2>create.err ||
		fail "create through runc failed: $(cat create.err)"
	ok "$RT" state "$id"
	assert_eq "$(echo "$OUT" | jq -r .status)" created "runc's state of its container"
	run "$RT" delete --force "$id"
	[ "$RC" -eq 0 ] || runc delete --force "$id"
	[ "$RC" -eq 0 ] || fail "delete through the wrapper exited $RC: $ERR"
	[ ! -e "$XDG_RUNTIME_DIR/runc/$id" ] || fail "runc's state of $id is left after delete"
	refused 1 "$RT" --runtime runc state "$id"
	[ -z "$(ls "$ROOTLET_STATE_DIR" 2>/dev/null | grep "^runtime@$id$")" ] || fail "the record is left"
}

# What is bypassed follows the container's own routes: on a podman bridge network its subnet
# is its own (another container there is reached through the bridge, never by a host socket,
# which could not reach it), while 10.0.2.2 goes by its default route and is bypassed.
test_podman_bridge_network_subnet_stays_inside_and_the_default_route_is_bypassed() {
	echo rtbr >>"$TEST_WORK/networks"
	ok podman network create --disable-dns rtbr
	prun rtsrv --network rtbr "$ENG_IMAGE" $CNET serve-peer 0.0.0.0 8080 --with-port
	sip=$(podman inspect --format '{{(index .NetworkSettings.Networks "rtbr").IPAddress}}' rtsrv)
	[ -n "$sip" ] || fail "no address of the server on rtbr"
	wait_until 10 "podman exec rtsrv $CNET whoami $sip 8080 >/dev/null 2>&1"
	IPORT=$(free_port)
	serve peer $NET serve-peer 127.0.0.1 "$IPORT" --with-port
	for under in crun runc; do
		rtp "$under" run --rm --network rtbr --annotation io.rootlet.bypass=1 \
			--runtime-flag bypass-host-loopback "${ENG_RUN_OPTS[@]}" "$ENG_IMAGE" \
			sh -c "$CNET where $sip 8080 && $CNET where 10.0.2.2 $IPORT"
		[ "$RC" -eq 0 ] || fail "$under: podman run exited $RC: $OUT $ERR"
		first=$(echo "$OUT" | head -n1)
		assert_match "$first" "^local=${sip%.*}\.[0-9]+:[0-9]+ said=${sip%.*}\." \
			"$under: the bridge peer, reached through the bridge"
		OUT=$(echo "$OUT" | tail -n1)
		is_twin "$under: 10.0.2.2 by the default route"
	done
}

# A port the wrapper's option publishes: the container's bind() of it is a host socket on the
# rule's address and port, and a host client reaches the service with its own address seen.
test_podman_default_network_publish_option_binds_the_containers_port_on_the_host() {
	hp=$(free_port)
	echo hpub >>"$TEST_WORK/containers"
	# Host loopback allowed: where the kernel refuses the supervisor socket filters, a TCP twin
	# is made only then (rootlet-bypass(1)).
	rtp crun run -d --name hpub --network slirp4netns --annotation io.rootlet.bypass=1 \
		--runtime-flag bypass-host-loopback --runtime-flag "bypass-publish=127.0.0.1:$hp:8080" \
		"${ENG_RUN_OPTS[@]}" "$ENG_IMAGE" $CNET serve-peer 0.0.0.0 8080 --with-port
	[ "$RC" -eq 0 ] || fail "podman run exited $RC: $ERR"
	wait_until 10 "ss -Hltn 'src 127.0.0.1 and sport = :$hp' | grep -q ."
	ok $NET whoami 127.0.0.1 "$hp" --bind 127.0.0.9
	assert_match "$OUT" "^127\.0\.0\.9:[0-9]+$" "the peer the container saw"
}

# tap_packets PID: the packets slirp4netns's tap0 has carried, both ways, in the netns of PID.
tap_packets() {
	awk '$1 == "tap0:" { print $3 + $11 }' "/proc/$1/net/dev"
}

# The issue's figure for podman's own slirp4netns netns: 100 MiB out to the host's loopback and
# 100 MiB in through a published port pass the supervisor's host sockets, and slirp4netns's
# tap carries under 50 packets over the container's whole life (the netns is the container's).
test_podman_bypassed_100_mib_out_and_in_leave_slirp_under_50_packets() {
	port=$(free_port)
	serve sha $NET serve-sha 127.0.0.1 "$port"
	hp=$(free_port)
	echo hbig >>"$TEST_WORK/containers"
	rtp crun run -d --name hbig --network slirp4netns --annotation io.rootlet.bypass=1 \
		--runtime-flag bypass-host-loopback --runtime-flag "bypass-publish=127.0.0.1:$hp:8080" \
		"${ENG_RUN_OPTS[@]}" "$ENG_IMAGE" sh -c \
		"$CNET send-sha 10.0.2.2 $port 100 && echo sent-out && exec $CNET serve-sha 0.0.0.0 8080"
	[ "$RC" -eq 0 ] || fail "podman run -d exited $RC: $ERR"
	before=$(host_bypassed)
	wait_until 60 "podman logs hbig 2>&1 | grep -q sent-out"
	wait_until 10 "ss -Hltn 'src 127.0.0.1 and sport = :$hp' | grep -q ."
	ok $NET send-sha 127.0.0.1 "$hp" 100
	pid=$(podman inspect --format '{{.State.Pid}}' hbig)
	packets=$(tap_packets "$pid")
	[ -n "$packets" ] || fail "no tap0 in the container's netns (pid $pid)"
	[ "$packets" -lt 50 ] || fail "slirp4netns's tap0 carried $packets packets for 200 MiB"
	# The counter is the supervisor's since it started: the outbound connect() may be its first.
	[ "$(host_bypassed)" -ge 2 ] || fail "the host supervisor counted $(host_bypassed) (before $before)"
}

# Inside rootlesskit (rootless Docker, containerd) the runtime runs in rootlesskit's netns: a
# supervisor started there would serve nothing faster and map 10.0.2.2 to that netns's
# loopback. The one that serves it runs in the host's netns (rootlet-bypass --host
# --engine-pid, 60_docker.sh); with none running, create fails naming what to start, and the
# wrapper starts none itself.
test_inside_rootlesskit_with_no_host_supervisor_create_fails_naming_what_to_start() {
	fake_runtime
	rt_bundle /run/user/$(id -u)/netns/not-a-rootlet-one '{"io.rootlet.bypass": "1"}'
	run rootlesskit --net=slirp4netns --slirp4netns-binary "$ENG_SLIRP" --disable-host-loopback \
		"$RT" --runtime "$TEST_WORK/fake" create --bundle b id </dev/null
	[ "$RC" -ne 0 ] || fail "the bypass was set up inside rootlesskit's netns: $OUT"
	assert_match "$ERR" "rootlet-runtime: create: bypass: no rootlet-bypass --host serves this rootlesskit's user namespace \([0-9]+\); start one in the host's netns: rootlet-bypass --host --engine-pid [0-9]+" "the reason"
	assert_no_match "$OUT" "argv=" "the runtime was run"
	left=$(ls "$ROOTLET_STATE_DIR" 2>/dev/null | grep -E '^bypass@host-[0-9]+\.sock(\.pid)?$' || true)
	[ -z "$left" ] || fail "a supervisor was started inside rootlesskit: $left"
}

# The lock rootlet-runtime holds across its runtime's handover (so that the supervisor does not
# end meanwhile) stays with a container's init until it starts: shared, it keeps no other
# bypassed container from starting (podman init: the runtime's create, no start).
test_a_bypassed_container_created_and_not_started_keeps_no_other_from_running() {
	for under in crun runc; do
		echo "i$under" >>"$TEST_WORK/containers"
		rtp "$under" create --name "i$under" --network slirp4netns --annotation io.rootlet.bypass=1 \
			"$ENG_IMAGE" sleep 1000
		[ "$RC" -eq 0 ] || fail "$under: podman create exited $RC: $ERR"
		rtp "$under" init "i$under"
		[ "$RC" -eq 0 ] || fail "$under: podman init exited $RC: $ERR"
		run timeout 60 podman --runtime "$RT" --runtime-flag "runtime=$under" run --rm \
			--network slirp4netns --annotation io.rootlet.bypass=1 "$ENG_IMAGE" sh -c "echo ran"
		assert_eq "$OUT" ran "$under: another bypassed container, while one is created only ($RC: $ERR)"
		rtp "$under" rm -f "i$under"
	done
}

# A second outside attack of issue 24: a container with no route at all when its listener was
# handed over (a netns of no network: here one made in podman's user namespace, given as
# --network ns:PATH) had its routes read at its first hooked call, after it had added a
# default route of its own: the way to every address slirp would reach, from a container of no
# network, and an image's io.rootlet.bypass=1 was enough. A container's policy is its routes at
# the handover: none, nothing bypassed, whatever it does after.
# lo up and a default route through it by ioctl (SIOCSIFFLAGS, SIOCADDRT): no hooked call
# (iproute2 would bind its netlink socket, a hooked call, before the route is there).
ROUTE_BY_IOCTL='
import ctypes, fcntl, socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
flags = struct.unpack("16sh", fcntl.ioctl(s, 0x8913, struct.pack("16sh", b"lo", 0))[:18])[1]
fcntl.ioctl(s, 0x8914, struct.pack("16sh", b"lo", flags | 1))
dev = ctypes.create_string_buffer(b"lo")
any4 = struct.pack("HH4s8x", socket.AF_INET, 0, bytes(4))
rt = struct.pack("L16s16s16sHhLPhPLLH", 0, any4, any4, any4, 1, 0, 0, 0, 0,
                 ctypes.addressof(dev), 0, 0, 0)
fcntl.ioctl(s, 0x890B, rt + bytes(120 - len(rt)))
print("routed")'

test_podman_container_of_no_network_gets_no_host_socket_whatever_routes_it_adds() {
	local hostip tag holder
	hostip=$(ip -4 -o addr show scope global | awk '{ print $4 }' | cut -d/ -f1 | head -n1)
	[ -n "$hostip" ] || skip "no global IPv4 address on this host to serve on"
	IPORT=$(free_port)
	serve peer $NET serve-peer 0.0.0.0 "$IPORT" --with-port
	for under in crun runc; do
		# A netns of no network, in podman's user namespace, named by a path of ours.
		tag=$((RANDOM + 100000))
		bg "emptyns-$under" podman unshare unshare -n sleep "$tag"
		wait_until 20 "pgrep -u $(id -u) -f -x 'sleep $tag'"
		holder=$(pgrep -u "$(id -u)" -f -x "sleep $tag")
		ln -s "/proc/$holder/ns/net" "$TEST_WORK/emptyns-$under"
		# Host loopback allowed: TCP twins are made even where the kernel refuses their guard.
		rtp "$under" run --rm --network "ns:$TEST_WORK/emptyns-$under" --cap-add NET_ADMIN \
			--annotation io.rootlet.bypass=1 --runtime-flag bypass-host-loopback \
			"${ENG_RUN_OPTS[@]}" "$ENG_IMAGE" \
			sh -c "python3 -c '$ROUTE_BY_IOCTL' && $CNET where $hostip $IPORT"
		assert_match "$OUT" "routed" "$under: the container's own default route (podman: $RC $ERR)"
		assert_no_match "$OUT" "said=" "$under: a container of no network reached the host"
		kill "$holder"
	done
}
