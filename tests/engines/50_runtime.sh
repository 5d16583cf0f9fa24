# rootlet-runtime: runc's command line, the real runtime (crun or runc) run in its place. With
# nothing asked of it, podman cannot tell it from the runtime it wraps; on create it puts a
# container whose netns is a rootlet netns under that netns's rootlet-bypass when asked.

RT=$BUILD/rootlet-runtime

# A runtime that tells what it was given: argv, pid, fds, ignored signals, stdin; exits 42.
fake_runtime() {
	cat >"$TEST_WORK/fake" <<-'EOF2'
		#!/bin/sh
		echo "argv=$*"
		echo "pid=$$"
		echo "fds=$(ls /proc/$$/fd | sort -n | tr '\n' ' ')"
		echo "sigign=$(awk '$1 == "SigIgn:" { print $2 }' /proc/$$/status)"
		echo "env=$FAKE_ENV"
		echo "stdin=$(cat)"
		echo "to-stderr" >&2
		exit 42
	EOF2
	chmod +x "$TEST_WORK/fake"
}

# rtp RUNTIME PODMAN-ARGS...: podman with rootlet-runtime over RUNTIME (crun or runc).
rtp() {
	local under=$1
	shift
	run podman --runtime "$RT" --runtime-flag "runtime=$under" "$@"
}

test_version_names_the_runtime_it_wraps() {
	ok "$RT" --version
	assert_match "$OUT" "^rootlet-runtime [0-9.]+"$'\n'"runtime: /usr/bin/crun \(chosen by PATH\)"$'\n'"crun version 1\." \
		"crun first on PATH, and its own --version"
	ok "$RT" --runtime runc --version
	assert_match "$OUT" "runtime: $(command -v runc) \(chosen by --runtime\)"$'\n'"runc version 1\." "--runtime NAME"
	ok env ROOTLET_RUNTIME=/usr/sbin/runc "$RT" --version
	assert_match "$OUT" "runtime: /usr/sbin/runc \(chosen by \\\$ROOTLET_RUNTIME\)" "the variable"
	ok env ROOTLET_RUNTIME=/usr/sbin/runc "$RT" --runtime /usr/bin/crun --version
	assert_match "$OUT" "runtime: /usr/bin/crun \(chosen by --runtime\)" "the option beats the variable"
}

test_path_order_crun_then_runc_never_itself() {
	mkdir -p onlyrunc self
	ln -s /usr/sbin/runc onlyrunc/runc
	ok env PATH="$TEST_WORK/onlyrunc" "$RT" --version
	assert_match "$OUT" "runtime: $TEST_WORK/onlyrunc/runc \(chosen by PATH\)" "no crun: runc"
	# Installed as crun and runc in front of the real ones, it runs the real ones.
	ln -s "$RT" self/crun
	ln -s "$RT" self/runc
	ok env PATH="$TEST_WORK/self:$TEST_WORK/onlyrunc:/usr/bin" "$TEST_WORK/self/runc" --version
	assert_match "$OUT" "runtime: /usr/bin/crun \(chosen by PATH\)" "crun anywhere on PATH before runc"
	refused 1 env PATH="$TEST_WORK/self" "$RT" list
	assert_match "$ERR" "no crun or runc on PATH" "none but itself"
	refused 1 env ROOTLET_RUNTIME="$TEST_WORK/self/crun" "$RT" list
	assert_match "$ERR" "itself" "the variable naming the wrapper"
}

test_bad_options_exit_2_in_one_line() {
	refused 2 "$RT" --bypass-foo list
	assert_match "$ERR" "^rootlet-runtime: unknown or incomplete option '--bypass-foo'" "unknown"
	refused 2 "$RT" --runtime
	refused 2 "$RT" --bypass-publish 80:99999 list
	assert_match "$ERR" "publish spec '80:99999'" "a bad spec"
	refused 2 "$RT" --bypass=1 list
	refused 1 "$RT" --runtime /nonexistent list
	assert_match "$ERR" "/nonexistent" "a runtime that is not there"
	check_man_page rootlet-runtime
}

