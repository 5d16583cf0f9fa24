# The engines suite's helpers, sourced after tests/integration/lib.sh: the real podman,
# rootlesskit, runc and crun drive rootlet-slirp and rootlet's rootlessport, unchanged.
# ENGINES_REFERENCE=1 runs every scenario against the reference tools instead (slirp4netns and
# podman's own rootlessport), so that each scenario proves itself.

if [ -n "${ENGINES_REFERENCE:-}" ]; then
	ENG_SLIRP=/usr/bin/slirp4netns
	ENG_ROOTLESSPORT=/usr/lib/podman/rootlessport
else
	ENG_SLIRP=$SLIRP
	ENG_ROOTLESSPORT=$BUILD/rootlessport
fi
# Short: podman's sockets live below it and a Unix socket path has 108 bytes.
ENG_DIR=${XDG_RUNTIME_DIR:-/run}/re
ENG_IMAGE=localhost/rootlet-bb
# Containers see the host's /usr read-only: python3 and net.py run inside them.
ENG_RUN_OPTS=(-v /usr:/usr:ro -v "$TOP/tests:$TOP/tests:ro")
CNET="python3 $TOP/tests/integration/tools/net.py"

# ENGINES_RUNTIME=PATH runs every scenario's containers through that OCI runtime (podman's
# engine.runtime): build/rootlet-runtime, to show that podman cannot tell it from crun.
# What TESTING-NOTES.md says podman needs here: cgroupfs, file events, our helpers first, a
# private tmp_dir (pause.pid is there) and vfs storage kept in the user's home across tests.
engines_setup() {
	mkdir -p "$ENG_DIR/helpers" "$ENG_DIR/tmp" "$ENG_DIR/run" "$HOME/.rootlet-engines"
	cat >"$ENG_DIR/containers.conf" <<-EOF
		[engine]
		cgroup_manager = "cgroupfs"
		events_logger = "file"
		network_cmd_path = "$ENG_SLIRP"
		tmp_dir = "$ENG_DIR/tmp"
		${ENGINES_RUNTIME:+runtime = \"$ENGINES_RUNTIME\"}
	EOF
	cat >"$ENG_DIR/storage.conf" <<-EOF
		[storage]
		driver = "vfs"
		runroot = "$ENG_DIR/run"
		graphroot = "$HOME/.rootlet-engines"
		rootless_storage_path = "$HOME/.rootlet-engines"
	EOF
	ln -sfn "$ENG_ROOTLESSPORT" "$ENG_DIR/helpers/rootlessport"
	export CONTAINERS_CONF=$ENG_DIR/containers.conf
	export CONTAINERS_STORAGE_CONF=$ENG_DIR/storage.conf
	export CONTAINERS_HELPER_BINARY_DIR=$ENG_DIR/helpers
}

# The image: busybox-static, with /lib and /lib64 leading into the host's /usr that each
# container mounts. Imported once; later tests find it in the storage.
engines_image() {
	command -v podman >/dev/null || skip "podman is not installed (make deps installs it)"
	podman image exists "$ENG_IMAGE" && return 0
	(
		flock 9
		podman image exists "$ENG_IMAGE" && exit 0
		make_rootfs "$TEST_WORK/rootfs"
		for a in httpd nc hostname timeout wget nslookup seq; do
			ln -sf busybox "$TEST_WORK/rootfs/bin/$a"
		done
		ln -s usr/lib "$TEST_WORK/rootfs/lib"
		ln -s usr/lib64 "$TEST_WORK/rootfs/lib64"
		mkdir -p "$TEST_WORK/rootfs/usr"
		tar -C "$TEST_WORK/rootfs" -cf "$TEST_WORK/rootfs.tar" .
		podman import -q "$TEST_WORK/rootfs.tar" "$ENG_IMAGE" >/dev/null
	) 9>"$ENG_DIR/image.lock" || fail "podman import of the busybox image failed"
}

# prun NAME ARGS...: a detached container NAME (removed by the test's teardown).
prun() {
	local name=$1
	shift
	echo "$name" >>"$TEST_WORK/containers"
	ok podman run -d --name "$name" "${ENG_RUN_OPTS[@]}" "$@"
}

# An echo server in a container: `echo_server PROTO PORT` as a command for prun.
echo_server() {
	echo "python3 $TOP/tests/integration/tools/net.py serve-echo $1 :: $2"
}

# reaches PROTO ADDR PORT: a message echoes back through the forward within 30 s.
# Long, because a container's servers start slowly when CI's two cores are busy (65 python
# servers took more than 10 s once); one that never answers still fails, only later.
reaches() {
	wait_until 30 "$NET echo-client $1 $2 $3 hello-$3 --timeout 1"
}

# refused_at PROTO ADDR PORT: nothing echoes back.
unreached() {
	run $NET echo-client "$1" "$2" "$3" nothing --timeout 1
	[ "$RC" -ne 0 ] || fail "$2 port $3 ($1) answered, expected nothing"
}

# The helpers of the running user: slirp helpers (ours or the reference) and forwarders.
count_procs() {
	pgrep -u "$(id -u)" -f -c -- "^$1( |$)" || true
}

# The runner calls these around each test of this kind.
# (Not for engines-root's tests, run by root: podman's set-up is the test user's.)
kind_setup() {
	[ "$(id -u)" -ne 0 ] || return 0
	engines_setup
	engines_image
	[ -z "${ENGINES_RUNTIME:-}" ] || engines_runtime_is "$ENGINES_RUNTIME"
}

# A wrapped run proves itself: podman's own report names the runtime it runs.
engines_runtime_is() {
	local path
	path=$(podman info --format '{{.Host.OCIRuntime.Path}}') || fail "podman info failed"
	[ "$path" = "$1" ] || fail "podman runs $path, not $1 (ENGINES_RUNTIME)"
}

kind_teardown() {
	[ "$(id -u)" -ne 0 ] || return 0
	engines_setup
	local c
	if [ -f "$TEST_WORK/containers" ] && command -v podman >/dev/null; then
		podman rm -f -t 0 --ignore $(cat "$TEST_WORK/containers") >/dev/null 2>&1
		podman pod rm -f -t 0 -a >/dev/null 2>&1
	fi
	if [ -f "$TEST_WORK/networks" ]; then
		podman network rm -f $(cat "$TEST_WORK/networks") >/dev/null 2>&1
	fi
	for c in $(cat "$TEST_WORK/runc.ids" 2>/dev/null); do
		runc delete --force "$c" >/dev/null 2>&1
	done
	for c in $(cat "$TEST_WORK/rootlesskit.pids" 2>/dev/null); do
		kill "$c" 2>/dev/null
	done
	docker_down
}

# What the engines suite leaves once it has run: podman's pause process and containers.
engines_cleanup() {
	engines_setup
	podman rm -a -f -t 0 >/dev/null 2>&1
	podman pod rm -a -f -t 0 >/dev/null 2>&1
	[ -f "$ENG_DIR/tmp/pause.pid" ] && kill "$(cat "$ENG_DIR/tmp/pause.pid")" 2>/dev/null
	return 0
}

# Rootless Docker (Debian's docker.io): dockerd-rootless.sh runs dockerd and containerd inside
# rootlesskit's user and network namespaces, behind slirp4netns, with its own data root, exec
# root and socket (short: containerd's sockets are below it). Its runtimes are rootlet-runtime:
# `rootlet` as daemon.json would have it, and one over each real runtime with host loopback.
# The host-side supervisor for its containers runs in the host's netns, beside it.
DOCKER=/usr/bin/docker
DOCKERD_ROOTLESS=/usr/share/docker.io/contrib/dockerd-rootless.sh

docker_up() {
	[ -x "$DOCKERD_ROOTLESS" ] && [ -x "$DOCKER" ] ||
		skip "docker.io is not installed (make deps installs it)"
	DK_RUN=$XDG_RUNTIME_DIR/dk$$
	local rt=$BUILD/rootlet-runtime
	cat >"$TEST_WORK/daemon.json" <<-EOF2
		{"storage-driver": "vfs",
		 "runtimes": {
		  "rootlet": {"path": "$rt", "runtimeArgs": ["--bypass"]},
		  "rootlet-runc": {"path": "$rt", "runtimeArgs": ["--runtime", "runc", "--bypass",
		    "--bypass-host-loopback"]},
		  "rootlet-crun": {"path": "$rt", "runtimeArgs": ["--runtime", "crun", "--bypass",
		    "--bypass-host-loopback"]}}}
	EOF2
	echo "DK_RUN=$DK_RUN" >"$TEST_WORK/docker.env"
	export DOCKER_HOST=unix://$DK_RUN.sock DOCKER_CONFIG=$TEST_WORK/.docker
	PATH=/usr/bin:/usr/sbin:/bin:/sbin setsid "$DOCKERD_ROOTLESS" --data-root "$TEST_WORK/dd" \
		--exec-root "$DK_RUN" -H "$DOCKER_HOST" --pidfile "$DK_RUN.pid" \
		--config-file "$TEST_WORK/daemon.json" </dev/null >"$TEST_WORK/dockerd.log" 2>&1 &
	echo "RK_PID=$!" >>"$TEST_WORK/docker.env"
	wait_until 60 "$DOCKER info" || fail "dockerd did not start: $(tail -5 "$TEST_WORK/dockerd.log")"
	DOCKERD_PID=$(cat "$DK_RUN.pid")
	setsid "$BUILD/rootlet-bypass" --host --engine-pid "$DOCKERD_PID" </dev/null \
		>"$TEST_WORK/host.log" 2>&1 &
	echo "HOST_PID=$!" >>"$TEST_WORK/docker.env"
	HOST_SOCK=$ROOTLET_STATE_DIR/bypass@host-$(stat -L -c %i "/proc/$DOCKERD_PID/ns/user").sock
	wait_until 10 "[ -S '$HOST_SOCK.api' ]"
	docker_image
}

# The busybox image, imported from a tarball (there is no registry).
docker_image() {
	make_rootfs "$TEST_WORK/dkroot"
	for a in httpd nc hostname timeout wget seq; do
		ln -sf busybox "$TEST_WORK/dkroot/bin/$a"
	done
	ln -s usr/lib "$TEST_WORK/dkroot/lib"
	ln -s usr/lib64 "$TEST_WORK/dkroot/lib64"
	mkdir -p "$TEST_WORK/dkroot/usr"
	# Root's inside: the user's own id outside, so that the user can remove the data root.
	tar -C "$TEST_WORK/dkroot" --owner=0 --group=0 --numeric-owner -cf "$TEST_WORK/dkroot.tar" .
	ok "$DOCKER" import "$TEST_WORK/dkroot.tar" "$ENG_IMAGE"
}

# Everything docker_up started, and what its containers left: dockerd stopped as its user
# would (its containers removed first), then whatever is left of rootlesskit, slirp4netns,
# containerd, its shims and their containers killed; the supervisor ends with its engine.
docker_down() {
	[ -f "$TEST_WORK/docker.env" ] || return 0
	local DK_RUN RK_PID HOST_PID p
	. "$TEST_WORK/docker.env"
	export DOCKER_HOST=unix://$DK_RUN.sock DOCKER_CONFIG=$TEST_WORK/.docker
	if timeout 5 "$DOCKER" info >/dev/null 2>&1; then
		timeout 30 "$DOCKER" rm -f $("$DOCKER" ps -aq) >/dev/null 2>&1
		kill "$(cat "$DK_RUN.pid")" 2>/dev/null
		for _ in $(seq 100); do kill -0 "$RK_PID" 2>/dev/null || break; sleep 0.1; done
	fi
	# Leftovers: containerd and its shims name the exec root; a shim's children are its
	# containers; rootlesskit's are its child and slirp4netns.
	for p in $(pgrep -u "$(id -u)" -f -- "${DK_RUN}([/ .]|$)") $RK_PID; do
		pkill -KILL -P "$p" 2>/dev/null
		kill -KILL "$p" 2>/dev/null
	done
	for _ in $(seq 50); do kill -0 "$HOST_PID" 2>/dev/null || break; sleep 0.1; done
	kill "$HOST_PID" 2>/dev/null
	# dockerd leaves directories of mode 0600 there.
	chmod -R u+rwx "$DK_RUN" 2>/dev/null
	rm -rf "$DK_RUN" "$DK_RUN.sock" "$DK_RUN.pid"
	# Files a container made as another of its users are the user's subordinate ids'.
	rootlesskit --net=host rm -rf "$TEST_WORK/dd" >/dev/null 2>&1
	rm -f "$TEST_WORK/docker.env"
}
