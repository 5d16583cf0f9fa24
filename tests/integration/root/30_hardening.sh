# The installed binaries are hardened, as read from their ELF (not from the flags we pass):
# PIE, full RELRO (GNU_RELRO and BIND_NOW), a stack protector in every compile unit of ours
# (DWARF producer), and fortified libc calls (checksec's test: a __*_chk symbol, exact for a
# dynamically linked binary, a floor for those that link libraries statically).

test_installed_binaries_are_pie_full_relro_stack_protected_and_fortified() {
	command -v readelf >/dev/null || skip "readelf (binutils) is not installed"
	ok make -s -C "$TOP" install DESTDIR="$TEST_WORK/dest" PREFIX=/usr
	dest=$TEST_WORK/dest/usr
	for f in bin/rootlet bin/rootlet-netns bin/rootlet-uidmap bin/rootlet-slirp bin/rootlet-portfwd \
		bin/rootlet-network bin/rootlet-bypass libexec/rootlet/rootlet-netns-holder \
		libexec/rootlet/rootlet-dns; do
		elf=$dest/$f
		assert_match "$(readelf -hW "$elf")" "Type: +DYN \(Position-Independent Executable" "$f: PIE"
		readelf -lW "$elf" | grep -q GNU_RELRO || fail "$f: no GNU_RELRO"
		readelf -dW "$elf" | grep -Eq '\(FLAGS\).*BIND_NOW|\(FLAGS_1\).*NOW' ||
			fail "$f: no BIND_NOW (partial RELRO)"
		producers=$(readelf --debug-dump=info "$elf" 2>/dev/null | grep 'DW_AT_producer' |
			grep 'GNU C')
		[ -n "$producers" ] || fail "$f: no DWARF producer to read"
		echo "$producers" | grep -v -- '-fstack-protector-strong' | grep -q . &&
			fail "$f: a compile unit without -fstack-protector-strong"
		readelf -sW "$elf" | grep -Eq ' __[a-z0-9_]+_chk(@|$)' || fail "$f: no fortified call"
	done
	return 0
}

# `make` alone builds every binary (it once built only lib/'s archive, the first rule).
test_plain_make_builds_every_binary() {
	local plan
	plan=$(make -n -C "$TOP" B="$TEST_WORK/b" 2>&1) || fail "make -n: $plan"
	for f in rootlet rootlet-netns rootlet-netns-holder rootlet-uidmap rootlet-slirp \
		rootlet-portfwd rootlet-network rootlet-bypass rootlet-dns; do
		assert_match "$plan" "-o $TEST_WORK/b/$f( |$)" "make builds $f"
	done
}
