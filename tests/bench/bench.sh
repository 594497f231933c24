#!/bin/sh
# shellcheck disable=SC2086,SC2317 # $LOOP & co. split on purpose; cleanup runs from trap
# SPDX-License-Identifier: GPL-2.0-only
# bench.sh: the mptcpify benchmark (issue 5). A guest script: it runs inside
# one VM boot of the test rig, never on the host and never as a timed test:
#   tests/vm/run.sh --build-dir BUILD --series 6.12 --script tests/bench/bench.sh --verbose
# (or `meson compile -C BUILD bench`). The rig's run-suite.sh sources it with
# bash (lib.sh loaded, `set -u` on); it is plain POSIX sh and also runs alone,
# as root, in any guest with the same layout: `sh bench.sh`.
#
# Part 1, what the hook costs, with sockloop (socket()+close() in a loop,
# REPS repetitions, medians):
#   floor      no program attached
#   direct     IPPROTO_MPTCP asked for directly, no program
#   rule1      attached, process not selected, 1 comm rule
#   big        attached, not selected, 10000 comm + 1000 cgroup rules, the
#              process in a cgroup 10 levels deep (every ancestor looked up)
#   bigroot    the same rules, process in the root cgroup
#   selected   attached, selected by comm (TCP -> MPTCP), compared with direct
#   cgsel      selected by a cgroup rule on the top ancestor, process 10 deep
#   mptcpize   `mptcpize run sockloop` (libmptcpwrap via LD_PRELOAD), nothing attached
#   mptcpifyrun `mptcpify run sockloop`
# plus the kernel's own figure for each attached case (kernel.bpf_stats_enabled=1,
# run_time_ns/run_cnt of the program from `bpftool prog show --json`, in a
# separate pass so that the statistics do not slow the timed runs), the same
# for socket()+connect()+close() over loopback, start-up cost (fork+exec of
# `true`, `mptcpize run true`, `mptcpify run true`) and the time the CLI takes
# to set the rules.
# Part 2, multipath: two netns joined by two veth pairs, each veth limited by
# `tbf rate 20mbit burst 32kb latency 50ms`; iperf3 over plain TCP, then with
# `mptcpify attach --comm iperf3` (server started after attaching); the MP_JOIN
# counters and the throughput ratio; then one path taken down mid-transfer.
#
# Knobs (environment, if the rig passes it): BENCH_ITERS BENCH_REPS
# BENCH_CONNECT_ITERS BENCH_COMM_RULES BENCH_CGROUP_RULES BENCH_DEPTH
# BENCH_EXEC_ITERS BENCH_MP_SECONDS BENCH_LINKDOWN_AFTER BENCH_TCP_LINKDOWN (0/1)
# BENCH_PART (all, hook, multipath) BENCH_MP_VIA (mptcpify; mptcpize for a
# dry run on a kernel without the hook).
# Exit status: 0 when every case that ran gave the expected protocol and the
# multipath transfers completed, 1 otherwise. Cases that cannot run here say why.

ITERS=${BENCH_ITERS:-20000}
REPS=${BENCH_REPS:-5}
CONN_ITERS=${BENCH_CONNECT_ITERS:-500}
COMM_RULES=${BENCH_COMM_RULES:-10000}
CGROUP_RULES=${BENCH_CGROUP_RULES:-1000}
DEPTH=${BENCH_DEPTH:-10}
EXEC_ITERS=${BENCH_EXEC_ITERS:-100}
MP_SECONDS=${BENCH_MP_SECONDS:-10}
LINKDOWN_AFTER=${BENCH_LINKDOWN_AFTER:-4}
TCP_LINKDOWN=${BENCH_TCP_LINKDOWN:-1}
PART=${BENCH_PART:-all}
MP_VIA=${BENCH_MP_VIA:-mptcpify}

PROGS=${BENCH_PROGS:-/usr/libexec/mptcpify-test}
PATH=$PROGS:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
MPTCPIFY=${MPTCPIFY:-/usr/sbin/mptcpify}
CG=/sys/fs/cgroup
CG_RULES=bench-rules          # CGROUP_RULES siblings, each with a rule
CG_DEEP=bench-deep            # bench-deep/l2/.../lDEPTH
IPERF_PORT=5201
NS_C=bench-cli
NS_S=bench-srv

