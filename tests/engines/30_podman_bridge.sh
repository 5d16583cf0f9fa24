# podman bridge networks (netavark): the rootless netns runs on rootlet-slirp, -p goes through
# rootlessport into it, and network connect/disconnect keeps the port working (podman reloads
# rootlessport through <tmp_dir>/rp/<container id>). And --network ns:PATH with a rootlet netns.

# Without aardvark-dns: netavark 1.4 here sometimes loses its pid on teardown ("aardvark pid
# not found"), with either helper; name resolution is not what these scenarios test.
bridge() {
	echo "$1" >>"$TEST_WORK/networks"
	ok podman network create --disable-dns "$1"
}

test_bridge_network_runs_on_the_helper_and_publishes() {
	bridge rltb1
	p=$(free_port)
	prun br1 --network rltb1 -p "127.0.0.1:$p:80" "$ENG_IMAGE" $(echo_server tcp 80)
	reaches tcp 127.0.0.1 "$p"
	# podman's rootless netns (for every bridge network) is served by the configured helper.
	pgrep -u "$(id -u)" -f -- "^$ENG_SLIRP .*rootless-netns" >/dev/null ||
		fail "no $ENG_SLIRP serves podman's rootless netns"
}

test_network_connect_and_disconnect_keep_the_published_port() {
	bridge rltb2
	bridge rltb3
	# podman 4.3 tears the rootless netns down on a disconnect when the container it acts on
	# is the only one attached (its Cleanup counts the caller), whichever forwarder runs: a
	# second container keeps it, as on any host with more than one container.
	prun keeper --network rltb2 "$ENG_IMAGE" sleep 600
	p=$(free_port)
	prun br2 --network rltb2 -p "127.0.0.1:$p:80" "$ENG_IMAGE" $(echo_server tcp 80)
	reaches tcp 127.0.0.1 "$p"
	ok podman network connect rltb3 br2
	assert_no_match "$ERR" "could not reload" "podman network connect"
	reaches tcp 127.0.0.1 "$p"
	ok podman network disconnect rltb3 br2
	assert_no_match "$ERR" "could not reload" "podman network disconnect"
	reaches tcp 127.0.0.1 "$p"
}

# DESIGN.md: a netns for podman must be owned by podman's own userns (its pause process's).
test_network_ns_path_with_a_rootlet_netns_in_podmans_userns() {
	ok podman unshare true
	pause=$(cat "$ENG_DIR/tmp/pause.pid")
	ok "$NETNS" add podnet --userns "/proc/$pause/ns/user" --slirp
	ok "$NETNS" path podnet
	path=$OUT
	ok podman run --rm --network "ns:$path" "$ENG_IMAGE" ip -o -4 addr show tap0
	assert_match "$OUT" "10\.0\.2\.100/24" "the container is in the rootlet netns"
	ok "$NETNS" del podnet
}
