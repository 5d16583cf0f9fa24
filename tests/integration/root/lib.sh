# What the root tests share (runner.sh sources it for them): root sets the scene for the test
# user (OWNER), whose state root of this test's own (OWNER_STATE) holds the netns it makes, and
# every try runs as that user.

OWNER=${ROOTLET_TEST_USER:-rootlet-test}

# owner CMD...: CMD run as the test user, in the scene's state root.
owner() {
	run_as "$OWNER" env ROOTLET_STATE_DIR="$OWNER_STATE" "$@"
}

# owner_scene NAME [TEARDOWN]: the test user's state root for this test
# (/run/user/UID/rootlet-NAME-<work>), the test's work directory open for that user to pass
# through, and TEARDOWN (teardown_owner by default) run however the test ends.
owner_scene() {
	OWNER_STATE=/run/user/$(id -u "$OWNER")/rootlet-$1-$(basename "$TEST_WORK")
	chmod 0755 "$TEST_WORK"
	trap "${2:-teardown_owner}" EXIT
}

# Every entry the test made deleted, whichever step failed; a del that could not run (a binary
# rebuilt under the test, say) leaves no holder either: its helpers end with it. Then the state
# root goes.
teardown_owner() {
	local name
	for name in $(owner "$NETNS" list --json 2>/dev/null | jq -r '.[].name'); do
		owner "$NETNS" del "$name" >/dev/null 2>&1
	done
	pkill -KILL -u "$OWNER" -f -- "rootlet-netns-holder $OWNER_STATE " 2>/dev/null
	rm -rf "$OWNER_STATE"
}