test_everything_else_reaches_the_runtime_unchanged() {
	fake_runtime
	# Our options go; the runtime's, known or not, stay in order, with their values.
	run bash -c 'echo "pid=$$" >&2; trap "" USR2; exec 7</dev/null 9>/dev/null;
		FAKE_ENV=kept exec "$0" --bypass-host-loopback --root /r --log-format json \
		--runtime "$1" --weird -x create --bundle /nonexistent --preserve-fds 2 id <<<in' \
		"$RT" "$TEST_WORK/fake"
	assert_eq "$RC" 42 "the runtime's exit status"
	assert_match "$OUT" "argv=--root /r --log-format json --weird -x create --bundle /nonexistent --preserve-fds 2 id" "argv"
	[[ $ERR =~ pid=([0-9]+) ]] && assert_match "$OUT" "pid=${BASH_REMATCH[1]}"$'\n' "the same process"
	assert_match "$OUT" "fds=0 1 2 .*7 9 " "inherited fds kept open"
	assert_match "$OUT" "env=kept"$'\n'"stdin=in" "environment and stdin"
	assert_match "$ERR" "to-stderr" "stderr"
	sigign=$(echo "$OUT" | sed -n 's/^sigign=//p')
	(((0x$sigign >> 11) & 1)) || fail "SIGUSR2 no longer ignored in the runtime: $sigign"
	# Our own words only before the verb: after it, they are the runtime's.
	run "$RT" --runtime "$TEST_WORK/fake" exec --bypass id sh </dev/null
	assert_eq "$RC" 42 "exit status"
	assert_match "$OUT" "argv=exec --bypass id sh" "an option after the verb"
}

test_podman_run_exec_kill_stop_rm_through_crun_and_runc() {
	for under in crun runc; do
		echo "$under" >>"$TEST_WORK/containers"
		rtp "$under" run -d --name "$under" "$ENG_IMAGE" sh -c \
			'trap "echo got-usr1" USR1; while :; do sleep 0.1; done'
		[ "$RC" -eq 0 ] || fail "$under: podman run -d exited $RC: $ERR"
		# The real runtime asked for kept its state where it keeps it (podman gives no --root).
		id=$(podman inspect --format '{{.ID}}' "$under")
		case $under in
		crun) state=$XDG_RUNTIME_DIR/crun/$id/status ;;
		runc) state=$XDG_RUNTIME_DIR/runc/$id/state.json ;;
		esac
		[ -e "$state" ] || fail "$under: no $state: not the runtime asked for"
		rtp "$under" exec "$under" sh -c 'echo exec-ok; exit 3'
		assert_eq "$RC" 3 "$under: podman exec's status"
		assert_eq "$OUT" exec-ok "$under: exec's output"
		rtp "$under" kill -s USR1 "$under"
		[ "$RC" -eq 0 ] || fail "$under: podman kill exited $RC: $ERR"
		wait_until 10 "podman logs $under | grep -q got-usr1"
		rtp "$under" stop -t 1 "$under"
		[ "$RC" -eq 0 ] || fail "$under: podman stop exited $RC: $ERR"
		rtp "$under" rm "$under"
		[ "$RC" -eq 0 ] || fail "$under: podman rm exited $RC: $ERR"
		[ ! -e "$state" ] || fail "$under: its state outlived rm"
	done
}

test_podman_exit_status_tty_and_preserved_fds_through_crun_and_runc() {
	echo secret-fd >fd.txt
	for under in crun runc; do
		rtp "$under" run --rm "$ENG_IMAGE" sh -c 'echo out; echo err >&2; exit 7'
		assert_eq "$RC" 7 "$under: the container's status"
		assert_eq "$OUT" out "$under: stdout"
		assert_match "$ERR" "err" "$under: stderr"
		rtp "$under" run --rm "$ENG_IMAGE" /nonexistent
		assert_eq "$RC" 127 "$under: a command the runtime cannot find"
		# -t: the runtime hands the terminal's master to conmon's --console-socket.
		rtp "$under" run --rm -t "$ENG_IMAGE" sh -c 'tty; test -t 0 && echo is-a-tty'
		[ "$RC" -eq 0 ] || fail "$under: run -t exited $RC: $ERR"
		assert_match "$OUT" "/dev/pts/[0-9]+" "$under: the console"
		assert_match "$OUT" "is-a-tty" "$under: stdin a terminal"
		# --preserve-fds: fd 3 of podman is fd 3 of the container.
		rtp "$under" run --rm --preserve-fds 1 "$ENG_IMAGE" sh -c 'cat <&3' 3<fd.txt
		[ "$RC" -eq 0 ] || fail "$under: --preserve-fds exited $RC: $ERR"
		assert_eq "$OUT" secret-fd "$under: the preserved fd"
	done
}
