# Rootless Docker through rootlet-runtime: dockerd-rootless.sh's dockerd and containerd run
# inside rootlesskit's user and network namespaces; the container's bypass is served by a
# `rootlet-bypass --host --engine-pid` started beside it in the host's netns, which joins the
# engine's user namespace (docker_up in lib.sh). Real runc and crun underneath.

RT=$BUILD/rootlet-runtime
CNET="python3 $TOP/tests/integration/tools/net.py"

host_counter() {
	$NET api "$HOST_SOCK.api" '{"execute":"counters"}' | jq ".return.$1"
}

is_twin() {
	[[ $OUT =~ local=127.0.0.1:([0-9]+)\ said=127.0.0.1:([0-9]+) ]] ||
		fail "$1: the container's socket is not the host's twin: $OUT $ERR"
	assert_eq "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" "$1: the server's peer port"
}

# drun ARGS...: docker run with the test's mounts (python3 and net.py from the host's /usr).
drun() {
	run "$DOCKER" run "$@"
}

# dockerd-rootless.sh passes rootlesskit --disable-host-loopback: through slirp 10.0.2.2 is
# refused. Through the wrapper with --bypass-host-loopback, the container's connect() is a
# host socket to 127.0.0.1, and the supervisor counts it.
test_docker_run_outbound_to_host_loopback_is_bypassed_through_runc_and_crun() {
	docker_up
	IPORT=$(free_port)
	serve peer $NET serve-peer 127.0.0.1 "$IPORT" --with-port
	drun --rm "${ENG_RUN_OPTS[@]}" "$ENG_IMAGE" $CNET where 10.0.2.2 "$IPORT"
	[ "$RC" -ne 0 ] || fail "slirp reached the host's loopback without the bypass: $OUT"
	for under in runc crun; do
		before=$(host_counter bypassed)
		drun --rm --runtime "rootlet-$under" "${ENG_RUN_OPTS[@]}" "$ENG_IMAGE" \
			$CNET where 10.0.2.2 "$IPORT"
		[ "$RC" -eq 0 ] || fail "$under: docker run exited $RC: $ERR"
		is_twin "$under"
		[ "$(host_counter bypassed)" -gt "$before" ] ||
			fail "$under: the supervisor counted nothing"
	done
}

# daemon.json's "rootlet" runtime asks the bypass alone: no host loopback, so 10.0.2.2 is
# refused as rootlesskit's slirp refuses it, with the same error, and nothing is bypassed.
test_docker_bypass_without_host_loopback_refuses_10_0_2_2_as_slirp_does() {
	docker_up
	IPORT=$(free_port)
	serve peer $NET serve-peer 127.0.0.1 "$IPORT" --with-port
	drun --rm "${ENG_RUN_OPTS[@]}" "$ENG_IMAGE" $CNET where 10.0.2.2 "$IPORT"
	plain=$(echo "$ERR" | grep '^where:')
	before=$(host_counter bypassed)
	drun --rm --runtime rootlet "${ENG_RUN_OPTS[@]}" "$ENG_IMAGE" $CNET where 10.0.2.2 "$IPORT"
	[ "$RC" -ne 0 ] || fail "10.0.2.2 reached the host's loopback: $OUT"
	assert_eq "$(echo "$ERR" | grep '^where:')" "$plain" "the connect()'s error"
	assert_eq "$(host_counter bypassed)" "$before" "connect()s bypassed"
}

# What is bypassed follows the container's own routes: docker0's subnet is its own (another
# container there is reached through the bridge, never by a host socket), while 10.0.2.2 goes
# by its default route and is bypassed.
test_docker_bridge_subnet_stays_inside_and_the_default_route_is_bypassed() {
	docker_up
	echo dsrv >>"$TEST_WORK/dcontainers"
	ok "$DOCKER" run -d --name dsrv "${ENG_RUN_OPTS[@]}" "$ENG_IMAGE" \
		$CNET serve-peer 0.0.0.0 8080 --with-port
	sip=$("$DOCKER" inspect --format '{{.NetworkSettings.IPAddress}}' dsrv)
	[ -n "$sip" ] || fail "no address of the server on docker0"
	wait_until 10 "$DOCKER exec dsrv $CNET whoami $sip 8080"
	IPORT=$(free_port)
	serve peer $NET serve-peer 127.0.0.1 "$IPORT" --with-port
	for under in runc crun; do
		drun --rm --runtime "rootlet-$under" "${ENG_RUN_OPTS[@]}" "$ENG_IMAGE" \
			sh -c "$CNET where $sip 8080 && $CNET where 10.0.2.2 $IPORT"
		[ "$RC" -eq 0 ] || fail "$under: docker run exited $RC: $OUT $ERR"
		assert_match "$(echo "$OUT" | head -n1)" "^local=${sip%.*}\.[0-9]+:[0-9]+ said=${sip%.*}\." \
			"$under: the docker0 peer, reached through the bridge"
		OUT=$(echo "$OUT" | tail -n1)
		is_twin "$under: 10.0.2.2 by the default route"
	done
}

