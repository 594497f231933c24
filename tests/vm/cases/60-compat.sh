# Socket options MPTCP refuses (issue 19): live detection on converted
# programs, audit of unconverted ones, `compat` and `compat --kernel`. The
# reference is always the kernel itself: tests/progs/sockopts prints the
# errno each call got, and the reports must say exactly that.
# boot: d (one of the groups CI boots side by side: tests/vm/meson.build)

# The options of the issue, on a listener and on an unconnected socket.
OPTS="TCP_MD5SIG TCP_USER_TIMEOUT IP_TTL IP_RECVERR IPV6_TCLASS SO_ZEROCOPY TCP_NODELAY"

# sockopt_runs: runs of our socket option programs (bpf_stats on).
sockopt_runs() {
	bpftool prog show | grep -E 'name mptcpify_(refset|refget|audset|audget|audsol) ' |
		sed -n 's/.*run_cnt \([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }'
}

# refused_json COMM OPTION ERRNO COUNT: does `list --json` hold that entry?
refused_json() {
	mptcpify --json list | grep -q "\"comm\":\"$1\",[^}]*\"option\":\"$2\",[^}]*\"errno\":\"$3\",\"count\":$4,"
}

test_converted_probe_refusals_reported_by_name_and_count() {
	need_hook
	cp "$(prog sockopts)" /tmp/optprobe
	expect_exit 0 mptcpify attach --runtime --comm optprobe
	assert_eq 2 "$(sockopt_links)" "live detection links while loaded"
	mptcpify monitor --timeout 30 >/tmp/mon.log 2>&1 &
	mon=$!
	sleep 1
	/tmp/optprobe -6 $OPTS >/tmp/probe.out || fail "the probe failed"
	cat /tmp/probe.out
	assert_eq 2 "$(grep -c '^socket=.* protocol=262$' /tmp/probe.out)" "MPTCP sockets of the probe"
	# What the kernel refused, as the probe saw it: each option twice
	# (listener, unconnected), with the same errno both times.
	refused=0
	for o in $OPTS; do
		errs=$(sed -n "s/^set $o error=//p" /tmp/probe.out | sort -u)
		if [ -z "$errs" ]; then
			mptcpify --json list | grep -q "\"option\":\"$o\"" &&
				fail "$o was accepted by the kernel but is reported refused"
			continue
		fi
		refused=$((refused + 1))
		refused_json optprobe "$o" "$errs" 2 ||
			fail "$o ($errs, 2x) not reported: $(mptcpify --json list)"
	done
	# TCP_NODELAY is taken by MPTCP on every kernel of the rig.
	grep -qx 'set TCP_NODELAY ok' /tmp/probe.out || fail "TCP_NODELAY was refused by the kernel"
	[ "$refused" -ge 5 ] || fail "only $refused options refused: the probe did not use MPTCP?"
	mptcpify list
	mptcpify list | grep -q "optprobe\[[0-9]*\] setsockopt(SOL_TCP, TCP_MD5SIG) ENOPROTOOPT 2x (comm rule optprobe" ||
		fail "list does not show the MD5 refusal"
	mptcpify status | grep -q "socket options .*$refused kinds of call refused" || fail "status: $(mptcpify status)"
	mptcpify --json status | grep -q '"check":"socket options","result":"warn"' || fail "status --json"
	# One monitor line per (program, option), the first time.
	wait_until 10 sh -c "[ \$(grep -c 'refused on MPTCP' /tmp/mon.log) -ge $refused ]" ||
		fail "monitor printed $(grep -c 'refused on MPTCP' /tmp/mon.log) lines, not $refused"
	/tmp/optprobe -6 $OPTS >/dev/null
	sleep 1
	kill $mon; wait $mon 2>/dev/null
	cat /tmp/mon.log
	assert_eq "$refused" "$(grep -c 'refused on MPTCP' /tmp/mon.log)" "monitor lines after a second run"
	grep -qx "optprobe\[[0-9]*\]: setsockopt(SOL_TCP, TCP_MD5SIG) refused on MPTCP (comm rule optprobe): exclude or deny it" \
		/tmp/mon.log || fail "monitor line for MD5"
	refused_json optprobe TCP_MD5SIG ENOPROTOOPT 4 || fail "count after a second run"
	# The fleet's view of the same count (issue 23): one sample per program
	# and option, the program's cgroups summed.
	mptcpify metrics >/tmp/metrics.txt || fail "mptcpify metrics"
	grep -qx 'mptcpify_sockopt_refused_total{comm="optprobe",call="setsockopt",level="SOL_TCP",option="TCP_MD5SIG",errno="ENOPROTOOPT"} 4' \
		/tmp/metrics.txt || fail "metrics: $(grep sockopt /tmp/metrics.txt)"
	grep -q 'option="TCP_NODELAY"' /tmp/metrics.txt && fail "metrics count an accepted option"
	return 0
}