WORK=$(mktemp -d /tmp/bench.XXXXXX) || exit 1
RES=$WORK/results
: > "$RES"
STATUS=0

log() { echo "bench: $*"; }
warn() { echo "bench: WARNING: $*"; STATUS=1; }

# --- results: "key value" lines -------------------------------------------
put() { echo "$1 $2" >> "$RES"; echo "bench: $1=$2"; }
get() { awk -v k="$1" '$1 == k { v = $2 } END { print (v == "" ? "n/a" : v) }' "$RES"; }

# a/b with 3 decimals, "n/a" unless both are numbers and b > 0
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/ || b + 0 == 0) print "n/a";
		else printf "%.3f\n", a / b }'
}
# a-b with 1 decimal
diff_ns() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/) print "n/a";
		else printf "%+.1f\n", a - b }'
}

# Hundredths of a second since boot (busybox date may lack %N).
now_cs() { awk '{ printf "%d\n", $1 * 100 }' /proc/uptime; }
secs_since() { awk -v t0="$1" '{ printf "%.2f\n", ($1 * 100 - t0) / 100 }' /proc/uptime; }

nap() { sleep 0.1 2>/dev/null || sleep 1; }

# The real tool, never busybox's applet of the same name (vm-facts).
find_tool() {
	for d in /usr/sbin /usr/bin /sbin /bin /usr/local/sbin /usr/local/bin; do
		[ -x "$d/$1" ] || continue
		case "$(readlink -f "$d/$1")" in
		*busybox*) continue ;;
		esac
		echo "$d/$1"
		return 0
	done
	return 1
}

IP=$(find_tool ip)
TC=$(find_tool tc)
BPFTOOL=$(find_tool bpftool)
IPERF3=$(find_tool iperf3)
MPTCPIZE=$(find_tool mptcpize)

# --- environment -----------------------------------------------------------
setup_fs() {
	grep -q " /sys/fs/bpf bpf " /proc/mounts || mount -t bpf bpf /sys/fs/bpf 2>/dev/null
	if ! grep -q " $CG cgroup2 " /proc/mounts; then
		mkdir -p "$CG"
		mount -t cgroup2 none "$CG" || warn "cannot mount cgroup2 on $CG"
	fi
}

unload() { "$MPTCPIFY" unload >/dev/null 2>&1; }

