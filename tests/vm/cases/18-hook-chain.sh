# SPDX-License-Identifier: GPL-2.0-only
# The chain of fmod_ret programs on update_socket_protocol (issue 21;
# bpf/mptcpify.bpf.c, "Ending the chain"; loader/hook_chain.c). A socket()
# the hook declines gets what the kernel itself would have given it, which
# ends the chain: the backstop copies only run when the primary was skipped,
# and the socket is the same. Not when another tool's program was attached
# before ours: that one must still see those sockets.
# boot: d (one of the groups CI boots side by side: tests/vm/meson.build)

# runs NAME: how often the kernel ran the programs named NAME (bpf_stats).
runs() {
	bpftool -j prog show name "$1" 2>/dev/null | tr ',{' '\n\n' |
		sed -n 's/^"run_cnt":\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }'
}
# misses NAME: runs the kernel skipped (another run of it held the CPU).
misses() {
	bpftool -j prog show name "$1" 2>/dev/null | tr ',{' '\n\n' |
		sed -n 's/^"recursion_misses":\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }'
}
chain_ends() {
	mptcpify --json status | tr ',{' '\n\n' | sed -n 's/^"ends_at_mptcpify":\([a-z]*\).*/\1/p'
}

# Requests of the matrix, one per line (sockprobe arguments), and what our
# hook returns for them once it declines them: the kernel's own choice, or
# 0 where that is not known (the chain goes on to the backstops).
MATRIX='-4 --proto 0|6
-4 --proto tcp|6
-4 --proto 0 --nonblock --cloexec|6
-4 --proto mptcp|262
-4 --type dgram --proto 0|17
-4 --type dgram --proto udp|17
-4 --type dgram --proto tcp|6
-4 --type raw --proto 0|0
-4 --type raw --proto 1|1
-4 --proto sctp|132
-6 --proto 0|6
-6 --proto tcp --nonblock|6
-6 --proto mptcp|262
-6 --type dgram --proto 0|17
-6 --type raw --proto 58|58
--unix --proto 0|1
--unix --type dgram --proto 0|1
--unix --type seqpacket --proto 0|1
--unix --type raw --proto 0|1'
PER=20   # sockets per request: enough that one stray run would show

# probe_matrix OUT: every request's sockets, as the kernel made them (or
# the error it gave: then after one call), into OUT.
probe_matrix() {
	echo "$MATRIX" | while IFS='|' read -r args ret; do
		echo "== $args | $ret"
		# shellcheck disable=SC2086
		/tmp/chainprobe $args --count $PER 2>&1
		echo "exit=$?"
	done >"$1"
}
# calls OUT [RET]: socket() calls in probe_matrix's OUT (of requests whose
# declined return is RET).
calls() {
	awk -v want="${2-any}" '/^== / { ret = $NF; next }
		/^(protocol|error)=/ && (want == "any" || ret == want) { n++ }
		END { print n + 0 }' "$1"
}

# The copies run newest first: the primary, then back3, back2, back1 (see
# load_and_pin in loader/state.c). FIRST_BACKSTOP is the one to run after
# the primary.
FIRST_BACKSTOP=mptcpify_back3

# Every request, with the hook declining it, gives the same sockets (or
# error) as with no program at all; the backstops ran exactly for the
# requests whose protocol was left 0, and for nothing else. Backstops are
# attached on every kernel here so that a chain that goes on would show.
# timeout: 180
test_declined_sockets_end_the_chain() {
	need_hook
	cp "$(prog sockprobe)" /tmp/chainprobe
	probe_matrix /tmp/without.txt
	MPTCPIFY_BACKSTOPS=3 expect_exit 0 mptcpify attach --runtime --comm selprobe
	assert_eq 3 "$(backstop_links)" "backstops forced"
	assert_eq true "$(chain_ends)" "status: the chain ends at mptcpify"
	mptcpify status | grep "hook chain"
	sysctl -qw kernel.bpf_stats_enabled=1
	p0=$(runs mptcpify_socket) b0=$(runs $FIRST_BACKSTOP) m0=$(misses mptcpify_socket)
	probe_matrix /tmp/with.txt
	p1=$(runs mptcpify_socket) b1=$(runs $FIRST_BACKSTOP) m1=$(misses mptcpify_socket)
	diff /tmp/without.txt /tmp/with.txt || fail "a declined request got another socket"
	total=$(calls /tmp/with.txt) zero=$(calls /tmp/with.txt 0)
	echo "$total socket() calls, $zero of them left at 0; primary ran $((p1 - p0))," \
		"skipped $((m1 - m0)); the first backstop ran $((b1 - b0))"
	assert_eq "$total" $((p1 - p0 + m1 - m0)) "socket() calls that reached the hook"
	assert_eq $((zero + m1 - m0)) $((b1 - b0)) "backstop runs"
	# A selected program: rewritten by the primary, nothing after it.
	cp "$(prog sockprobe)" /tmp/selprobe
	b0=$(runs $FIRST_BACKSTOP) m0=$(misses mptcpify_socket)
	out=$(/tmp/selprobe -4 --count $PER | sort | uniq -c | grep protocol=)
	assert_eq "$PER protocol=262" "$(echo $out)" "selected sockets"
	assert_eq $(($(misses mptcpify_socket) - m0)) $(($(runs $FIRST_BACKSTOP) - b0)) \
		"backstop runs for selected sockets"
}

