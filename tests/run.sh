#!/bin/bash
# The whole test suite: unit tests, fuzz replays, and the integration tests, the rootless ones
# as an unprivileged user. Prints one line per test and ends with "N passed, N failed, N skipped".
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build
test_user=${ROOTLET_TEST_USER:-rootlet-test}
fuzz_runs=${FUZZ_RUNS:-50000}
log=$(mktemp /tmp/rootlet-tests.XXXXXX)
trap 'rm -f "$log"' EXIT

# Every result line goes through here, so the summary counts exactly what was printed.
emit() {
	tee -a "$log"
}

"$top/tests/unit-runner.sh" "$build"/unit/test_* | emit

for f in "$build"/fuzz/fuzz_*; do
	name=$(basename "$f")
	# A target's seed corpus (tests/fuzz/corpus/NAME) is replayed from a copy: libFuzzer
	# adds what it finds to the directory it is given.
	corpus=()
	if [ -d "$top/tests/fuzz/corpus/$name" ]; then
		corpus=("$(mktemp -d /tmp/rootlet-corpus.XXXXXX)")
		cp "$top/tests/fuzz/corpus/$name"/* "${corpus[0]}/"
	fi
	if out=$("$f" -runs="$fuzz_runs" -seed=1 "${corpus[@]}" 2>&1); then
		echo "ok - fuzz $name: $fuzz_runs inputs, no crash" | emit
	else
		echo "$out" | tail -20 >&2
		echo "not ok - fuzz $name: crashed" | emit
	fi
	[ ${#corpus[@]} -eq 0 ] || rm -rf "${corpus[0]}"
done

if [ "$(id -u)" -eq 0 ]; then
	"$top/scripts/test-setup.sh" "$test_user" >&2
	# The test user must reach the build tree: every parent of it must be searchable.
	d=$top
	while [ "$d" != / ]; do
		if ! runuser -u "$test_user" -- test -x "$d"; then
			echo "not ok - setup: $test_user cannot reach $d" | emit
		fi
		d=$(dirname "$d")
	done
	ROOTLET_TEST_USER=$test_user "$top/scripts/as-test-user.sh" env ROOTLET_TOP="$top" \
		bash "$top/tests/integration/runner.sh" rootless 2>&1 | emit
	# kill -9 at random points, and the invariant gc must restore (tests/fault).
	ROOTLET_TEST_USER=$test_user "$top/scripts/as-test-user.sh" env ROOTLET_TOP="$top" \
		bash "$top/tests/integration/runner.sh" fault 2>&1 | emit
	# The real engines drive our helpers, as the test user; then podman's pause process goes.
	ROOTLET_TEST_USER=$test_user "$top/scripts/as-test-user.sh" env ROOTLET_TOP="$top" \
		ENGINES_REFERENCE="${ENGINES_REFERENCE:-}" \
		bash "$top/tests/integration/runner.sh" engines 2>&1 | emit
	# podman's own scenarios again, every container through rootlet-runtime with nothing asked
	# of it: podman cannot tell it from the runtime it wraps (issue 25).
	ROOTLET_TEST_USER=$test_user "$top/scripts/as-test-user.sh" env ROOTLET_TOP="$top" \
		ENGINES_RUNTIME="$build/rootlet-runtime" ROOTLET_TEST_FILTER='^podman_' \
		bash "$top/tests/integration/runner.sh" engines 2>&1 | emit
	ROOTLET_TEST_USER=$test_user "$top/scripts/as-test-user.sh" env ROOTLET_TOP="$top" \
		TEST_WORK=/nonexistent bash -c "source '$top/tests/integration/lib.sh'
			source '$top/tests/engines/lib.sh'; engines_cleanup"
	env ROOTLET_TOP="$top" bash "$top/tests/integration/runner.sh" root 2>&1 | emit
	env ROOTLET_TOP="$top" ROOTLET_TEST_USER="$test_user" ENGINES_REFERENCE="${ENGINES_REFERENCE:-}" \
		bash "$top/tests/integration/runner.sh" engines-root 2>&1 | emit
else
	ROOTLET_TOP="$top" bash "$top/tests/integration/runner.sh" rootless 2>&1 | emit
	ROOTLET_TOP="$top" bash "$top/tests/integration/runner.sh" fault 2>&1 | emit
	ROOTLET_TOP="$top" bash "$top/tests/integration/runner.sh" engines 2>&1 | emit
	ROOTLET_TOP="$top" ENGINES_RUNTIME="$build/rootlet-runtime" ROOTLET_TEST_FILTER='^podman_' \
		bash "$top/tests/integration/runner.sh" engines 2>&1 | emit
	echo "skip - integration root: needs root (run 'make check' as root)" | emit
	echo "skip - engines-root: needs root to make the mount namespace (run 'make check' as root)" | emit
fi

passed=$(grep -c '^ok ' "$log")
failed=$(grep -c '^not ok ' "$log")
skipped=$(grep -c '^skip ' "$log")
echo
grep '^not ok ' "$log" | sed 's/^/FAILED: /'
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