cleanup() {
	unload
	echo 0 > /proc/sys/kernel/bpf_stats_enabled 2>/dev/null
	if [ -n "$IP" ]; then
		"$IP" netns del "$NS_C" 2>/dev/null
		"$IP" netns del "$NS_S" 2>/dev/null
	fi
	if [ -d "$CG/$CG_DEEP" ]; then
		find "$CG/$CG_DEEP" -depth -type d -exec rmdir {} \; 2>/dev/null
	fi
	if [ -d "$CG/$CG_RULES" ]; then
		find "$CG/$CG_RULES" -depth -type d -exec rmdir {} \; 2>/dev/null
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Runs CMD... in cgroup DIR (relative to $CG), or where we are if DIR is "-".
in_cgroup() {
	cgdir=$1
	shift
	if [ "$cgdir" = - ]; then
		"$@"
	else
		sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$CG/$cgdir" "$@"
	fi
}

# Sum of run_time_ns and run_cnt of the mptcpify program(s): "TIME CNT".
# Picked by name (mptcpify_socket), else every tracing program.
prog_stats() {
	"$BPFTOOL" prog show --json 2>/dev/null | awk '
	{ s = s $0 }
	END {
		n = split(s, obj, /[{]"id":/)
		for (pass = 1; pass <= 2 && !found; pass++)
			for (i = 2; i <= n; i++) {
				o = obj[i]
				if (pass == 1 && o !~ /"name":"mptcpify_socket"/) continue
				if (pass == 2 && o !~ /"type":"tracing"/) continue
				found = 1
				if (match(o, /"run_time_ns":[0-9]+/)) t += substr(o, RSTART + 14, RLENGTH - 14)
				if (match(o, /"run_cnt":[0-9]+/)) c += substr(o, RSTART + 10, RLENGTH - 10)
			}
		printf "%.0f %.0f\n", t, c
	}'
}

# --- sockloop cases --------------------------------------------------------
# loop_case KEY EXPECTED_PROTOCOL CGROUP CMD...: runs CMD (a sockloop command
# line, possibly behind a wrapper), records KEY (median ns/iter) and KEY.proto.
loop_case() {
	key=$1 expect=$2 cgdir=$3
	shift 3
	out=$(in_cgroup "$cgdir" "$@" 2>&1)
	rc=$?
	echo "$out" | sed "s/^/  [$key] /"
	med=$(echo "$out" | sed -n 's/^median_ns_per_iter=//p')
	proto=$(echo "$out" | sed -n 's/^protocol=//p' | head -n 1)
	if [ $rc -ne 0 ] || [ -z "$med" ]; then
		warn "$key: '$*' failed (exit $rc)"
		put "$key.note" "failed"
		return 1
	fi
	put "$key" "$med"
	put "$key.proto" "$proto"
	if [ "$proto" != "$expect" ]; then
		warn "$key: protocol=$proto, expected $expect"
		put "$key.note" "WRONG-protocol"
		return 1
	fi
	return 0
}

# stats_case KEY CGROUP CMD...: the kernel's figure, ns per program run,
# for the same command with kernel.bpf_stats_enabled=1.
stats_case() {
	key=$1 cgdir=$2
	shift 2
	if [ -z "$BPFTOOL" ] || [ ! -w /proc/sys/kernel/bpf_stats_enabled ]; then
		put "$key.kns" "n/a"
		return 0
	fi
	echo 1 > /proc/sys/kernel/bpf_stats_enabled
	s0=$(prog_stats)
	in_cgroup "$cgdir" "$@" > /dev/null 2>&1
	s1=$(prog_stats)
	echo 0 > /proc/sys/kernel/bpf_stats_enabled
	put "$key.kns" "$(echo "$s0 $s1" | awk '{
		dc = $4 - $2; dt = $3 - $1
		if (dc > 0) printf "%.1f\n", dt / dc; else print "n/a" }')"
	put "$key.kcnt" "$(echo "$s0 $s1" | awk '{ printf "%.0f\n", $4 - $2 }')"
}

LOOP="sockloop --iters $ITERS --reps $REPS"
SLOOP="sockloop --iters $ITERS --reps 1"
CLOOP="sockloop --connect 0 --iters $CONN_ITERS --reps $REPS"

exec_case() {
	key=$1
	shift
	out=$(execloop --iters "$EXEC_ITERS" --reps "$REPS" -- "$@" 2>&1)
	rc=$?
	echo "$out" | sed "s/^/  [$key] /"
	med=$(echo "$out" | sed -n 's/^median_ns_per_exec=//p')
	if [ $rc -ne 0 ] || [ -z "$med" ]; then
		put "$key.note" "failed"
		return 1
	fi
	put "$key" "$med"
}

# attach ARGS...: mptcpify attach ARGS --runtime; records why it failed.
attach() {
	"$MPTCPIFY" attach "$@" --runtime > "$WORK/attach.out" 2>&1
	rc=$?
	[ $rc -eq 0 ] || { sed 's/^/  [attach] /' "$WORK/attach.out" | head -n 5; }
	return $rc
}

# Adds comm rules b00001... so that there are $1 comm rules in total
# (the one already attached counts), 500 names per call.
add_comm_rules() {
	total=$1
	t0=$(now_cs)
	calls=0
	i=1
	while [ "$i" -lt "$total" ]; do
		end=$((i + 500))
		[ "$end" -gt "$total" ] && end=$total
		names=$(awk -v a="$i" -v b="$end" 'BEGIN { for (j = a; j < b; j++) printf "b%05d ", j }')
		attach --comm $names || return 1
		calls=$((calls + 1))
		i=$end
	done
	put comm_rules.secs "$(secs_since "$t0")"
	put comm_rules.calls "$calls"
}

# $1 sibling cgroups bench-rules/rNNNN, each selected by a rule; 100 paths per
# call, or one per call if this CLI takes a single --cgroup PATH.
add_cgroup_rules() {
	n=$1
	mkdir -p "$CG/$CG_RULES" || return 1
	i=1
	while [ "$i" -le "$n" ]; do
		mkdir -p "$CG/$CG_RULES/$(printf 'r%04d' "$i")" || return 1
		i=$((i + 1))
	done
	t0=$(now_cs)
	calls=0
	per=100
	i=1
	while [ "$i" -le "$n" ]; do
		end=$((i + per - 1))
		[ "$end" -gt "$n" ] && end=$n
		paths=$(awk -v a="$i" -v b="$end" -v d="$CG_RULES" \
			'BEGIN { for (j = a; j <= b; j++) printf "%s/r%04d ", d, j }')
		attach --cgroup $paths
		rc=$?
		calls=$((calls + 1))
		if [ $rc -eq 2 ] && [ $per -gt 1 ]; then
			log "this CLI takes one --cgroup PATH per call: one call per cgroup"
			per=1
			continue
		fi
		[ $rc -eq 0 ] || return 1
		i=$((end + 1))
	done
	put cgroup_rules.secs "$(secs_since "$t0")"
	put cgroup_rules.calls "$calls"
}

make_deep_cgroup() {
	p=$CG_DEEP
	l=2
	while [ "$l" -le "$DEPTH" ]; do
		p=$p/l$l
		l=$((l + 1))
	done
	mkdir -p "$CG/$p" && echo "$p"
}

hook_part() {
	log "=== part 1: cost of the hook (sockloop, $ITERS iterations x $REPS repetitions) ==="
	for p in sockloop execloop sockprobe; do
		command -v "$p" > /dev/null || { warn "$p not found in $PROGS"; return 1; }
	done
	unload

	# -- no program
	loop_case floor 6 - $LOOP
	loop_case direct 262 - $LOOP --proto mptcp
	loop_case conn_floor 6 - $CLOOP
	loop_case conn_direct 262 - $CLOOP --proto mptcp
	exec_case exec_true true

	if [ -n "$MPTCPIZE" ] && [ "$(mptcpize run sockprobe 2>/dev/null | sed -n 's/^protocol=//p')" = 262 ]; then
		loop_case mptcpize 262 - "$MPTCPIZE" run $LOOP
		exec_case exec_mptcpize "$MPTCPIZE" run true
	else
		log "mptcpize (and its libmptcpwrap) not usable here: mptcpize cases skipped"
		put mptcpize.note "no-mptcpize"
		put exec_mptcpize.note "no-mptcpize"
	fi

	# -- the hook
	attach --comm bench-nomatch
	rc=$?
	case $rc in
	0) ;;
	4) log "this kernel lacks update_socket_protocol: attached cases skipped"; HOOK=no ;;
	*) warn "mptcpify attach failed (exit $rc): attached cases skipped"; HOOK=no ;;
	esac
	[ "${HOOK:-yes}" = yes ] || return 0

	loop_case rule1 6 - $LOOP
	stats_case rule1 - $SLOOP

	deep=$(make_deep_cgroup) || { warn "cannot create a cgroup $DEPTH levels deep"; deep=""; }
	if add_comm_rules "$COMM_RULES" && add_cgroup_rules "$CGROUP_RULES"; then
		"$MPTCPIFY" status 2>&1 | sed 's/^/  [status] /' | head -n 20
		if [ -n "$deep" ]; then
			loop_case big 6 "$deep" $LOOP
			stats_case big "$deep" $SLOOP
		fi
		loop_case bigroot 6 - $LOOP
		stats_case bigroot - $SLOOP
		# selected among all those rules
		attach --comm sockloop && loop_case bigsel 262 - $LOOP
	else
		warn "setting $COMM_RULES comm and $CGROUP_RULES cgroup rules failed"
	fi

	unload
	if attach --comm sockloop; then
		loop_case selected 262 - $LOOP
		stats_case selected - $SLOOP
		loop_case conn_selected 262 - $CLOOP
	fi
	unload
	if [ -n "$deep" ] && attach --cgroup "$CG_DEEP"; then
		loop_case cgsel 262 "$deep" $LOOP
		stats_case cgsel "$deep" $SLOOP
	fi
	unload

	# `mptcpify run`: whatever it needs, it sets up itself.
	if "$MPTCPIFY" run sockprobe > "$WORK/run.out" 2>&1 &&
	   grep -qx protocol=262 "$WORK/run.out"; then
		loop_case mptcpifyrun 262 - "$MPTCPIFY" run $LOOP
		exec_case exec_mptcpifyrun "$MPTCPIFY" run true
	else
		sed 's/^/  [mptcpify run] /' "$WORK/run.out" | head -n 5
		log "mptcpify run sockprobe did not give protocol=262: its cases skipped"
		put mptcpifyrun.note "run-failed"
	fi
	unload
}

