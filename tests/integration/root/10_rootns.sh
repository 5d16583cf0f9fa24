# rootlet-netns as root: the netns is an nsfs bind mount, as `ip netns add` makes, no holder;
# rootlet-network as root.

test_root_add_is_a_bind_mounted_nsfs_file() {
	ok "$NETNS" add web
	assert_eq "$(stat -f -c %T "$ROOTLET_STATE_DIR/web/net")" nsfs "filesystem of net"
	ok "$NETNS" list --json
	assert_eq "$(echo "$OUT" | jq -r '.[0].state')" live
	assert_eq "$(echo "$OUT" | jq -r '.[0].holder_pid')" 0 "no holder"
	ok "$NETNS" exec web -- ip addr add 10.77.2.1/32 dev lo
	ok "$NETNS" exec web -- ip -o addr show dev lo
	assert_match "$OUT" "10\.77\.2\.1/32"
	ok nsenter --net="$ROOTLET_STATE_DIR/web/net" ip -o addr show dev lo
	assert_match "$OUT" "10\.77\.2\.1/32" "reached with nsenter"
	refused 1 "$NETNS" path web --user
	assert_match "$ERR" "no user namespace"
	ok "$NETNS" del web
	[ ! -e "$ROOTLET_STATE_DIR/web" ] || fail "entry left behind"
	grep -q " $ROOTLET_STATE_DIR/web/net " /proc/self/mountinfo && fail "nsfs still mounted"
	return 0
}

# As root a netns has no holder to end with its owner: the owners' record is what gc goes by.
# rootlet run's command and teardown killed, gc removes the netns, its slirp and its mount.
test_root_run_whose_command_and_teardown_are_killed_goes_at_gc() {
	"$BUILD/rootlet" run --name rk -- sleep 100 &
	pid=$!
	echo "$pid" >>"$TEST_WORK/bg.pids"
	wait_until 10 "[ -e '$ROOTLET_STATE_DIR/rk/slirp.pid' ] && grep -qx sleep /proc/$pid/comm"
	teardown=$(pgrep -f -- "^rootlet teardown $pid ")
	[ -n "$teardown" ] || fail "no teardown waits for $pid"
	slirp=$(cut -d' ' -f1 "$ROOTLET_STATE_DIR/rk/slirp.pid")
	ok "$NETNS" gc
	assert_eq "$OUT" "" "what gc removed while both run"
	kill -9 "$teardown" "$pid"
	wait "$pid"
	assert_eq "$(netns_state rk)" live "a root netns outlives its owners until gc"
	ok "$NETNS" gc
	assert_eq "$OUT" "removed rk"
	grep -q " $ROOTLET_STATE_DIR/rk/net " /proc/self/mountinfo && fail "nsfs still mounted"
	wait_until 5 "[ ! -e /proc/$slirp ] || grep -q '^State:.*Z' /proc/$slirp/status"
}

test_root_oci_sets_the_network_namespace_only() {
	ok "$NETNS" add web
	echo '{"linux": {"namespaces": [{"type": "user"}, {"type": "network"}]}}' >config.json
	ok "$NETNS" oci web config.json
	assert_eq "$(echo "$OUT" | jq -c '.linux.namespaces')" \
		"[{\"type\":\"user\"},{\"type\":\"network\",\"path\":\"$ROOTLET_STATE_DIR/web/net\"}]"
}

test_root_racing_adds_one_wins() {
	for i in $(seq 20); do
		("$NETNS" add same 2>/dev/null; echo $? >"$TEST_WORK/rc.$i") &
	done
	wait
	assert_eq "$(cat "$TEST_WORK"/rc.* | grep -c '^0$')" 1 "successful adds"
	assert_eq "$(ls -A "$ROOTLET_STATE_DIR")" same "state root content"
	assert_eq "$(grep -c " $ROOTLET_STATE_DIR/" /proc/self/mountinfo)" 1 "nsfs mounts left"
}

