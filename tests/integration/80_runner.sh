# The test runner itself: a unit binary that crashes or exits non-zero turns the run red.

test_a_crashing_or_failing_unit_binary_is_a_failure_with_its_name() {
	printf '#!/bin/sh\necho "ok - unit crashy: first"\nkill -ABRT $$\n' >crashy
	printf '#!/bin/sh\necho "ok - unit quitter: first"\nexit 3\n' >quitter
	printf '#!/bin/sh\necho "ok - unit fine: first"\n' >fine
	chmod +x crashy quitter fine
	run "$TOP/tests/unit-runner.sh" ./fine ./crashy ./quitter
	[ "$RC" -ne 0 ] || fail "the runner exited 0 after a crash"
	assert_match "$OUT" $'ok - unit fine: first\nok - unit crashy: first\nnot ok - unit crashy: killed by signal 6 \\(crashed or aborted\\)' "crash"
	assert_match "$OUT" $'not ok - unit quitter: exited 3' "non-zero exit"
	run "$TOP/tests/unit-runner.sh" ./fine
	[ "$RC" -eq 0 ] || fail "the runner failed a binary that passed"
	assert_eq "$OUT" "ok - unit fine: first"
}
