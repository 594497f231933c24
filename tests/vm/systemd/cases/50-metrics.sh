# The daemon's metrics file (issue 23): mptcpify.conf's [daemon] metrics-dir,
# the generator that opens the sandbox for it, the exact counts of known
# sockets and connections read back from what the daemon wrote, promtool on
# that file, and a bad metrics-dir said once per state while the daemon
# keeps running.
# boot: c (one of the groups CI boots side by side: tests/vm/systemd/meson.build)

MDIR=/var/lib/prometheus/node-exporter
MFILE=$MDIR/mptcpify.prom
SNAP=/var/lib/mptcpify-test/metrics-daemon.prom
PROGS=/usr/libexec/mptcpify-test
FB_PORT=5401 MP_PORT=5402

# write_conf TEXT: the whole configuration, then the generator runs again.
write_conf() {
	mkdir -p /etc/mptcpify
	printf '%b' "$1" >/etc/mptcpify/mptcpify.conf
	systemctl daemon-reload
}

# start_metrics_daemon: start (not enable: each daemon-reload, which enable
# implies, costs 3-4 s under TCG); stopped at the end with the configuration
# removed and, when the generator wrote something, systemd reloaded.
start_metrics_daemon() {
	require_mptcpify
	on_exit 'systemctl stop mptcpify-bpf.service; rm -rf /etc/mptcpify; [ ! -e /run/systemd/generator/mptcpify-bpf.service.d ] || systemctl daemon-reload'
	expect_exit 0 systemctl start mptcpify-bpf.service
	wait_until 60 systemctl is-active -q mptcpify-bpf.service
}

# lines_say PATTERN: how many lines of the daemon's journal (this test's
# start on) contain PATTERN.
lines_say() {
	journalctl -q -u mptcpify-bpf.service --since "@$T0" -o cat --no-pager | grep -cF -- "$1"
}

# said_once PATTERN: exactly one such line (for wait_until, which expands
# its arguments once).
said_once() { [ "$(lines_say "$1")" = 1 ]; }

# snapshot_has LINE...: a copy of the metrics file holds every LINE whole.
snapshot_has() {
	local l
	cp "$MFILE" "$SNAP" 2>/dev/null || return 1
	for l in "$@"; do
		grep -qxF -- "$l" "$SNAP" || return 1
	done
}

# metric NAME_AND_LABELS: its value in the snapshot.
metric() {
	grep -F -- "$1 " "$SNAP" | grep -vF '#' | head -n1 | awk '{ print $NF }'
}

# No metrics-dir: no drop-in, no socket unit, no extra capability, no line
# about metrics, no file.
test_no_metrics_dir_adds_nothing() {
	T0=$(date +%s)
	write_conf '[select]\ncomm = iperf3\n'
	start_metrics_daemon
	[ -e /run/systemd/generator/mptcpify-bpf.service.d ] && fail "a drop-in without metrics-dir"
	assert_eq "$(unit_prop mptcpify-sockdiag.socket LoadState)" not-found "socket unit"
	case $(unit_prop mptcpify-bpf.service CapabilityBoundingSet) in
	*cap_sys_ptrace*) fail "CAP_SYS_PTRACE without metrics-dir" ;;
	esac
	sleep 2
	assert_eq "$(lines_say metrics)" 0 "journal lines about metrics"
	[ -e "$MFILE" ] && fail "$MFILE written without metrics-dir"
	return 0
}

