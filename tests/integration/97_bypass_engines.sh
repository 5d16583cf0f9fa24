# rootlet-bypass with the real OCI runtimes (runc, crun) through rootlet-netns oci --bypass, and
# with rootlet run --bypass: the runtime hands the container's listener fd to the supervisor.

# A rootless bundle in ./bundle joining netns NAME under the bypass, running ARGS, with the
# host's /usr (python3, iperf3) and the test tools mounted read-only, and a seccomp profile of
# its own: everything allowed but mkdir (refused), connect and bind named in an allow rule.
bypass_bundle() {
	local name=$1 args
	shift
	make_rootfs bundle/rootfs
	mkdir -p bundle/rootfs/usr bundle/rootfs/tools
	ln -s usr/lib bundle/rootfs/lib
	ln -s usr/lib64 bundle/rootfs/lib64
	(cd bundle && runc spec --rootless) || fail "runc spec --rootless failed"
	args=$(python3 -c 'import json, sys; print(json.dumps(sys.argv[1:]))' "$@")
	jq --argjson args "$args" --arg tools "$TOP/tests/integration/tools" '
		.process.terminal = false | .process.args = $args |
		.mounts += [{destination: "/usr", type: "bind", source: "/usr", options: ["rbind", "ro"]},
			    {destination: "/tools", type: "bind", source: $tools, options: ["rbind", "ro"]}] |
		.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", syscalls: [
			{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 1},
			{names: ["connect", "getpid", "bind"], action: "SCMP_ACT_ALLOW"}]}' \
		bundle/config.json >bundle/config.new && mv bundle/config.new bundle/config.json
	ok "$NETNS" oci "$name" bundle/config.json --in-place --bypass
}

# run_bundle RUNTIME [inside]: run the bundle from the host, or from inside the netns's userns
# (as a rootless engine runs its runtime: runc 1.1 takes the listener fd from its own child
# with pidfd_getfd(), which the kernel refuses a runc outside the child's userns, the child
# being non-dumpable). Inside, the config names no user namespace: the runtime is in it.
run_bundle() {
	local runtime=$1 how=${2:-}
	command -v "$runtime" >/dev/null || fail "$runtime is not installed"
	if [ "$how" = inside ]; then
		jq 'del(.linux.uidMappings, .linux.gidMappings) |
			.linux.namespaces |= map(select(.type != "user"))' bundle/config.json >c.new &&
			mv c.new bundle/config.json
		run "$NETNS" exec web -- "$runtime" --root "$TEST_WORK/$runtime-state" run \
			--bundle bundle "bp-$runtime-$$"
	else
		run "$runtime" --root "$TEST_WORK/$runtime-state" run --bundle bundle "bp-$runtime-$$"
	fi
	[ "$RC" -eq 0 ] || fail "$runtime run exited $RC: $OUT $ERR"
}

counters() {
	$NET api "$ROOTLET_STATE_DIR/$1/bypass-api.sock" '{"execute":"counters"}' | jq -c .return
}

tap_tx() {
	"$NETNS" exec "$1" -- awk '$1 == "tap0:" { print $11 }' /proc/net/dev
}

container_is_bypassed() {
	local runtime=$1 how=${2:-}
	ok "$NETNS" add web --slirp --bypass --allow-host-loopback
	port=$(free_port)
	iport=$(free_port)
	serve sha $NET serve-sha 127.0.0.1 "$port"
	serve peer $NET serve-peer 127.0.0.1 "$iport" --with-port
	bg iperf iperf3 -s -B 127.0.0.1 -p "$((iport + 1))"
	wait_until 10 "ss -Hltn 'sport = :$((iport + 1))' | grep -q ."
	bypass_bundle web sh -c "mkdir /tmp/x 2>/dev/null; echo mkdir=\$?
python3 /tools/net.py where 10.0.2.2 $iport
python3 /tools/net.py send-sha 10.0.2.2 $port 1024
iperf3 -c 10.0.2.2 -p $((iport + 1)) -t 1 -J >/dev/null && echo iperf=ok"
	before=$(tap_tx web)
	run_bundle "$runtime" "$how"
	assert_match "$OUT" "mkdir=1" "the profile's own rule kept"
	[[ $OUT =~ local=127.0.0.1:([0-9]+)\ said=127.0.0.1:([0-9]+) ]] ||
		fail "the container's socket is not the host's twin: $OUT $ERR"
	assert_eq "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" "the server's peer port"
	assert_match "$OUT" " 1073741824"$'\n'"iperf=ok" "1 GiB intact, then iperf3"
	[ $(($(tap_tx web) - before)) -lt 50 ] || fail "slirp saw $(($(tap_tx web) - before)) packets"
	[ "$(counters web | jq .bypassed)" -ge 4 ] || fail "counters: $(counters web)"
}

test_runc_container_connects_through_the_bypass() {
	container_is_bypassed runc inside
}

test_crun_container_connects_through_the_bypass() {
	container_is_bypassed crun
}

