# Helpers for the integration tests: the binaries, per-test state, and assertions.
# Each test runs in a fresh bash with this file sourced; a failed assertion exits 1, skip 77.

TOP=${ROOTLET_TOP:?ROOTLET_TOP is not set}
BUILD=$TOP/build
NETNS=$BUILD/rootlet-netns
UIDMAP=$BUILD/rootlet-uidmap
SLIRP=$BUILD/rootlet-slirp
PORTFWD=$BUILD/rootlet-portfwd
NETWORK=$BUILD/rootlet-network
NET="python3 $TOP/tests/integration/tools/net.py"

# Each test gets a state root of its own, so tests cannot see each other's netns.
ROOTLET_STATE_DIR=${XDG_RUNTIME_DIR:-/run}/rootlet-it-$(basename "${TEST_WORK:?}")
export ROOTLET_STATE_DIR

setup_test() {
	set -u
	cd "$TEST_WORK" || exit 1
}

teardown_test() {
	local pid root
	if [ -f "$TEST_WORK/bg.pids" ]; then
		while read -r pid; do
			kill "$pid" 2>/dev/null
		done <"$TEST_WORK/bg.pids"
	fi
	# State roots a test chose itself (use_state_root) go the same way.
	if [ -f "$TEST_WORK/roots" ]; then
		while read -r root; do
			ROOTLET_STATE_DIR=$root clean_state_root
		done <"$TEST_WORK/roots"
	fi
	clean_state_root
}

# Every netns of $ROOTLET_STATE_DIR deleted, the networks' infras too, and the root removed.
clean_state_root() {
	local n
	[ -d "$ROOTLET_STATE_DIR" ] || return 0
	for n in $(ls "$ROOTLET_STATE_DIR"); do
		"$NETNS" del "$n" 2>/dev/null
	done
	for n in $(ls "$ROOTLET_STATE_DIR/~infra" 2>/dev/null); do
		ROOTLET_STATE_DIR=$ROOTLET_STATE_DIR/~infra "$NETNS" del "$n" 2>/dev/null
	done
	"$NETNS" gc >/dev/null 2>&1
	# As root the state root is a shared bind mount of itself (see rootns.c).
	if [ "$(id -u)" -eq 0 ] && mountpoint -q "$ROOTLET_STATE_DIR"; then
		umount -R -l "$ROOTLET_STATE_DIR"
	fi
	rm -rf "$ROOTLET_STATE_DIR"
}

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

skip() {
	echo "SKIP: $*"
	exit 77
}

# run CMD...: OUT, ERR and RC of CMD, never failing by itself.
run() {
	local errf=$TEST_WORK/.stderr
	OUT=$("$@" 2>"$errf")
	RC=$?
	ERR=$(cat "$errf")
}

# ok CMD...: CMD must succeed; its stdout is in OUT.
ok() {
	run "$@"
	[ "$RC" -eq 0 ] || fail "'$*' exited $RC: $ERR"
}

# refused RC CMD...: CMD must exit RC with exactly one line on stderr.
refused() {
	local want=$1
	shift
	run "$@"
	[ "$RC" -eq "$want" ] || fail "'$*' exited $RC, expected $want (stderr: $ERR)"
	[ -n "$ERR" ] || fail "'$*' said nothing on stderr"
	[ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 ] || fail "'$*' said more than one line: $ERR"
}

assert_eq() {
	[ "$1" = "$2" ] || fail "${3:-value}: expected '$2', got '$1'"
}

assert_match() {
	[[ $1 =~ $2 ]] || fail "${3:-value}: '$1' does not match /$2/"
}

assert_no_match() {
	[[ $1 =~ $2 ]] && fail "${3:-value}: '$1' matches /$2/"
	return 0
}

# How many holders of this test's state root run (zombies, already gone, do not count).
live_holders() {
	local pid n=0
	for pid in $(pgrep -u "$(id -u)" -f -- "rootlet-netns-holder $ROOTLET_STATE_DIR "); do
		grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null || n=$((n + 1))
	done
	echo "$n"
}

# The user's rootlet processes (holders, helpers) born since this test began: what a refused
# command must not leave. Tests run one at a time; the daemons are not dumpable, so their
# environ (which would say whose state root they serve) is not ours to read.
TEST_BORN=$(cut -d' ' -f22 /proc/self/stat)
state_root_procs() {
	local pid born
	for pid in $(pgrep -u "$(id -u)" '^rootlet'); do
		grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null && continue
		born=$(cut -d' ' -f22 "/proc/$pid/stat" 2>/dev/null) || continue
		[ -n "$born" ] && [ "$born" -ge "$TEST_BORN" ] && echo "$pid"
	done
	return 0
}

# The holder pid of a netns, from list --json.
holder_pid() {
	"$NETNS" list --json | jq -r --arg n "$1" '.[] | select(.name == $n) | .holder_pid'
}

netns_state() {
	"$NETNS" list --json | jq -r --arg n "$1" '.[] | select(.name == $n) | .state'
}

# wait_until SECONDS 'SHELL CONDITION': evaluate it every 50 ms; fail when it never holds.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until eval "$*" >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || fail "timed out waiting for: $*"
		sleep 0.05
	done
}

# A busybox-static root filesystem for containers, with the applets the tests use.
make_rootfs() {
	local dir=$1 applet
	mkdir -p "$dir"/{bin,proc,sys,dev,etc,tmp}
	cp /bin/busybox "$dir/bin/busybox" || fail "busybox-static is not installed"
	for applet in sh ip cat id ls sleep grep; do
		ln -sf busybox "$dir/bin/$applet"
	done
}

