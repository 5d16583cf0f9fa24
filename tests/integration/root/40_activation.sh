# A port below 1024 for an unprivileged user's netns, as a system socket unit gives it: root
# binds the socket and drops to the test user, whose rootlet-portfwd only forwards it.

# A TCP port below 1024 free on 127.0.0.1 a moment ago.
free_low_port() {
	python3 -c 'import socket
for p in range(1023, 900, -1):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    print(p)
    break'
}

test_root_bound_low_port_reaches_a_test_users_netns_through_publish_fd() {
	owner_scene lowport
	port=$(free_low_port)
	start=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)
	[ "$port" -lt "$start" ] || skip "ports from $start up are unprivileged here: nothing to show"
	run owner $NET hold-port 127.0.0.1 "$port"
	assert_match "$ERR" "Permission denied" "the test user binding port $port itself"
	ok $NET listen-fd 127.0.0.1 "$port" -- runuser -u "$OWNER" -- env -i \
		PATH=/usr/bin:/bin XDG_RUNTIME_DIR="/run/user/$(id -u "$OWNER")" \
		ROOTLET_STATE_DIR="$OWNER_STATE" "$NETNS" add web --slirp --publish-fd 3:8080
	install -d -o "$OWNER" -m 0700 "$TEST_WORK/o"
	bg echo owner "$NETNS" exec web -- $NET serve-echo tcp 0.0.0.0 8080 --ready "$TEST_WORK/o/echo.ready"
	wait_until 10 "[ -e '$TEST_WORK/o/echo.ready' ]"
	ok $NET echo-client tcp 127.0.0.1 "$port" below-1024
	assert_eq "$OUT" below-1024
	pid=$(cut -d' ' -f1 "$OWNER_STATE/web/portfwd.pid")
	assert_eq "$(stat -c %U "/proc/$pid")" "$OWNER" "owner of the rootlet-portfwd"
	assert_eq "$(awk '/^CapEff/ {print $2}' "/proc/$pid/status")" 0000000000000000 "its capabilities"
}

# contrib/systemd's system pair, as systemd would run it: the socket bound by root (here by
# systemd-socket-activate, on loopback and a free port below 1024 rather than every address's
# 80), the service's own ExecStart run as the user with the socket named "web".
test_root_contrib_publish_pair_runs_as_the_user() {
	command -v systemd-socket-activate >/dev/null || skip "systemd-socket-activate (systemd) is not installed"
	owner_scene pair
	ok make -s -C "$TOP" install PREFIX="$TEST_WORK/usr"
	service=$TEST_WORK/usr/lib/systemd/system/rootlet-publish@.service
	uid=$(id -u "$OWNER")
	cmd=$(sed -n 's/^ExecStart=//p' "$service")
	assert_match "$(grep '^User=' "$service")" "^User=%i$"
	port=$(free_low_port)
	ok owner "$NETNS" add web --slirp
	install -d -o "$OWNER" -m 0700 "$TEST_WORK/o"
	bg echo owner "$NETNS" exec web -- $NET serve-echo tcp 0.0.0.0 8080 --ready "$TEST_WORK/o/echo.ready"
	wait_until 10 "[ -e '$TEST_WORK/o/echo.ready' ]"
	bg pair env XDG_RUNTIME_DIR="/run/user/$uid" ROOTLET_STATE_DIR="$OWNER_STATE" \
		systemd-socket-activate -l "127.0.0.1:$port" --fdname=web -E XDG_RUNTIME_DIR \
		-E ROOTLET_STATE_DIR setpriv --reuid="$uid" --regid="$(id -g "$OWNER")" --clear-groups \
		-- $cmd
	wait_until 10 "ss -Hltn 'sport = :$port' | grep -q ."
	ok $NET echo-client tcp 127.0.0.1 "$port" through-the-unit --timeout 10
	assert_eq "$OUT" through-the-unit
	pid=$(cut -d' ' -f1 "$OWNER_STATE/web/portfwd.pid")
	assert_eq "$(stat -c %U "/proc/$pid")" "$OWNER" "owner of the unit's rootlet-portfwd"
}

# Where XDG_RUNTIME_DIR is unset and /run/user/UID is missing or not the user's (here in a
# mount namespace of the test's own, over a tmpfs), the user is told what to set.
test_root_a_user_without_a_runtime_dir_is_told_what_to_set() {
	uid=$(id -u "$OWNER")
	chmod 0755 "$TEST_WORK"
	as_owner_without_xdg() {
		unshare -m sh -c "mount -t tmpfs -o mode=0755 tmpfs /run/user && $1 &&
			runuser -u '$OWNER' -- env -i PATH=/usr/bin:/bin '$NETNS' list"
	}
	run as_owner_without_xdg true
	assert_eq "$RC" 1
	assert_eq "$ERR" "rootlet-netns: list: XDG_RUNTIME_DIR is not set and /run/user/$uid does not exist; set XDG_RUNTIME_DIR to a directory of yours (mode 0700), or ROOTLET_STATE_DIR"
	run as_owner_without_xdg "mkdir -m 0700 /run/user/$uid"
	assert_eq "$RC" 1
	assert_eq "$ERR" "rootlet-netns: list: XDG_RUNTIME_DIR is not set and /run/user/$uid is not yours; set XDG_RUNTIME_DIR to a directory of yours (mode 0700), or ROOTLET_STATE_DIR"
	run as_owner_without_xdg "ln -s /tmp /run/user/$uid"
	assert_match "$ERR" "/run/user/$uid is not a directory; set XDG_RUNTIME_DIR"
	run as_owner_without_xdg "install -d -o $OWNER -m 0700 /run/user/$uid"
	assert_eq "$RC" 0 "with /run/user/$uid the user's own: $ERR"
}
