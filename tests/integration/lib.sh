# Helpers for the integration tests: the binaries, per-test state, and assertions.
# Each test runs in a fresh bash with this file sourced; a failed assertion exits 1, skip 77.

TOP=${ROOTLET_TOP:?ROOTLET_TOP is not set}
BUILD=$TOP/build
NETNS=$BUILD/rootlet-netns

# Each test gets a state root of its own, so tests cannot see each other's netns.
ROOTLET_STATE_DIR=${XDG_RUNTIME_DIR:-/run}/rootlet-it-$(basename "${TEST_WORK:?}")
export ROOTLET_STATE_DIR

setup_test() {
	set -u
	cd "$TEST_WORK" || exit 1
}

teardown_test() {
	local n
	[ -d "$ROOTLET_STATE_DIR" ] || return 0
	for n in $(ls "$ROOTLET_STATE_DIR"); do
		"$NETNS" del "$n" 2>/dev/null
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

# The holder pid of a netns, from list --json.
holder_pid() {
	"$NETNS" list --json | jq -r --arg n "$1" '.[] | select(.name == $n) | .holder_pid'
}

netns_state() {
	"$NETNS" list --json | jq -r --arg n "$1" '.[] | select(.name == $n) | .state'
}

# wait_until SECONDS CMD...: poll CMD every 50 ms; fail when it never succeeds.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || fail "timed out waiting for: $*"
		sleep 0.05
	done
}

# A busybox-static root filesystem for containers, with the applets the tests use.
make_rootfs() {
	local dir=$1 applet
	mkdir -p "$dir"/{bin,proc,sys,dev,etc,tmp}
	cp /bin/busybox "$dir/bin/busybox" || fail "busybox-static is not installed"
	for applet in sh ip cat id ls sleep; do
		ln -sf busybox "$dir/bin/$applet"
	done
}