# The daemon's journal: one line the first time a (program, option) pair
# is refused, none for the second time.
# timeout: 120
test_daemon_logs_first_refusal() {
	need_hook
	mptcpify unload >/dev/null 2>&1
	rm -rf /etc/mptcpify
	mkdir -p /etc/mptcpify
	printf '[select]\ncomm = daemonprobe\n' >/etc/mptcpify/mptcpify.conf
	: >/tmp/daemon.log
	mptcpify daemon >>/tmp/daemon.log 2>&1 &
	daemon=$!
	wait_until 60 grep -q "loaded and pinned under" /tmp/daemon.log || fail "daemon did not start"
	cp "$(prog sockopts)" /tmp/daemonprobe
	/tmp/daemonprobe -4 TCP_MD5SIG TCP_NODELAY | grep -q '^socket=listener protocol=262$' ||
		fail "daemonprobe not converted"
	wait_until 10 grep -q 'refused on MPTCP' /tmp/daemon.log || fail "nothing logged: $(cat /tmp/daemon.log)"
	/tmp/daemonprobe -4 TCP_MD5SIG TCP_NODELAY >/dev/null
	sleep 2
	kill -TERM $daemon; wait $daemon
	cat /tmp/daemon.log
	assert_eq 1 "$(grep -c 'refused on MPTCP' /tmp/daemon.log)" "journal lines for one pair seen twice"
	grep -qx "daemonprobe\[[0-9]*\]: setsockopt(SOL_TCP, TCP_MD5SIG) refused on MPTCP (comm rule daemonprobe): exclude or deny it" \
		/tmp/daemon.log || fail "the journal line"
}

# A program that asks for MPTCP itself: no rule selects it.
test_self_asked_mptcp_attributed() {
	need_hook
	expect_exit 0 mptcpify attach --runtime --comm someoneelse
	cp "$(prog sockopts)" /tmp/selfmp
	/tmp/selfmp -6 --proto mptcp TCP_MD5SIG >/dev/null
	mptcpify --json list | grep -q '"comm":"selfmp",[^}]*"option":"TCP_MD5SIG",[^}]*"rule":"asked for MPTCP itself","selected":false' ||
		fail "not attributed to the program itself: $(mptcpify --json list)"
}