# --- part 2: multipath ------------------------------------------------------
nsx() { ns=$1; shift; "$IP" netns exec "$ns" "$@"; }

mp_setup() {
	"$IP" netns add "$NS_C" && "$IP" netns add "$NS_S" || return 1
	for i in 1 2; do
		"$IP" link add "bv${i}c" type veth peer name "bv${i}s" || return 1
		"$IP" link set "bv${i}c" netns "$NS_C" || return 1
		"$IP" link set "bv${i}s" netns "$NS_S" || return 1
		"$IP" -n "$NS_C" addr add "10.91.$i.1/24" dev "bv${i}c" || return 1
		"$IP" -n "$NS_S" addr add "10.91.$i.2/24" dev "bv${i}s" || return 1
		"$IP" -n "$NS_C" link set "bv${i}c" up || return 1
		"$IP" -n "$NS_S" link set "bv${i}s" up || return 1
		nsx "$NS_C" "$TC" qdisc add dev "bv${i}c" root tbf rate 20mbit burst 32kb latency 50ms || return 1
		nsx "$NS_S" "$TC" qdisc add dev "bv${i}s" root tbf rate 20mbit burst 32kb latency 50ms || return 1
	done
	for ns in "$NS_C" "$NS_S"; do
		"$IP" -n "$ns" link set lo up
		nsx "$ns" sh -c 'echo 1 > /proc/sys/net/mptcp/enabled' || return 1
		"$IP" -n "$ns" mptcp limits set subflow 2 add_addr_accepted 2 || return 1
	done
	# Announced to the client right after each handshake: add it before connecting.
	"$IP" -n "$NS_S" mptcp endpoint add 10.91.2.2 dev bv2s signal || return 1
	"$IP" -n "$NS_S" mptcp limits show | sed 's/^/  [limits srv] /'
	"$IP" -n "$NS_S" mptcp endpoint show | sed 's/^/  [endpoint srv] /'
	# both paths answer
	for a in 10.91.1.2 10.91.2.2; do
		nsx "$NS_C" ping -c 1 -W 2 "$a" > /dev/null 2>&1 ||
			log "ping $a from $NS_C failed (carrying on; iperf3 will tell)"
	done
	return 0
}

