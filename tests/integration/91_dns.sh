# rootlet-dns and its upstream resolver: what it asks, and which answers it believes.
# Each test runs rootlet-dns in a netns of its own with a resolver of the test's (dnsup.py) as
# the upstream on 127.0.0.53, and asks rootlet-dns on 10.77.5.1 from inside that netns.

DNSUP="python3 $TOP/tests/integration/tools/dnsup.py"
DNS_LISTEN=10.77.5.1
DNS_UPSTREAM=127.0.0.53
DNS_FORGER=127.0.0.54 # the forged answers' other source address

# in_d CMD...: CMD in the test's netns d.
in_d() {
	"$NETNS" exec d -- "$@"
}

# dns_start [UPSTREAM]: netns d, the upstream (its log in up.log), rootlet-dns answering and
# forwarding to UPSTREAM (default: that upstream's address); its pid in DNS_PID.
dns_start() {
	ok "$NETNS" add d
	ok in_d sh -c "ip link set lo up && ip addr add $DNS_LISTEN/32 dev lo"
	serve up in_d $DNSUP upstream $DNS_UPSTREAM --alt-addr $DNS_FORGER --log "$TEST_WORK/up.log"
	printf '10.77.5.9 box\n' >"$ROOTLET_STATE_DIR/d/hosts"
	bg dns "$BUILD/rootlet-dns" --netns d --listen $DNS_LISTEN --upstream "${1:-$DNS_UPSTREAM}"
	DNS_PID=$BG_PID
	wait_until 10 "'$NETNS' exec d -- $DNSUP ask box $DNS_LISTEN --linger 0 | grep -q 10.77.5.9"
	: >"$TEST_WORK/up.log"
}

# dns_ask NAME: rootlet-dns's first answer to NAME ("NOERROR 192.0.2.100") in OUT, then how
# many more datagrams came ("extra 0").
dns_ask() {
	ok in_d $DNSUP ask "$1" $DNS_LISTEN
}

dns_fds() {
	fd_count "$DNS_PID"
}

# rootlet-dns joined the netns's userns, where its processes are root as the same uid: not
# dumpable, it is out of their reach (pidfd_getfd() of its sockets, PTRACE_SEIZE).
test_dns_a_process_of_its_netns_cannot_take_its_fds_or_ptrace_it() {
	dns_start
	ok in_d "$BUILD/tools/reachin" "$DNS_PID"
	assert_eq "$OUT" "$DNS_PID getfd=EPERM ptrace=EPERM" "reaching into rootlet-dns"
}

test_dns_upstream_queries_have_random_ids_and_source_ports() {
	dns_start
	ok in_d $DNSUP sequential 1000 $DNS_LISTEN
	ok $DNSUP randomness "$TEST_WORK/up.log"
	# Random 16-bit IDs from 1000 draws: about 992 distinct, no step from one to the next
	# more than a handful of times; ports from the kernel's ephemeral range (28232 here).
	read -r _ queries _ ids _ ports _ step _ repeats <<<"$OUT"
	assert_eq "$queries" 1000 "queries upstream"
	[ "$repeats" -eq 0 ] || fail "an (ID, source port) pair followed itself $repeats times: $OUT"
	[ "$step" -le 10 ] || fail "IDs follow each other by one step $step times of 999: $OUT"
	[ "$ids" -ge 900 ] || fail "only $ids distinct IDs: $OUT"
	[ "$ports" -ge 900 ] || fail "only $ports distinct source ports: $OUT"
}

test_dns_upstream_answers_with_a_wrong_id_question_or_source_never_reach_the_client() {
	local case n=0 leaked=
	dns_start
	for case in wrongid wrongname wrongtype wrongclass wrongport wrongaddr noquestion \
		notananswer; do
		n=$((n + 1))
		# The upstream sends the forged answer (192.0.2.$n) first, then the right one.
		dns_ask $case.spoof.example
		[ "$OUT" = "NOERROR 192.0.2.100"$'\n'"extra 0" ] || leaked+=" $case (${OUT//$'\n'/, })"
	done
	[ -z "$leaked" ] || fail "forged answers reached the client:$leaked"
	assert_eq "$(grep -c spoof "$TEST_WORK/up.log")" $n "queries upstream"
	dns_ask plain.example
	assert_eq "$OUT" "NOERROR 192.0.2.100"$'\n'"extra 0" "an honest answer"
}

# dns_limits: DNS_PENDING_MAX and DNS_PENDING_PER_SOURCE in LIMIT and PER_SOURCE, as dns.h
# says and as the man page says.
dns_limits() {
	LIMIT=$(awk '$2 == "DNS_PENDING_MAX" { print $3 }' "$TOP/dns/dns.h")
	[ -n "$LIMIT" ] || fail "no DNS_PENDING_MAX in dns/dns.h"
	grep -q 'define DNS_PENDING_PER_SOURCE (DNS_PENDING_MAX / 4)' "$TOP/dns/dns.h" ||
		fail "DNS_PENDING_PER_SOURCE is not a quarter of DNS_PENDING_MAX in dns/dns.h"
	PER_SOURCE=$((LIMIT / 4))
	assert_match "$(MANWIDTH=200 man -l "$TOP/man/rootlet-dns.1")" "at most $LIMIT queries" \
		"the man page's limit"
	assert_match "$(MANWIDTH=200 man -l "$TOP/man/rootlet-dns.1")" "at most $PER_SOURCE queries" \
		"the man page's limit per source"
}

