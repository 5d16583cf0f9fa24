#!/bin/bash
# Runs every test_* function of the integration files of one kind (rootless or root), each in
# a fresh bash with its own state directory, bounded in time; prints ok / not ok / skip lines.
set -uo pipefail

kind=$1
here=$(cd "$(dirname "$0")" && pwd)
test_timeout=${ROOTLET_TEST_TIMEOUT:-180}

libs="source '$here/lib.sh';"
label=$kind
case $kind in
rootless) files=("$here"/[0-9]*_*.sh) ;;
fault) files=("$here"/../fault/[0-9]*_*.sh) ;;
root)
	files=("$here"/root/[0-9]*_*.sh)
	libs="$libs source '$here/root/lib.sh';"
	;;
engines | engines-root)
	# Real podman, rootlesskit, runc and crun; their own helpers' set-up and teardown too.
	# engines-root: root sets the scene (a mount namespace), then drops to the test user.
	if [ "$kind" = engines ]; then
		files=("$here"/../engines/[0-9]*_*.sh)
	else
		files=("$here"/../engines/root/[0-9]*_*.sh)
	fi
	libs="$libs source '$here/../engines/lib.sh';"
	[ -n "${ENGINES_REFERENCE:-}" ] && label=$kind-reference
	[ -n "${ENGINES_RUNTIME:-}" ] && label=$kind-wrapped
	;;
*) echo "runner: unknown kind $kind" >&2; exit 2 ;;
esac

for file in "${files[@]}"; do
	[ -f "$file" ] || continue
	suite=$(basename "$file" .sh)
	suite=${suite#[0-9]*_}
	# A file bash cannot parse would list only the tests before the error: a failure, named.
	if ! syntax=$(bash -n "$file" 2>&1); then
		echo "not ok - $label $suite: the file does not parse"
		echo "$syntax" | sed 's/^/    /'
		continue
	fi
	for t in $(TEST_WORK=/nonexistent bash -c "$libs source '$file'; declare -F" |
		awk '$3 ~ /^test_/ { print $3 }'); do
		# ROOTLET_TEST_FILTER (a regex on "suite:test") narrows a run while developing.
		[[ "$suite:$t" =~ ${ROOTLET_TEST_FILTER:-.} ]] || continue
		work=$(mktemp -d "${TMPDIR:-/tmp}/rootlet-it.XXXXXX")
		# Each test leads a process group of its own, so that everything it started in the
		# background goes with it, even when it runs out of time.
		(cd "$work" && TEST_WORK=$work exec setsid bash -c \
			"$libs source '$file'; setup_test; ! declare -F kind_setup >/dev/null || kind_setup; $t" \
			>"$work/.out" 2>&1) &
		pid=$!
		deadline=$((SECONDS + test_timeout))
		while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
			sleep 0.1
		done
		timed_out=0
		if kill -0 "$pid" 2>/dev/null; then
			timed_out=1
			kill -TERM -- "-$pid" 2>/dev/null
			sleep 1
		fi
		kill -KILL -- "-$pid" 2>/dev/null
		wait "$pid"
		rc=$?
		[ $timed_out -eq 1 ] && rc=124
		out=$(cat "$work/.out")
		(TEST_WORK=$work bash -c "$libs ! declare -F kind_teardown >/dev/null || kind_teardown
			teardown_test") >/dev/null 2>&1
		rm -rf "$work"
		name="${t#test_}"
		if [ $rc -eq 0 ]; then
			echo "ok - $label $suite: $name"
		elif [ $rc -eq 77 ]; then
			echo "skip - $label $suite: $name: $(echo "$out" | grep '^SKIP: ' | tail -1 | cut -c7-)"
		else
			[ $rc -eq 124 ] && out="$out"$'\n'"timed out after ${test_timeout}s"
			echo "not ok - $label $suite: $name"
			echo "$out" | tail -25 | sed 's/^/    /'
		fi
	done
done