# Root's own netns under the bypass: the kernel lets root lock a socket filter (CAP_NET_ADMIN,
# which its supervisor keeps for that alone), so TCP twins are made without host loopback and
# each is guarded: a twin dup2()ed under a continued connect() never completes a handshake
# with the host's loopback, and a published port's clients still arrive natively.
test_root_bypass_guards_its_tcp_twins_without_host_loopback() {
	secret=$(free_port)
	serve peer $NET serve-peer 127.0.0.1 "$secret" --say SECRET
	hp=$(free_port)
	ok "$NETNS" add bp --slirp --bypass --publish "127.0.0.1:$hp:8081"
	assert_match "$(cat "$ROOTLET_STATE_DIR/bp/bypass.log")" "serving TCP twins, each with a locked socket filter" \
		"what the supervisor serves"
	[ ! -e "$ROOTLET_STATE_DIR/bp/portfwd.pid" ] || fail "rootlet-portfwd serves the TCP rule"
	ok "$NETNS" exec bp --bypass -- "$BUILD/tools/swaprace" 8081 "$secret" 20000
	[ "$OUT" != "twin=host landed=0 reached=0" ] || skip "the race was not won in 20000 tries: nothing shown"
	assert_eq "$OUT" "twin=host landed=1 reached=0" "the twin the kernel connected"
	port=$(free_port)
	ok "$NETNS" add pub --slirp --bypass --publish "127.0.0.1:$port:8080"
	bg srv "$NETNS" exec pub --bypass -- $NET serve-peer 0.0.0.0 8080 --with-port
	wait_until 10 "ss -Hltn 'src 127.0.0.1 and sport = :$port' | grep -q ."
	ok $NET whoami 127.0.0.1 "$port" --bind 127.0.0.9
	assert_match "$OUT" "^127\.0\.0\.9:[0-9]+$" "the peer the published service saw"
}

test_install_puts_binaries_holder_and_man_page_where_they_work() {
	ok make -s -C "$TOP" install DESTDIR="$TEST_WORK/dest" PREFIX=/usr
	dest=$TEST_WORK/dest/usr
	for f in bin/rootlet bin/rootlet-netns bin/rootlet-uidmap bin/rootlet-slirp bin/rootlet-portfwd \
		bin/rootlet-network bin/rootlet-bypass libexec/rootlet/rootlet-netns-holder \
		libexec/rootlet/rootlessport libexec/rootlet/rootlet-dns share/man/man1/rootlet-dns.1 \
		share/man/man1/rootlet-bypass.1 \
		share/man/man1/rootlet.1 share/man/man1/rootlet-netns.1 share/man/man1/rootlet-uidmap.1 \
		share/man/man1/rootlet-slirp.1 share/man/man1/rootlet-portfwd.1 \
		share/man/man1/rootlet-network.1; do
		[ -e "$dest/$f" ] || [ -L "$dest/$f" ] || fail "make install did not install $f"
	done
	# The installed rootlet-netns finds its installed holder, used by an unprivileged user.
	chmod -R a+rX "$TEST_WORK"
	user=${ROOTLET_TEST_USER:-rootlet-test}
	uid=$(id -u "$user")
	ok runuser -u "$user" -- env XDG_RUNTIME_DIR=/run/user/$uid \
		ROOTLET_STATE_DIR=/run/user/$uid/rootlet-install-$$ sh -c \
		"'$dest/bin/rootlet-netns' add inst --slirp --bypass &&
		 '$dest/bin/rootlet-netns' exec inst --bypass -- id -u &&
		 '$dest/bin/rootlet-netns' del inst"
	assert_eq "$OUT" 0 "uid inside a netns made by the installed binaries, under the bypass"
	# The installed rootlet-network finds the installed rootlet-dns (libexec) for its infra.
	ok runuser -u "$user" -- env XDG_RUNTIME_DIR=/run/user/$uid \
		ROOTLET_STATE_DIR=/run/user/$uid/rootlet-install-$$ sh -c \
		"'$dest/bin/rootlet-network' create inst >/dev/null &&
		 '$dest/bin/rootlet-network' alloc inst c1 >/dev/null &&
		 cat /run/user/$uid/rootlet-install-$$/~infra/inst/dns.pid >/dev/null &&
		 '$dest/bin/rootlet-network' rm inst --force"
	rm -rf "/run/user/$uid/rootlet-install-$$"
}

# rootlet-network as root: its infra is a user namespace of its own (root mapped to root), as
# for any user, so that a veth can join it to the containers' netns; alloc and rm work.
test_root_network_alloc_attaches_and_rm_leaves_nothing() {
	ok "$NETWORK" create rn --subnet 10.77.12.0/24
	ok "$NETWORK" alloc rn c1
	assert_eq "$(echo "$OUT" | jq -r '.ips[0].address')" 10.77.12.2/24 "c1's address"
	ok "$NETNS" exec c1 -- ip -o -4 addr show dev eth0
	assert_match "$OUT" "inet 10\.77\.12\.2/24" "eth0 in c1"
	ok "$NETWORK" rm rn --force
	ok "$NETNS" list --json
	assert_eq "$OUT" "[]" "netns left after rm"
}
