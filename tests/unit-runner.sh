#!/bin/bash
# Runs unit test binaries: each prints its own "ok"/"not ok" lines; one that crashes, aborts or
# exits non-zero without having said "not ok" counts as failed, with its name and status, so
# a crash mid-binary (which drops the tests after it) can never end green.
# Usage: tests/unit-runner.sh BINARY...
set -uo pipefail

status=0
for t in "$@"; do
	name=$(basename "$t")
	out=$("$t" 2>&1)
	rc=$?
	printf '%s\n' "$out" | grep -E '^(ok|not ok|skip) '
	if [ $rc -ne 0 ] && ! printf '%s\n' "$out" | grep -q '^not ok '; then
		printf '%s\n' "$out" | grep -vE '^(ok|not ok|skip) ' | tail -20 >&2
		if [ $rc -gt 128 ]; then
			echo "not ok - unit $name: killed by signal $((rc - 128)) (crashed or aborted)"
		else
			echo "not ok - unit $name: exited $rc"
		fi
	fi
	[ $rc -eq 0 ] || status=1
done
exit $status