# dns_sources N: N more addresses on netns d's lo, 10.77.5.11 on: clients of their own.
dns_sources() {
	local i
	for i in $(seq 11 $((10 + $1))); do
		ok in_d ip addr add "10.77.5.$i/32" dev lo
	done
}

test_dns_upstream_queries_past_the_limit_get_servfail_and_the_helper_keeps_serving() {
	local base i
	dns_limits
	dns_start
	dns_sources 5
	base=$(dns_fds)
	# hold* is never answered: four sources fill every slot, $PER_SOURCE each ...
	for i in 11 12 13 14; do
		: >"$TEST_WORK/up.log"
		ok in_d $DNSUP burst $PER_SOURCE $DNS_LISTEN --log "$TEST_WORK/up.log" --source 10.77.5.$i
		assert_eq "$OUT" "" "answers to source $i's burst (none: all wait upstream)"
		assert_eq "$(wc -l <"$TEST_WORK/up.log")" $PER_SOURCE "source $i's queries upstream"
	done
	# ... and a fifth's 20 find none free.
	: >"$TEST_WORK/up.log"
	ok in_d $DNSUP burst 20 $DNS_LISTEN --log "$TEST_WORK/up.log" --source 10.77.5.15
	assert_eq "$OUT" "SERVFAIL 20 first 0" "answers to the fifth source's burst"
	assert_eq "$(wc -l <"$TEST_WORK/up.log")" 0 "its queries upstream"
	[ "$(dns_fds)" -le $((base + LIMIT)) ] || fail "$(dns_fds) fds held, $base + $LIMIT at most"
	dns_ask more.example
	assert_eq "$OUT" "SERVFAIL"$'\n'"extra 0" "a forwarded name while $LIMIT wait"
	dns_ask box
	assert_eq "$OUT" "NOERROR 10.77.5.9"$'\n'"extra 0" "a container's name meanwhile"
	# Each waits its lifetime, then its socket is closed and the helper forwards again.
	wait_until 20 "'$NETNS' exec d -- $DNSUP ask later.example $DNS_LISTEN --linger 0 | grep -q '^NOERROR 192.0.2.100'"
	wait_until 5 "[ \$(fd_count $DNS_PID) -eq $base ]"
	kill -0 "$DNS_PID" || fail "rootlet-dns is gone"
}

# Issue 24 (DNS fairness): one container flooding rootlet-dns with queries the upstream never
# answers holds at most its share of the slots; another's outside names still go upstream.
test_dns_one_source_flooding_leaves_the_others_their_upstream_queries() {
	dns_limits
	dns_start
	dns_sources 2
	ok in_d $DNSUP burst 400 $DNS_LISTEN --log "$TEST_WORK/up.log" --source 10.77.5.11
	flood=$OUT
	ok in_d $DNSUP ask outside.example $DNS_LISTEN --source 10.77.5.12
	assert_eq "$OUT" "NOERROR 192.0.2.100"$'\n'"extra 0" "another source's outside name"
	assert_eq "$flood" "SERVFAIL $((400 - PER_SOURCE)) first $PER_SOURCE" \
		"answers to the flooding source"
	assert_eq "$(grep -c hold "$TEST_WORK/up.log")" $PER_SOURCE "the flood's queries upstream"
	assert_eq "$(grep -c outside.example "$TEST_WORK/up.log")" 1 "the other's query upstream"
}

test_dns_upstream_port_closed_gives_servfail_at_once() {
	local base
	dns_start 127.0.0.55 # nothing listens there: ICMP port unreachable on the query's socket
	base=$(dns_fds)
	dns_ask nobody.example
	assert_eq "$OUT" "SERVFAIL"$'\n'"extra 0" "the answer"
	assert_eq "$(dns_fds)" "$base" "fds after"
}

# A container of the network swept the ephemeral ports with ICMP port-unreachables quoting
# rootlet-dns's queries to the resolver, under its own address, and turned the other
# containers' pending queries into SERVFAIL (an outside attack): the kernel hands a connected
# socket any such error. Only the resolver's own is believed; the query waits for its answer.
test_dns_an_icmp_error_from_anyone_but_the_resolver_leaves_the_query_waiting() {
	local port
	dns_start
	bg asker in_d $DNSUP ask late.example $DNS_LISTEN --timeout 8
	wait_until 5 "grep -q ' late.example\$' '$TEST_WORK/up.log'"
	port=$(awk '$3 == "late.example" { print $2 }' "$TEST_WORK/up.log")
	# from the listening address, as a container's own; quoting each source the socket may have
	ok in_d $DNSUP icmp-unreach $DNS_UPSTREAM 53 "$port" 127.0.0.1 $DNS_LISTEN --from $DNS_LISTEN
	wait_until 10 "grep -q '^extra' '$TEST_WORK/asker.out'"
	assert_eq "$(cat "$TEST_WORK/asker.out")" "NOERROR 192.0.2.100"$'\n'"extra 0" "the answer"
}