# counter NS NAME: a MPTcpExt counter of that netns, read from /proc/net/netstat.
counter() {
	nsx "$1" cat /proc/net/netstat | awk -v want="$2" '
		$1 == "MPTcpExt:" {
			if (!hdr) { for (i = 2; i <= NF; i++) name[i] = $i; hdr = 1 }
			else for (i = 2; i <= NF; i++) if ("MPTcpExt" name[i] == want) v = $i
		}
		END { print v + 0 }'
}

COUNTERS="MPTcpExtMPCapableSYNRX MPTcpExtMPJoinSynRx MPTcpExtMPJoinAckRx MPTcpExtMPJoinRejected MPTcpExtMPCapableFallbackSYNACK"
snap() { for c in $COUNTERS; do echo "$c $(counter "$NS_S" "$c")"; done > "$WORK/snap.$1"; }
# records KEY.NAME = after - before for each counter
snap_delta() {
	for c in $COUNTERS; do
		b=$(awk -v c="$c" '$1 == c { print $2 }' "$WORK/snap.before")
		a=$(awk -v c="$c" '$1 == c { print $2 }' "$WORK/snap.after")
		put "$1.${c#MPTcpExt}" "$((a - b))"
	done
}

wait_listen() {
	hex=$(printf ':%04X ' "$IPERF_PORT")
	n=0
	while [ $n -lt 100 ]; do
		nsx "$NS_S" cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
			awk -v p="$hex" 'index($0, p) && $4 == "0A" { f = 1 } END { exit !f }' && return 0
		nap
		n=$((n + 1))
	done
	return 1
}