# A real program: socat sets TCP_USER_TIMEOUT (30000 ms, as little-endian
# bytes) on its listener and gives up when that fails, converted;
# unconverted it listens.
test_socat_refusal_reported() {
	need_hook
	command -v socat >/dev/null || skip "socat not in the image (tools/install-deps.sh installs it)"
	expect_exit 0 mptcpify attach --runtime --comm socat
	timeout 10 socat -u TCP6-LISTEN:5077,reuseaddr,setsockopt-listen=6:18:x30750000 - >/tmp/socat.out 2>&1
	rc=$?
	cat /tmp/socat.out
	[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "converted socat did not fail (exit $rc)"
	refused_json socat TCP_USER_TIMEOUT ENOPROTOOPT 1 || fail "socat's refusal: $(mptcpify --json list)"
	expect_exit 0 mptcpify detach --runtime --comm socat
	timeout 3 socat -u TCP6-LISTEN:5078,reuseaddr,setsockopt-listen=6:18:x30750000 - >/tmp/socat2.out 2>&1
	assert_eq 124 "$?" "unconverted socat listening until the timeout"
}

# Audit: an unconverted program that sets TCP_MD5SIG and TCP_NODELAY.
test_audit_says_what_would_be_refused_and_keeps_tcp() {
	need_hook
	expect_exit 0 mptcpify attach --runtime --comm nothing
	assert_eq 0 "$(audit_links)" "audit links with no audit rule"
	# With no audit rule, a setsockopt on a TCP socket runs no program of ours.
	sysctl -qw kernel.bpf_stats_enabled=1
	before=$(sockopt_runs)
	"$(prog sockopts)" -4 --repeat 50 TCP_NODELAY SO_KEEPALIVE TCP_MD5SIG >/dev/null
	after=$(sockopt_runs)
	assert_eq "$before" "$after" "runs of our programs for 300 setsockopt() on TCP sockets"
	expect_exit 0 mptcpify audit --runtime --comm auditme
	assert_eq 3 "$(audit_links)" "audit links with an audit rule"
	# The same count does move once audit programs are attached.
	"$(prog sockopts)" -4 --repeat 50 TCP_NODELAY SO_KEEPALIVE TCP_MD5SIG >/dev/null
	after=$(sockopt_runs)
	sysctl -qw kernel.bpf_stats_enabled=0
	assert_eq "$((before + 300))" "$after" "runs of the audit programs for 300 setsockopt()"
	cp "$(prog sockopts)" /tmp/auditme
	/tmp/auditme -6 TCP_MD5SIG TCP_NODELAY >/tmp/audit.out
	cat /tmp/audit.out
	assert_eq 2 "$(grep -c '^socket=.* protocol=6$' /tmp/audit.out)" "TCP sockets of the audited program"
	assert_eq 4 "$(grep -c ' ok$' /tmp/audit.out)" "options set on TCP"
	# The kernel's own answer for MPTCP, to compare with.
	"$(prog sockopts)" -6 --proto mptcp TCP_MD5SIG TCP_NODELAY | tee /tmp/mp.out
	grep -q '^set TCP_MD5SIG error=' /tmp/mp.out || fail "this kernel's MPTCP takes TCP_MD5SIG?"
	expect_exit 0 mptcpify compat
	grep -q "auditme (cgroup .*): would be refused: TCP_MD5SIG (2x); would work: TCP_NODELAY (2x)" "$LAST_OUT" ||
		fail "compat does not say MD5 would be refused and NODELAY not"
	mptcpify --json compat | grep -q '"option":"TCP_MD5SIG","count":2,[^}]*"mptcp":"refused"' || fail "compat --json MD5"
	mptcpify --json compat | grep -q '"option":"TCP_NODELAY","count":2,[^}]*"mptcp":"accepted"' || fail "compat --json NODELAY"
	# Audited, not converted, and nothing refused live.
	mptcpify --json list | grep -q '"comm":"auditme",[^}]*"errno"' && fail "audit converted the program"
	mptcpify list | grep -q '^audit  *comm auditme .*(runtime)' || fail "list does not show the audit rule"
	expect_exit 0 mptcpify audit --runtime --remove --comm auditme
	assert_eq 0 "$(audit_links)" "audit links after the last audit rule went"
}

# Audit by cgroup, and the probe's cache.
test_audit_by_cgroup_and_compat_kernel() {
	need_hook
	mkdir -p /sys/fs/cgroup/testaudit
	expect_exit 0 mptcpify audit --runtime --cgroup /sys/fs/cgroup/testaudit
	sh -c 'echo $$ >/sys/fs/cgroup/testaudit/cgroup.procs && exec "$1" -4 IP_TTL TCP_KEEPIDLE' sh "$(prog sockopts)" >/dev/null
	rm -f /run/mptcpify/sockopt-probe
	expect_exit 0 mptcpify compat
	grep -q "sockopts (cgroup /sys/fs/cgroup/testaudit): would be refused: IP_TTL (2x); would work: TCP_KEEPIDLE (2x)" "$LAST_OUT" ||
		fail "cgroup audit"
	[ -s /run/mptcpify/sockopt-probe ] || fail "no probe cache written"
	grep -q "^boot $(cat /proc/sys/kernel/random/boot_id)$" /run/mptcpify/sockopt-probe || fail "cache without the boot id"
	expect_exit 0 mptcpify compat --kernel
	# The kernel's answers for the issue's options, from the probe program.
	"$(prog sockopts)" -6 --proto mptcp $OPTS >/tmp/k.out
	for o in $OPTS; do
		e=$(sed -n "s/^set $o error=//p" /tmp/k.out | sort -u)
		if [ -n "$e" ]; then
			grep -q "^  setsockopt(SOL_[A-Z0-9]*, $o) *$e$" "$LAST_OUT" || fail "--kernel does not list $o ($e)"
		else
			grep -q "setsockopt(SOL_[A-Z0-9]*, $o) " "$LAST_OUT" && fail "--kernel lists $o, which MPTCP takes"
		fi
	done
	# mptcpify's own tries are not a program's refusals.
	mptcpify --json list | grep -q '"comm":"mptcpify' && fail "the probe's own calls were recorded"
	# Where MPTCP is off and nothing is cached: "cannot tell", with the fix.
	rm -f /run/mptcpify/sockopt-probe
	ip netns add nomptcp
	ip netns exec nomptcp sysctl -qw net.mptcp.enabled=0
	expect_exit 1 ip netns exec nomptcp mptcpify compat --kernel
	grep -q "cannot tell.*net.mptcp.enabled=1" "$LAST_OUT" || fail "no fix named"
}

# Saved audit rules: in the file, restored by load (what the daemon does).
test_audit_saved_and_restored() {
	need_hook
	rm -rf /etc/mptcpify
	expect_exit 0 mptcpify audit --comm savedaudit --all
	cat /etc/mptcpify/mptcpify.conf
	grep -qx 'audit = comm:savedaudit' /etc/mptcpify/mptcpify.conf || fail "audit rule not saved"
	grep -qx 'audit = all' /etc/mptcpify/mptcpify.conf || fail "audit all not saved"
	expect_exit 0 mptcpify unload
	assert_eq 0 "$(audit_links)" "audit links after unload"
	expect_exit 0 mptcpify load
	assert_eq 3 "$(audit_links)" "audit links after load"
	mptcpify --json list | grep -q '"kind":"audit","comm":"savedaudit","saved":true' || fail "not restored"
	mptcpify --json list | grep -q '"kind":"audit","all":true,"saved":true' || fail "all not restored"
	expect_exit 0 mptcpify audit --remove --comm savedaudit --all
	grep -q audit /etc/mptcpify/mptcpify.conf && fail "audit rules left in the file"
	assert_eq 0 "$(audit_links)" "audit links after removing both"
}

# once: malformed names and paths, unknown config values: one line, the
# exit status attach uses, nothing changed.
test_audit_bad_input() {
	need_cli
	rm -rf /etc/mptcpify
	mkdir -p /etc/mptcpify
	printf '[select]\ncomm = keep\n' >/etc/mptcpify/mptcpify.conf
	cp /etc/mptcpify/mptcpify.conf /tmp/conf.before
	expect_exit 7 mptcpify audit --comm waytoolongprocessname
	expect_exit 8 mptcpify audit --cgroup 'system.slice/docker-*.scope'
	grep -q "not a pattern" "$LAST_OUT" || fail "pattern refusal does not say why"
	expect_exit 8 mptcpify audit --cgroup /sys/fs/cgroup/does/not/exist
	expect_exit 8 mptcpify audit --cgroup ../etc
	expect_exit 9 mptcpify audit --unit 'no such.service'
	expect_exit 2 mptcpify audit
	expect_exit 2 mptcpify audit --all-rules
	expect_exit 2 mptcpify compat --bogus
	[ "$(wc -l <"$LAST_OUT")" -le 2 ] || fail "more than one line for a usage error"
	cmp -s /tmp/conf.before /etc/mptcpify/mptcpify.conf || fail "the file changed"
	[ -e /sys/fs/bpf/mptcpify ] && fail "bad input loaded the program"
	printf '[compat]\naudit = everything\n' >/etc/mptcpify/conf.d.bad
	mkdir -p /etc/mptcpify/conf.d && mv /etc/mptcpify/conf.d.bad /etc/mptcpify/conf.d/bad.conf
	expect_exit 12 mptcpify load
	grep -q 'bad.conf:2: invalid audit "everything"' "$LAST_OUT" || fail "no FILE:LINE"
	[ "$(wc -l <"$LAST_OUT")" = 1 ] || fail "more than one line"
	[ -e /sys/fs/bpf/mptcpify/link ] && fail "a bad file loaded the program"
	return 0
}