# The engine's verbs through the wrapper: exec (its status), stop, rm; after rm, the supervisor
# serves nothing of the container, its runtime record is gone, and no process of it is left.
test_docker_exec_stop_rm_through_the_bypass_leave_nothing() {
	docker_up
	for under in runc crun; do
		ok "$DOCKER" run -d --name "d$under" --runtime "rootlet-$under" "$ENG_IMAGE" sh -c \
			'trap "exit 0" TERM; while :; do sleep 0.1; done'
		id=$OUT
		pid=$("$DOCKER" inspect --format '{{.State.Pid}}' "d$under")
		wait_until 10 "[ \"\$(host_counter filters)\" -ge 1 ]"
		[ -e "$ROOTLET_STATE_DIR/runtime@$id" ] || fail "$under: no record of its runtime"
		run "$DOCKER" exec "d$under" sh -c 'echo exec-ok; exit 3'
		assert_eq "$RC" 3 "$under: docker exec's status"
		assert_eq "$OUT" exec-ok "$under: exec's output"
		ok "$DOCKER" stop -t 5 "d$under"
		ok "$DOCKER" rm "d$under"
		wait_until 10 "[ \"\$(host_counter filters)\" -eq 0 ]"
		! kill -0 "$pid" 2>/dev/null || fail "$under: the container's init $pid is left"
		[ -z "$(pgrep -u "$(id -u)" -f -- "-id $id")" ] || fail "$under: its shim is left"
		[ ! -e "$ROOTLET_STATE_DIR/runtime@$id" ] || fail "$under: its runtime record is left"
	done
}

# dockerd killed -9: its containers outlive it (their shims are their own), still served; once
# they are gone too (docker_down's gc of what the engine left), the supervisor, its engine
# ended and nothing served, ends and leaves no socket, API or pid file.
test_dockerd_killed_leaves_the_supervisor_nothing_once_its_containers_are_gone() {
	docker_up
	ok "$DOCKER" run -d --name dk --runtime rootlet-runc "$ENG_IMAGE" sleep 1000
	wait_until 10 "[ \"\$(host_counter filters)\" -ge 1 ]"
	hpid=$(cut -d' ' -f1 "$HOST_SOCK.pid")
	kill -9 "$DOCKERD_PID"
	wait_until 10 "! kill -0 $DOCKERD_PID"
	sleep 2
	kill -0 "$hpid" || fail "the supervisor ended while a container of its engine ran"
	docker_down
	wait_until 15 "! kill -0 $hpid"
	left=$(ls "$ROOTLET_STATE_DIR" | grep -E '^bypass@host-[0-9]+\.sock(\.api|\.pid|\.standby\.pid)?$' || true)
	[ -z "$left" ] || fail "left after the supervisor's end: $left"
	[ -z "$(pgrep -u "$(id -u)" -f -- "$DK_RUN")" ] || fail "processes of the engine are left"
	ok "$NETNS" gc
	left=$(ls "$ROOTLET_STATE_DIR" | grep -E '^(bypass@host|runtime@)' || true)
	[ -z "$left" ] || fail "left after gc: $left"
}

# Inside rootlesskit with no supervisor in the host's netns, create fails with what to start
# (one never starts one itself: it would be in rootlesskit's netns, behind its slirp). Docker
# shows it: the wrapper writes its line to runc's --log file too, where containerd reads it.
test_docker_without_a_host_supervisor_the_create_fails_naming_what_to_start() {
	docker_up
	kill "$(cut -d' ' -f1 "$HOST_SOCK.pid")"
	wait_until 10 "[ ! -e '$HOST_SOCK.pid' ]"
	drun --rm --runtime rootlet-runc "$ENG_IMAGE" true
	[ "$RC" -ne 0 ] || fail "a container ran with no supervisor"
	assert_match "$ERR" "rootlet-runtime: create: bypass: no rootlet-bypass --host serves this rootlesskit's user namespace \([0-9]+\); start one in the host's netns: rootlet-bypass --host --engine-pid [0-9]+" "what Docker says"
	[ ! -e "$HOST_SOCK.pid" ] || fail "a supervisor was started inside rootlesskit"
	drun --rm --runtime rootlet-runc --network none "$ENG_IMAGE" true
	[ "$RC" -ne 0 ] || fail "a container of no network ran with no supervisor"
}

# Docker's other networks name no netns path either: --network host shares rootlesskit's netns
# (its default route is slirp's: 10.0.2.2 bypassed to the host's loopback, as asked), and
# --network none has no route at all (nothing bypassed: the connect() fails inside, as without
# the bypass, and the supervisor counts nothing).
test_docker_host_and_none_networks_are_served_by_their_own_routes() {
	docker_up
	IPORT=$(free_port)
	serve peer $NET serve-peer 127.0.0.1 "$IPORT" --with-port
	drun --rm --runtime rootlet-runc --network host "${ENG_RUN_OPTS[@]}" "$ENG_IMAGE" \
		$CNET where 10.0.2.2 "$IPORT"
	[ "$RC" -eq 0 ] || fail "--network host: docker run exited $RC: $ERR"
	is_twin "--network host"
	drun --rm --network none "${ENG_RUN_OPTS[@]}" "$ENG_IMAGE" $CNET where 10.0.2.2 "$IPORT"
	plain=$(echo "$ERR" | grep '^where:')
	before=$(host_counter bypassed)
	drun --rm --runtime rootlet-runc --network none "${ENG_RUN_OPTS[@]}" "$ENG_IMAGE" \
		$CNET where 10.0.2.2 "$IPORT"
	[ "$RC" -ne 0 ] || fail "--network none reached the host: $OUT"
	assert_eq "$(echo "$ERR" | grep '^where:')" "$plain" "--network none: the connect()'s error"
	assert_eq "$(host_counter bypassed)" "$before" "--network none: connect()s bypassed"
}