# iperf_run KEY WRAPPER LINKDOWN(0/1): one iperf3 test from NS_C to NS_S over
# path 1; the server is started now (after any attach). WRAPPER is "" or a
# command prefix for both ends (mptcpize run). Records KEY (Mbit/s at the
# receiver), KEY.done (yes/no), KEY.secs and the counter deltas.
iperf_run() {
	key=$1 wrap=$2 down=$3
	nsx "$NS_S" $wrap "$IPERF3" -s -1 -p "$IPERF_PORT" > "$WORK/iperf-s.$key" 2>&1 &
	spid=$!
	if ! wait_listen; then
		warn "$key: iperf3 server not listening"
		kill "$spid" 2>/dev/null
		put "$key.done" no
		return 1
	fi
	snap before
	t0=$(now_cs)
	timeout $((MP_SECONDS + 20)) "$IP" netns exec "$NS_C" $wrap "$IPERF3" -c 10.91.1.2 \
		-p "$IPERF_PORT" -t "$MP_SECONDS" -f m > "$WORK/iperf-c.$key" 2>&1 &
	cpid=$!
	if [ "$down" = 1 ]; then
		sleep "$LINKDOWN_AFTER"
		log "$key: taking path 1 (bv1c, the initial subflow's) down after ${LINKDOWN_AFTER}s"
		"$IP" -n "$NS_C" link set bv1c down
	fi
	wait "$cpid"
	rc=$?
	put "$key.secs" "$(secs_since "$t0")"
	snap after
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	[ "$down" = 1 ] && "$IP" -n "$NS_C" link set bv1c up
	sed "s/^/  [$key] /" "$WORK/iperf-c.$key" | grep -E 'sender|receiver|error|Connecting' 
	mbps=$(awk '/receiver/ { for (i = 1; i <= NF; i++) if ($i == "Mbits/sec") v = $(i - 1) } END { print v }' "$WORK/iperf-c.$key")
	snap_delta "$key"
	if [ $rc -eq 0 ] && [ -n "$mbps" ]; then
		put "$key" "$mbps"
		put "$key.done" yes
	else
		put "$key.done" no
		put "$key.rc" "$rc"
		return 1
	fi
}

multipath_part() {
	log "=== part 2: multipath, 2 paths x 20 Mbit/s, iperf3 -t $MP_SECONDS ==="
	for t in IP TC IPERF3; do
		eval "v=\$$t"
		[ -n "$v" ] || { warn "multipath skipped: no $t tool (iproute2/iperf3) in the guest"; return 1; }
	done
	if ! mp_setup; then
		warn "multipath set-up failed (veth/sch_tbf modules? iproute2 with mptcp?)"
		return 1
	fi
	unload
	iperf_run mp_tcp "" 0 || warn "plain TCP iperf3 failed"

	case $MP_VIA in
	mptcpize)
		wrap="$MPTCPIZE run" ;;
	*)
		wrap=""
		attach --comm iperf3 || { warn "attach --comm iperf3 failed"; return 1; } ;;
	esac
	iperf_run mp_mptcp "$wrap" 0 || warn "MPTCP iperf3 failed"
	[ "$(get mp_mptcp.MPCapableSYNRX)" -gt 0 ] 2>/dev/null ||
		warn "the server saw no MP_CAPABLE SYN: iperf3 was not converted"
	[ "$(get mp_mptcp.MPJoinAckRx)" -gt 0 ] 2>/dev/null ||
		warn "no subflow joined (MPJoinAckRx 0)"

	iperf_run mp_down "$wrap" 1 || warn "MPTCP transfer did not survive the loss of path 1"
	unload
	if [ "$TCP_LINKDOWN" = 1 ]; then
		# expected to stall: shows what the second path buys
		iperf_run mp_tcp_down "" 1 > /dev/null 2>&1
		log "plain TCP with path 1 down: done=$(get mp_tcp_down.done)"
	fi
}

# --- report -------------------------------------------------------------------
row() { # LABEL KEY BASEKEY
	v=$(get "$2")
	note=$(get "$2.note")
	[ "$note" = n/a ] && note=""
	printf '  %-58s %10s %8s %5s %s\n' "$1" "$v" "$(ratio "$v" "$(get "$3")")" \
		"$(get "$2.proto")" "$note"
}
krow() { # LABEL KEY
	printf '  %-58s %10s   (%s runs)\n' "$1" "$(get "$1.kns")" "$(get "$1.kcnt")"
}

