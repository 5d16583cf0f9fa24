# Root sets the scene and drops to the test user, as a login would: a mount namespace of its own
# whose resolv.conf names a resolver the test runs on loopback (the machine's names one outside,
# never to be asked). rootlesskit and the helper run as the unprivileged user inside it.

# as_user CMD...: CMD as the test user, with the environment a login gives it.
as_user() {
	local user=${ROOTLET_TEST_USER:-rootlet-test}
	runuser -u "$user" -- env -i HOME="$(getent passwd "$user" | cut -d: -f6)" \
		PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin LANG=C.UTF-8 \
		XDG_RUNTIME_DIR="/run/user/$(id -u "$user")" "$@"
}

test_rootlesskit_dns_through_10_0_2_3_reaches_the_tests_resolver() {
	command -v rootlesskit >/dev/null || skip "rootlesskit is not installed"
	chmod 0777 "$TEST_WORK"
	cat >"$TEST_WORK/dns.sh" <<-EOS
		set -e
		echo 'nameserver 127.0.0.153' >$TEST_WORK/resolv.conf
		mount --bind $TEST_WORK/resolv.conf /etc/resolv.conf
		$NET serve-dns rk.example 192.0.2.9 2001:db8::9 127.0.0.153 --ready $TEST_WORK/dns.ready &
		while [ ! -e $TEST_WORK/dns.ready ]; do sleep 0.05; done
		$(declare -f as_user)
		for driver in builtin slirp4netns; do
			as_user rootlesskit --state-dir=$TEST_WORK/rk-\$driver --net=slirp4netns \
				--slirp4netns-binary=$ENG_SLIRP --port-driver=\$driver \
				--disable-host-loopback --copy-up=/etc \
				sh -c "echo \$driver \\\$($NET dns-query rk.example 10.0.2.3) \\\$($NET dns-query nowhere.example 10.0.2.3 2>&1 | head -1)
					echo outer-uid \\\$(awk 'NR == 1 { print \\\$2 }' /proc/self/uid_map)"
		done
		kill \$(jobs -p)
	EOS
	ok timeout 60 unshare --mount --propagation private bash "$TEST_WORK/dns.sh"
	assert_match "$OUT" "builtin 192\.0\.2\.9 dns-query: no answer" "through rootlesskit, builtin driver"
	assert_match "$OUT" "slirp4netns 192\.0\.2\.9 dns-query: no answer" "slirp4netns driver"
	# The namespace's root is the unprivileged test user outside: rootless, not root's.
	assert_match "$OUT" "outer-uid $(id -u "${ROOTLET_TEST_USER:-rootlet-test}")"$'\n' "rootlesskit's user"
	return 0
}