# twin_scene: a peer on the host's loopback saying SECRET (its port in $secret), and netns web
# under the bypass publishing 127.0.0.1:$hp to its port 8081. Host loopback allowed, so that a
# TCP twin exists on every kernel (96_bypass.sh).
twin_scene() {
	secret=$(free_port)
	serve peer $NET serve-peer 127.0.0.1 "$secret" --say SECRET
	hp=$(free_port)
	ok "$NETNS" add web --slirp --bypass --allow-host-loopback --publish "127.0.0.1:$hp:8081"
}

# The twin routes of 96_bypass.sh in a container: the merged profile gives the runtime the same
# guard (fast-open sends notified, io_uring refused) as rootlet-netns exec's filter.
container_twin_routes_are_closed() {
	local runtime=$1 how=${2:-}
	twin_scene
	bypass_bundle web sh -c "/btools/twinroute io_uring 8081 $secret
python3 -c '
import errno, socket
s = socket.socket(); s.bind((\"0.0.0.0\", 8081))
try:
    s.sendto(b\"GET\", socket.MSG_FASTOPEN, (\"127.0.0.1\", $secret)); s.settimeout(3)
    print(\"fastopen read=\" + s.recv(64).decode())
except OSError as e:
    print(\"fastopen error=\" + errno.errorcode[e.errno])'"
	jq --arg b "$BUILD/tools" '.mounts += [{destination: "/btools", type: "bind", source: $b,
		options: ["rbind", "ro"]}]' bundle/config.json >c.new && mv c.new bundle/config.json
	run_bundle "$runtime" "$how"
	assert_eq "$OUT" "bound=$hp error=ENOSYS"$'\n'"fastopen error=ENOTSUP" \
		"io_uring and fast open on the container's twin"
}

test_crun_container_twin_routes_are_closed() {
	container_twin_routes_are_closed crun
}

test_runc_container_twin_routes_are_closed() {
	container_twin_routes_are_closed runc inside
}

# A profile naming the x32 ABI (podman's default does, on x86_64) gets the notify rules for x32
# too: an x32 connect() then reaches the supervisor with the native arch and the x32 bit in its
# number. Never continued (the kernel would run it unread, on a twin too): refused, as a kernel
# without x32 refuses it; the supervisor counts it.
container_x32_connect_is_refused_by_the_supervisor() {
	local runtime=$1 how=${2:-}
	twin_scene
	bypass_bundle web /btools/twinroute x32 8081 "$secret"
	jq --arg b "$BUILD/tools" '.mounts += [{destination: "/btools", type: "bind", source: $b,
		options: ["rbind", "ro"]}] |
		.linux.seccomp.architectures = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]' \
		bundle/config.json >c.new && mv c.new bundle/config.json
	before=$(counters web | jq .refused)
	run_bundle "$runtime" "$how"
	assert_eq "$OUT" "bound=$hp error=ENOSYS" "the x32 connect() of the container's twin"
	[ "$(counters web | jq .refused)" -gt "$before" ] ||
		fail "the supervisor never saw the x32 connect(): $(counters web)"
}

test_crun_container_x32_connect_is_refused_by_the_supervisor() {
	container_x32_connect_is_refused_by_the_supervisor crun
}

test_runc_container_x32_connect_is_refused_by_the_supervisor() {
	container_x32_connect_is_refused_by_the_supervisor runc inside
}

test_oci_bypass_merges_into_the_profile_it_finds() {
	ok "$NETNS" add web --slirp --bypass
	mkdir bundle && (cd bundle && runc spec --rootless) || fail "runc spec failed"
	# podman's default shape: refuse by default, an allow list naming connect and bind.
	jq '.linux.seccomp = {defaultAction: "SCMP_ACT_ERRNO", architectures: ["SCMP_ARCH_X86_64"],
		syscalls: [{names: ["read", "connect", "write", "bind"], action: "SCMP_ACT_ALLOW"},
			   {names: ["ptrace"], action: "SCMP_ACT_ERRNO", errnoRet: 1}]}' \
		bundle/config.json >config.json
	ok "$NETNS" oci web config.json --bypass
	out=$OUT
	assert_eq "$(echo "$out" | jq -r .linux.seccomp.listenerPath)" "$ROOTLET_STATE_DIR/web/bypass.sock"
	assert_eq "$(echo "$out" | jq -c '.linux.seccomp.syscalls')" \
		'[{"names":["read","write"],"action":"SCMP_ACT_ALLOW"},{"names":["ptrace"],"action":"SCMP_ACT_ERRNO","errnoRet":1},{"names":["connect","bind"],"action":"SCMP_ACT_NOTIFY"},{"names":["io_uring_setup","io_uring_enter","io_uring_register","socketcall"],"action":"SCMP_ACT_ERRNO","errnoRet":38}]' \
		"the rules after the merge (sendto is refused by this profile: no fast-open rule)"
	assert_eq "$(echo "$out" | jq -r '.linux.seccomp.defaultAction, .linux.seccomp.architectures[0]')" \
		$'SCMP_ACT_ERRNO\nSCMP_ARCH_X86_64' "the profile's own settings"
	# A profile restricting connect by its arguments cannot be hooked there, and a published
	# bind's socket could then be connected anywhere by the kernel: refused, file untouched.
	jq '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["connect"],
		action: "SCMP_ACT_ERRNO", args: [{index: 0, value: 99, op: "SCMP_CMP_EQ"}]}]}' \
		bundle/config.json >config.json
	before=$(sha256sum config.json)
	refused 1 "$NETNS" oci web config.json --bypass --in-place
	assert_match "$ERR" "allows connect on a condition" "the refusal"
	assert_eq "$(sha256sum config.json)" "$before" "the file after a refusal"
	# Another supervisor's listener is not replaced.
	jq '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", listenerPath: "/run/other.sock"}' \
		bundle/config.json >config.json
	before=$(sha256sum config.json)
	refused 1 "$NETNS" oci web config.json --bypass --in-place
	assert_match "$ERR" "listenerPath names another supervisor"
	assert_eq "$(sha256sum config.json)" "$before" "the file after a refusal"
	# A netns without the bypass has no supervisor to name.
	ok "$NETNS" add plain --slirp
	refused 1 "$NETNS" oci plain bundle/config.json --bypass
}