report() {
	echo
	echo "=============================================================================="
	echo "mptcpify benchmark, kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs"
	echo "sockloop: $ITERS iterations x $REPS repetitions, medians; ns per iteration"
	echo "=============================================================================="
	printf '  %-58s %10s %8s %5s\n' "socket()+close()" "ns/iter" "x floor" "proto"
	row "no program attached (floor)" floor floor
	row "IPPROTO_MPTCP directly, no program" direct floor
	row "attached, not selected, 1 comm rule" rule1 floor
	row "not selected, $COMM_RULES comm + $CGROUP_RULES cgroup rules, depth $DEPTH" big floor
	row "not selected, same rules, root cgroup" bigroot floor
	printf '  %-58s %10s %8s %5s\n' "" "" "x direct" ""
	row "selected by comm among all those rules" bigsel direct
	row "attached, selected by comm (TCP -> MPTCP)" selected direct
	row "selected by a cgroup rule on the depth-1 ancestor, depth $DEPTH" cgsel direct
	row "mptcpize run (LD_PRELOAD), nothing attached" mptcpize direct
	row "mptcpify run" mptcpifyrun direct
	echo
	echo "  hook cost per socket() (ns, difference of medians):"
	echo "    not selected, 1 rule:          $(diff_ns "$(get rule1)" "$(get floor)") vs floor"
	echo "    not selected, all rules, deep: $(diff_ns "$(get big)" "$(get floor)") vs floor"
	echo "    selected (TCP -> MPTCP):       $(diff_ns "$(get selected)" "$(get direct)") vs IPPROTO_MPTCP directly"
	echo "    mptcpize:                      $(diff_ns "$(get mptcpize)" "$(get direct)") vs IPPROTO_MPTCP directly"
	echo
	echo "  kernel's figure, bpf_stats run_time_ns/run_cnt (ns per program run):"
	for k in rule1 big bigroot selected cgsel; do krow "$k"; done
	echo
	printf '  %-58s %10s %8s %5s\n' "socket()+connect()+close(), loopback" "ns/iter" "x floor" "proto"
	row "TCP, no program" conn_floor conn_floor
	row "IPPROTO_MPTCP directly" conn_direct conn_floor
	row "TCP -> MPTCP by mptcpify" conn_selected conn_floor
	echo
	printf '  %-58s %10s %8s\n' "start-up, fork+exec+wait ($EXEC_ITERS x $REPS)" "ns/exec" "x true"
	printf '  %-58s %10s %8s\n' "true" "$(get exec_true)" "1.000"
	printf '  %-58s %10s %8s\n' "mptcpize run true" "$(get exec_mptcpize)" "$(ratio "$(get exec_mptcpize)" "$(get exec_true)")"
	printf '  %-58s %10s %8s\n' "mptcpify run true" "$(get exec_mptcpifyrun)" "$(ratio "$(get exec_mptcpifyrun)" "$(get exec_true)")"
	echo
	echo "  rule setting through the CLI: $COMM_RULES comm rules in $(get comm_rules.secs) s ($(get comm_rules.calls) calls),"
	echo "    $CGROUP_RULES cgroup rules in $(get cgroup_rules.secs) s ($(get cgroup_rules.calls) calls)"
	echo
	echo "  multipath, 2 paths x tbf 20mbit, iperf3 -t $MP_SECONDS (receiver Mbit/s; server counters):"
	printf '  %-24s %8s %6s %8s %8s %8s %8s %8s\n' "" "Mbit/s" "done" "CapSYN" "JoinSyn" "JoinAck" "JoinRej" "Fallbk"
	for k in mp_tcp mp_mptcp mp_down mp_tcp_down; do
		printf '  %-24s %8s %6s %8s %8s %8s %8s %8s\n' "$k" "$(get $k)" "$(get $k.done)" \
			"$(get $k.MPCapableSYNRX)" "$(get $k.MPJoinSynRx)" "$(get $k.MPJoinAckRx)" \
			"$(get $k.MPJoinRejected)" "$(get $k.MPCapableFallbackSYNACK)"
	done
	echo "  MPTCP / TCP throughput: $(ratio "$(get mp_mptcp)" "$(get mp_tcp)")"
	echo "  (mp_down: path 1 down after ${LINKDOWN_AFTER}s; mp_tcp_down: the same over plain TCP)"
	echo "=============================================================================="
	echo "bench: status=$STATUS"
}

log "kernel $(uname -r); tools: ip=${IP:-none} tc=${TC:-none} bpftool=${BPFTOOL:-none} iperf3=${IPERF3:-none} mptcpize=${MPTCPIZE:-none}"
setup_fs
[ -x "$MPTCPIFY" ] || warn "$MPTCPIFY not found"
case $PART in
all) hook_part; multipath_part ;;
hook) hook_part ;;
multipath) multipath_part ;;
*) warn "unknown BENCH_PART=$PART" ;;
esac
report
exit $STATUS