# With another tool's fmod_ret program attached before ours (it runs after
# ours), ours returns 0 for what it declines, so that theirs still sees each
# of those sockets; status says so. Once theirs is gone, the next change of
# the rules ends the chain at ours.
test_chain_goes_on_to_an_older_program() {
	need_hook
	mkdir -p /sys/fs/bpf/other
	expect_exit 0 "$(prog other-fmodret)" /sys/fs/bpf/other/link
	expect_exit 0 mptcpify attach --runtime --comm sockprobe
	assert_eq false "$(chain_ends)" "status with another program attached before"
	mptcpify --json status | grep -q '"other_programs":\[{"link_id":[0-9]*,"prog_id":[0-9]*,"name":"other_fmodret"}\]' ||
		fail "status does not name the other program: $(mptcpify --json status)"
	mptcpify status | grep "hook chain"
	sysctl -qw kernel.bpf_stats_enabled=1
	cp "$(prog sockprobe)" /tmp/declined
	o0=$(runs other_fmodret)
	out=$(/tmp/declined -4 --count $PER | sort | uniq -c | grep protocol=)
	assert_eq "$PER protocol=6" "$(echo $out)" "declined sockets"
	assert_eq $PER $(($(runs other_fmodret) - o0)) "runs of the other program for declined sockets"
	rm /sys/fs/bpf/other/link
	assert_eq false "$(chain_ends)" "right after the other program left"
	# The kernel detaches a link whose pin is gone a moment later.
	wait_until 10 sh -c '[ -z "$(bpftool prog show name other_fmodret)" ]' ||
		fail "the other program is still loaded"
	expect_exit 0 mptcpify attach --runtime --comm another
	assert_eq true "$(chain_ends)" "after the next change of the rules"
	mptcpify status | grep "hook chain"
}

# A storm of sockets no rule selects, 8 processes on 2 CPUs, backstops
# attached: where the kernel skips the primary (a preempted task holds it),
# a backstop runs instead; otherwise none does. Exactly: the first backstop
# ran (or was skipped itself) once per skipped primary. 5 s are over
# 100,000 sockets, enough for thousands of skips on a preemptible kernel
# (7.2: 119,296 sockets, 8,636 skips).
# timeout: 120
test_storm_of_declined_sockets_runs_one_program_each() {
	need_hook
	MPTCPIFY_BACKSTOPS=3 expect_exit 0 mptcpify attach --runtime --comm notsockloop
	sysctl -qw kernel.bpf_stats_enabled=1
	p0=$(runs mptcpify_socket) m0=$(misses mptcpify_socket)
	b0=$(runs $FIRST_BACKSTOP) bm0=$(misses $FIRST_BACKSTOP)
	all0=$(( $(runs mptcpify_socket) + $(runs mptcpify_back1) + $(runs mptcpify_back2) + $(runs mptcpify_back3) ))
	for i in 1 2 3 4 5 6 7 8; do
		"$(prog sockloop)" --storm 5 >"/tmp/storm.$i" 2>&1 &
	done
	wait
	p1=$(runs mptcpify_socket) m1=$(misses mptcpify_socket)
	b1=$(runs $FIRST_BACKSTOP) bm1=$(misses $FIRST_BACKSTOP)
	all1=$(( $(runs mptcpify_socket) + $(runs mptcpify_back1) + $(runs mptcpify_back2) + $(runs mptcpify_back3) ))
	total=$(cat /tmp/storm.* | sed -n 's/^sockets=//p' | awk '{ s += $1 } END { print s + 0 }')
	tcp=$(cat /tmp/storm.* | sed -n 's/^tcp=//p' | awk '{ s += $1 } END { print s + 0 }')
	echo "sockets $total (tcp $tcp); primary ran $((p1 - p0)), skipped $((m1 - m0));" \
		"first backstop ran $((b1 - b0)), skipped $((bm1 - bm0)); programs run: $((all1 - all0))"
	[ "$total" -ge 10000 ] || fail "only $total sockets"
	[ "$(backstop_links)" = 3 ] || fail "backstops: $(backstop_links)"
	assert_eq "$total" "$tcp" "declined sockets are TCP"
	assert_eq $((m1 - m0)) $((b1 - b0 + bm1 - bm0)) "first backstop's runs and skips = primary skips"
	# Programs per socket: one, plus one for each skip.
	[ $((all1 - all0)) -le $((total + 2 * (m1 - m0) + 100)) ] ||
		fail "$((all1 - all0)) program runs for $total sockets"
}