test_rootlet_run_bypass_puts_the_command_under_the_supervisor() {
	port=$(free_port)
	serve sha $NET serve-sha 127.0.0.1 "$port"
	iport=$(free_port)
	serve peer $NET serve-peer 127.0.0.1 "$iport" --with-port
	ok "$BUILD/rootlet" run --name rb --bypass --allow-host-loopback -- sh -c "
$NET where 10.0.2.2 $iport && $NET send-sha 10.0.2.2 $port 1024 &&
awk '\$1 == \"tap0:\" { print \"tx=\" \$11 }' /proc/net/dev &&
echo supervisor=\$(cut -d' ' -f1 '$ROOTLET_STATE_DIR/rb/bypass.pid')"
	[[ $OUT =~ local=127.0.0.1:([0-9]+)\ said=127.0.0.1:([0-9]+) ]] || fail "not bypassed: $OUT"
	assert_eq "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" "the server's peer port"
	assert_match "$OUT" " 1073741824" "1 GiB intact"
	[[ $OUT =~ tx=([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -lt 50 ] || fail "slirp saw the transfer: $OUT"
	# Everything is gone with the command, the supervisor too.
	wait_until 5 "[ ! -e '$ROOTLET_STATE_DIR/rb' ]"
	# (Its environ is not ours to read: it is not dumpable. Its pid, as the command saw it.)
	[[ $OUT =~ supervisor=([0-9]+) ]] || fail "no supervisor pid: $OUT"
	wait_until 5 "! kill -0 ${BASH_REMATCH[1]} 2>/dev/null || grep -q '^State:.*Z' /proc/${BASH_REMATCH[1]}/status"
}

# Issue 24's break: the command of rootlet run --bypass is root in the userns its supervisor
# joined, as the same uid; were the supervisor dumpable, pidfd_getfd() would hand the command
# its host-netns sockets and PTRACE_SEIZE its code. Nor slirp nor the standby: all EPERM.
test_a_rootlet_run_bypass_command_cannot_take_fds_from_or_ptrace_its_helpers() {
	ok "$BUILD/rootlet" run --name rr --bypass -- sh -c "
d='$ROOTLET_STATE_DIR/rr'; n=0
while [ ! -s \$d/bypass-standby.pid ] && [ \$n -lt 50 ]; do sleep 0.1; n=\$((n + 1)); done
'$BUILD/tools/reachin' \$(cat \$d/bypass.pid \$d/bypass-standby.pid \$d/slirp.pid | cut -d' ' -f1)"
	[ "$(echo "$OUT" | grep -c .)" = 3 ] || fail "not three helpers: $OUT"
	[ "$(echo "$OUT" | grep -c ' getfd=EPERM ptrace=EPERM$')" = 3 ] || fail "a helper within reach: $OUT"
}

test_rootlet_run_bypass_publishes_by_the_command_own_bind() {
	hp=$(free_port)
	# Host loopback allowed: without it, a kernel that refuses the supervisor socket filters
	# has the port forwarded by rootlet-portfwd instead (96_bypass.sh).
	bg srv "$BUILD/rootlet" run --name rp --bypass --allow-host-loopback --publish "127.0.0.1:$hp:8080" -- \
		$NET serve-peer 0.0.0.0 8080 --with-port
	wait_until 10 "ss -Hltn 'src 127.0.0.1 and sport = :$hp' | grep -q ."
	ok $NET whoami 127.0.0.1 "$hp" --bind 127.0.0.9
	assert_match "$OUT" "^127\.0\.0\.9:[0-9]+$" "the peer the command saw"
}