# Known sockets, a fallback connection, an MPTCP connection on one path and a
# program with a hostile name, read back exactly from the daemon's file.
test_counts_in_metrics_file() {
	local hostile fb0 fb1 rewritten pids=()
	T0=$(date +%s)
	mkdir -p "$MDIR"
	# As the README sets it up: a drop-in of its own in conf.d.
	mkdir -p /etc/mptcpify/conf.d
	printf '[daemon]\nmetrics-dir = %s\nmetrics-interval = 1\n' "$MDIR" >/etc/mptcpify/conf.d/metrics.conf
	write_conf "[select]\ncomm = sockprobe\ncomm = mpsrv\n"
	start_metrics_daemon
	on_exit 'kill $(cat /tmp/metrics-pids 2>/dev/null) 2>/dev/null; rm -f /tmp/metrics-pids /usr/local/bin/mpsrv'
	# The generator's work, as systemd sees it.
	case $(unit_prop mptcpify-bpf.service ReadWritePaths) in
	*"$MDIR"*) ;;
	*) fail "ReadWritePaths: $(unit_prop mptcpify-bpf.service ReadWritePaths)" ;;
	esac
	case $(unit_prop mptcpify-bpf.service CapabilityBoundingSet) in
	*cap_sys_ptrace*) ;;
	*) fail "no CAP_SYS_PTRACE: $(unit_prop mptcpify-bpf.service CapabilityBoundingSet)" ;;
	esac
	assert_eq "$(unit_prop mptcpify-sockdiag.socket ActiveState)" active "sockdiag socket"
	wait_until 30 snapshot_has 'mptcpify_loaded 1' 'mptcpify_connections_read 1'
	assert_eq "$(lines_say "metrics: writing $MFILE every 1 s")" 1 "start line"
	fb0=$(metric 'mptcpify_kernel_fallbacks_total{counter="MPTcpExtMPCapableFallbackSYNACK"}')
	[ -n "$fb0" ] || fail "no MPCapableFallbackSYNACK in the file"

	# 3 sockets made MPTCP and closed.
	[ "$("$PROGS/sockprobe" -n 3 | grep -c '^protocol=262$')" = 3 ] || fail "sockprobe -n 3 not MPTCP"
	# A fallback: a plain TCP server (ncat, not selected), a selected client.
	sleep 300 | ncat -l 127.0.0.1 $FB_PORT >/dev/null 2>&1 & pids+=($!)
	# One path: a selected server (ncat under another name) and client.
	cp /usr/bin/ncat /usr/local/bin/mpsrv
	sleep 300 | mpsrv -l -k 127.0.0.1 $MP_PORT >/dev/null 2>&1 & pids+=($!)
	echo "${pids[*]}" >/tmp/metrics-pids
	wait_until 20 sh -c "ss -Hltn 'sport = :$FB_PORT' | grep -q . && ss -HMln 'sport = :$MP_PORT' | grep -q ."
	"$PROGS/sockprobe" -c 127.0.0.1:$FB_PORT -H 300 >/dev/null & pids+=($!)
	"$PROGS/sockprobe" -c 127.0.0.1:$MP_PORT -H 300 >/dev/null & pids+=($!)
	# A program whose name needs escaping, asking for MPTCP itself (not
	# selected, no rule hit): comm 'we"ird\b<newline>x'.
	hostile=$(printf '/tmp/we"ird\\b\nx')
	cp "$PROGS/sockprobe" "$hostile"
	"$hostile" -p mptcp -c 127.0.0.1:$MP_PORT -H 300 >/dev/null & pids+=($!)
	echo "${pids[*]}" >/tmp/metrics-pids
	expect_exit 0 systemctl reload mptcpify-bpf.service  # SIGHUP: written at once
	wait_until 30 snapshot_has \
		'mptcpify_rule_sockets_total{kind="comm",target="sockprobe"} 5' \
		'mptcpify_rule_sockets_total{kind="comm",target="mpsrv"} 1' \
		'mptcpify_program_connections{comm="sockprobe",verdict="fallback"} 1' \
		'mptcpify_program_connections{comm="sockprobe",verdict="one_path"} 1' \
		'mptcpify_program_connections{comm="sockprobe",verdict="mptcp"} 0' \
		'mptcpify_program_subflows{comm="sockprobe"} 1' \
		'mptcpify_program_connections{comm="mpsrv",verdict="one_path"} 2' \
		'mptcpify_program_subflows{comm="mpsrv"} 2' \
		'mptcpify_program_connections{comm="we\"ird\\b\nx",verdict="one_path"} 1' \
		'mptcpify_rules{kind="comm"} 2' ||
		{ cat "$SNAP" >&2; fail "the metrics file does not hold the expected counts"; }
	# No series for the plain TCP server.
	grep -q 'comm="ncat"' "$SNAP" && fail "a series for ncat, which holds no MPTCP socket"
	grep -qE '^mptcpify_network_namespaces_unread [0-9]+$' "$SNAP" ||
		fail "no count of the network namespaces not read"
	fb1=$(metric 'mptcpify_kernel_fallbacks_total{counter="MPTcpExtMPCapableFallbackSYNACK"}')
	assert_eq "$fb1" $((fb0 + 1)) "MPCapableFallbackSYNACK after one fallback"
	assert_eq "$fb1" "$(nstat -az MPTcpExtMPCapableFallbackSYNACK | awk '/MPCapableFallbackSYNACK/ { print $2 }')" \
		"MPCapableFallbackSYNACK as nstat reads it"
	rewritten=$(mptcpify --json status | jq -r '.counters.rewritten_to_mptcp')
	assert_eq "$(metric mptcpify_rewritten_to_mptcp_total)" "$rewritten" "rewritten_to_mptcp"
	assert_eq "$(metric mptcpify_abi)" "$(sed -n 's/^mptcpify_build_info{.*abi="\([0-9]*\)"} 1$/\1/p' "$SNAP")" "pinned ABI"
	assert_eq "$(stat -c %a "$MFILE")" 644 "file mode"
	assert_eq "$(find "$MDIR" -name '.mptcpify.prom.*' -newer "$SNAP" | wc -l)" 0 "temporaries left"
	# Stopping the daemon stops the socket unit with it (PartOf=).
	kill "${pids[@]}" 2>/dev/null
	expect_exit 0 systemctl stop mptcpify-bpf.service
	assert_eq "$(unit_prop mptcpify-sockdiag.socket ActiveState)" inactive "sockdiag socket after stop"
	return 0
}