# check_man_page BINARY VERB...: the page renders and names every verb, every long option of
# --help and every exit code that --help mentions.
check_man_page() {
	local bin=$1 page text verb opt code exits
	shift
	page=$TOP/man/$bin.1
	[ -f "$page" ] || fail "man/$bin.1 is missing"
	text=$(MANWIDTH=200 man -l "$page" 2>/dev/null) || fail "man cannot render $page"
	for verb in "$@"; do
		assert_match "$text" "$bin $verb|       $verb[ "$'\n'"]" "verb $verb in the man page"
	done
	ok "$BUILD/$bin" --help
	for opt in $(echo "$OUT" | grep -o -- '--[a-z][a-z0-9-]*' | sort -u); do
		assert_match "$text" "$opt" "option $opt in the man page"
	done
	exits=$(echo "$text" | sed -n '/^EXIT STATUS/,/^[A-Z]/p')
	for code in $(echo "$OUT" | sed -n '/^Exit:/,$p' | grep -o '\b[0-9]\{1,3\}\b' | sort -u); do
		echo "$exits" | grep -qw -- "$code" || fail "exit code $code not in EXIT STATUS"
	done
}

# The test user's own ranges, as the tests expect them mapped: "INSIDE OUTSIDE COUNT" lines.
expected_map() {
	local file=$1 own=$2 next=1 start count
	echo "0 $own 1"
	while IFS=: read -r _ start count; do
		echo "$next $start $count"
		next=$((next + count))
	done < <(grep -E "^($(id -un)|$(id -u)):" "$file")
}

# bg NAME CMD...: run CMD in the background until the test ends; its pid in $BG_PID.
bg() {
	local name=$1
	shift
	"$@" >"$TEST_WORK/$name.out" 2>&1 &
	BG_PID=$!
	echo "$BG_PID" >>"$TEST_WORK/bg.pids"
}

# serve NAME CMD...: a net.py server in the background, returning once it listens.
serve() {
	local name=$1
	shift
	bg "$name" "$@" --ready "$TEST_WORK/$name.ready"
	wait_until 10 "[ -e '$TEST_WORK/$name.ready' ]"
}

# cpu_ticks PID: user + system clock ticks PID has used (all its threads).
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# fd_count PID: how many fds PID has open, as the kernel counts them (the size of /proc/PID/fd,
# Linux 6.2). A rootlet daemon is not dumpable (lib/isolate.c): its fd directory, root and cwd
# are not ours to read, but this count and its mountinfo are.
fd_count() {
	stat -c %s "/proc/$1/fd"
}

# mounts_of PID: PID's mounts as "MOUNT-POINT OPTIONS", one a line, its root first.
mounts_of() {
	awk '{ print $5, $6 }' "/proc/$1/mountinfo"
}

# A TCP port that was free on 127.0.0.1 a moment ago.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# free_ports N: the first of N consecutive TCP ports free on 127.0.0.1 a moment ago.
free_ports() {
	python3 - "$1" <<-'PY'
		import random, socket, sys
		n = int(sys.argv[1])
		while True:
		    base = random.randint(20000, 60000 - n)
		    socks = []
		    try:
		        for p in range(base, base + n):
		            s = socket.socket(); s.bind(("127.0.0.1", p)); socks.append(s)
		    except OSError:
		        continue
		    print(base)
		    break
	PY
}

# use_state_root: a short state root of the test's own (long names need room in socket paths),
# cleaned up by teardown_test like the default one.
use_state_root() {
	ROOTLET_STATE_DIR=$(mktemp -u "${XDG_RUNTIME_DIR:-/run}/rl.XXXXXX")
	export ROOTLET_STATE_DIR
	echo "$ROOTLET_STATE_DIR" >>"$TEST_WORK/roots"
}

# INFRA...: rootlet-netns on the state root of the networks' infras (<root>/~infra), where
# network NAME's infra is the netns NAME.
infra() {
	ROOTLET_STATE_DIR=$ROOTLET_STATE_DIR/~infra "$NETNS" "$@"
}

# infra_dir NAME: the entry of network NAME's infra.
infra_dir() {
	echo "$ROOTLET_STATE_DIR/~infra/$1"
}

# infra_holder_pid NAME: the holder of network NAME's infra.
infra_holder_pid() {
	infra list --json | jq -r --arg n "$1" '.[] | select(.name == $n) | .holder_pid'
}

# infra_state NAME: live or stale, network NAME's infra.
infra_state() {
	infra list --json | jq -r --arg n "$1" '.[] | select(.name == $n) | .state'
}

# slirp_pid NAME: the pid rootlet-slirp recorded for netns NAME.
slirp_pid() {
	cut -d' ' -f1 "$ROOTLET_STATE_DIR/$1/slirp.pid"
}

# run_as USER CMD...: CMD as USER, with the environment a login would give it (root only).
run_as() {
	local user=$1
	shift
	runuser -u "$user" -- env -i HOME="$(getent passwd "$user" | cut -d: -f6)" \
		PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin LANG=C.UTF-8 \
		XDG_RUNTIME_DIR="/run/user/$(id -u "$user")" "$@"
}

# slirp_hostfwd NAME PROTO GUEST_PORT [HOST_ADDR]: an add_hostfwd on NAME's rootlet-slirp,
# host port chosen by the kernel; the port in HOST_PORT.
slirp_hostfwd() {
	ok $NET api "$ROOTLET_STATE_DIR/$1/slirp.sock" "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"$2\",\"host_addr\":\"${4:-127.0.0.1}\",\"host_port\":0,\"guest_port\":$3}}"
	HOST_PORT=$(echo "$OUT" | jq -r .return.host_port)
	[[ $HOST_PORT =~ ^[1-9][0-9]*$ ]] || fail "add_hostfwd $2 $3 on $1: $OUT"
}