# promtool, Prometheus' own parser and linter, on what the daemon wrote.
test_promtool_accepts_daemon_file() {
	[ -x "$PROGS/promtool" ] || skip "promtool not in the payload (host: apt-get install prometheus)"
	[ -s "$SNAP" ] || fail "no metrics file from test_counts_in_metrics_file"
	"$PROGS/promtool" check metrics <"$SNAP" || fail "promtool check metrics refuses the daemon's file"
}

# A bad metrics-dir: one line per state, the daemon keeps running and picks
# up the fix. metrics-interval 1: three intervals pass in each state.
test_bad_metrics_dir_said_once() {
	local base=/var/lib/mptcpify-metrics
	T0=$(date +%s)
	rm -rf "$base"; mkdir -p "$base/ro"; : >"$base/file"
	on_exit "rm -rf $base"
	write_conf "[daemon]\nmetrics-dir = $base/missing\nmetrics-interval = 1\n"
	start_metrics_daemon
	wait_until 20 said_once "metrics-dir $base/missing does not exist"
	sleep 2  # two intervals: a repeat would show
	assert_eq "$(lines_say "metrics-dir $base/missing does not exist")" 1 "lines for a missing directory"

	# Not a directory, then a directory the sandbox has not opened: a
	# reload re-reads metrics-dir, the sandbox stays as it started.
	printf '[daemon]\nmetrics-dir = %s/file\nmetrics-interval = 1\n' "$base" >/etc/mptcpify/mptcpify.conf
	expect_exit 0 systemctl reload mptcpify-bpf.service
	wait_until 20 said_once "metrics-dir $base/file is not a directory"
	sleep 2  # two intervals: a repeat would show
	assert_eq "$(lines_say "metrics-dir $base/file is not a directory")" 1 "lines for a file"
	printf '[daemon]\nmetrics-dir = %s/ro\nmetrics-interval = 1\n' "$base" >/etc/mptcpify/mptcpify.conf
	expect_exit 0 systemctl reload mptcpify-bpf.service
	wait_until 20 said_once "metrics-dir $base/ro is read-only for mptcpify-bpf"
	sleep 2  # two intervals: a repeat would show
	assert_eq "$(lines_say "metrics-dir $base/ro is read-only")" 1 "lines for the sandbox"
	systemctl is-active -q mptcpify-bpf.service || fail "the daemon stopped"
	[ -e "$base/ro/mptcpify.prom" ] && fail "written through a read-only sandbox?"

	# The fix the line names: daemon-reload, restart.
	systemctl daemon-reload
	expect_exit 0 systemctl restart mptcpify-bpf.service
	wait_until 60 test -s "$base/ro/mptcpify.prom"
	# Not writable: another owner, and the daemon has no CAP_DAC_OVERRIDE.
	chown 65534 "$base/ro"
	wait_until 20 said_once "metrics-dir $base/ro is not writable by mptcpify-bpf (owner uid 65534, mode 0755"
	sleep 2  # two intervals: a repeat would show
	assert_eq "$(lines_say "is not writable by mptcpify-bpf")" 1 "lines for a directory of another owner"
	chown 0 "$base/ro"
	wait_until 20 said_once "metrics: $base/ro/mptcpify.prom written again"
	sleep 2
	assert_eq "$(lines_say "written again")" 1 "lines after the fix"
	assert_eq "$(lines_say "warning: metrics:")" 4 "warnings about metrics in all"
	systemctl is-active -q mptcpify-bpf.service || fail "the daemon stopped"
}
