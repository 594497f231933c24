#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# prog-cost.sh: instructions spent inside the socket hook's programs per
# socket(), from the kernel's own statistics (kernel.bpf_stats_enabled:
# run_time_ns / run_cnt) under QEMU -icount shift=0,sleep=off, where guest
# ns are instructions. Unlike icount.sh's socket()+close() rows, which move
# by a few hundred instructions from one boot to the next, these only count
# the programs' bodies and repeat closely; the statistics' own overhead is
# the row of the empty program (an fmod_ret program that only returns 0).
# (bpftool leaves out the counts of a program that has not run yet: 0.)
# A guest script for the VM rig (tests/bench/meson.build: bench-progcost):
#   tests/vm/run.sh --build-dir BUILD --series 7.2 --script tests/bench/prog-cost.sh \
#     --qemu-arg -icount --qemu-arg shift=0,sleep=off --qemu-arg -smp --qemu-arg 1
# Knobs: PROGCOST_ITERS (socket()+close() per run), PROGCOST_REPS (runs per
# row, the median is shown), PROGCOST_COMM_RULES, PROGCOST_SIBLINGS (cgroup
# rules per level), PROGCOST_SETTLE (seconds before each run, 1; the test
# that only checks the script works sets 0). Exit status 1 when a row got
# the wrong protocol or no statistics.
N=${PROGCOST_ITERS:-5000} REPS=${PROGCOST_REPS:-3}
NCOMM=${PROGCOST_COMM_RULES:-10000} NSIB=${PROGCOST_SIBLINGS:-100}
P=/usr/libexec/mptcpify-test
CG=/sys/fs/cgroup
DEEP=$CG/pc/b1/b2/b3/b4/b5/b6/b7/b8/b9/b10
DEEP16=$DEEP/b11/b12/b13/b14/b15/b16
bad=0

. /suite/bench/bench-lib.sh
# "NAME RUN_TIME_NS RUN_CNT" for every tracing program.
prog_stats() {
	bpftool -j prog show 2>/dev/null | tr '{' '\n' | grep '"type":"tracing"' |
		sed -n 's/.*"name":"\([^"]*\)".*"run_time_ns":\([0-9]*\),"run_cnt":\([0-9]*\).*/\1 \2 \3/p'
}
# once EXPECTED_PROTO CGROUP [SOCKLOOP ARGS]: N socket()+close() in CGROUP;
# prints "FIRST ALL PROGS": instructions per run of the first program to run
# (ours or the empty one), instructions in all the programs that ran per
# socket(), programs run per socket() (1.00: the first one ended the chain).
once() {
	want=$1 dir=$2; shift 2
	# Work the kernel defers after an attach (freeing, grace periods) would
	# land in the first run after it: let it run, and warm the path up.
	sleep "${PROGCOST_SETTLE:-1}"
	in_cg "$dir" $P/sockloop --iters 500 --reps 1 "$@" >/dev/null
	prog_stats >/tmp/pc.before
	proto=$(in_cg "$dir" $P/sockloop --iters "$N" --reps 1 "$@" | sed -n 's/^protocol=//p' | head -n 1)
	[ "$proto" = "$want" ] || { echo "protocol $proto, expected $want" >&2; return 1; }
	prog_stats >/tmp/pc.after
	awk '
		FILENAME == ARGV[1] { t[$1] = $2; c[$1] = $3; next }
		{ dt = $2 - t[$1]; dc = $3 - c[$1]; if (dc <= 0) next
		  total += dt; runs += dc; if (dc > calls) calls = dc
		  if ($1 == "mptcpify_socket" || $1 == "empty_fmodret") first = dt / dc }
		END { if (!calls) exit 1; printf "%.0f %.0f %.2f\n", first, total / calls, runs / calls }
	' /tmp/pc.before /tmp/pc.after
}
# row LABEL EXPECTED_PROTO CGROUP [SOCKLOOP ARGS]: one line, the median of
# PROGCOST_REPS runs of once() per column. An interrupt landing inside a
# program (and the softirq work it runs on the way out: socket frees) is
# counted in its time; the median leaves such a run out.
row() {
	label=$1; shift
	: >/tmp/pc.reps
	for rep in $(seq "$REPS"); do
		once "$@" >>/tmp/pc.reps || { echo "row $label: failed" >&2; bad=1; }
	done
	awk -v label="$label" -v n="$REPS" '
		{ f[NR] = $1; a[NR] = $2; p[NR] = $3 }
		function med(v,   i, j, t, k) {
			k = 0; for (i in v) w[++k] = v[i]
			for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (w[j] < w[i]) { t = w[i]; w[i] = w[j]; w[j] = t }
			return w[int((k + 1) / 2)]
		}
		END { if (NR < n) { printf "  %-58s %8s\n", label, "-"; exit 1 }
		      printf "  %-58s %8.0f %10.0f %6.2f\n", label, med(f), med(a), med(p) }
	' /tmp/pc.reps || bad=1
}

mkdir -p $DEEP/b11/b12/b13/b14/b15/b16 /sys/fs/bpf/bench
mptcpify unload >/dev/null 2>&1
sysctl -qw kernel.bpf_stats_enabled=1
$P/sockloop --iters "$N" --reps 1 >/dev/null   # warm-up
echo "instructions inside the socket hook's programs per socket(), bpf_stats under QEMU -icount,"
echo "kernel $(uname -r), $(date -u +%F); $N socket()+close() per row"
printf '  %-58s %8s %10s %6s\n' "row" "first" "all copies" "progs"
$P/other-fmodret /sys/fs/bpf/bench/empty --empty >/dev/null
once 6 $CG >/dev/null   # the first run after boot came out high (7.2: 91 of 86)
row "empty fmod_ret program (stats overhead)" 6 $CG
row "empty fmod_ret program, UDP socket" 17 $CG --type dgram
rm /sys/fs/bpf/bench/empty
mptcpify attach --runtime --comm nothing >/dev/null
echo "  (backstops attached: $(status_number backstops); $(mptcpify status | sed -n 's/^ok *hook chain *//p' | cut -c1-60))"
row "ours, not selected, 1 comm rule" 6 $CG
row "ours, not selected, 1 comm rule, 16 deep" 6 $DEEP16
# The last decision is kept per CPU (bpf/mptcpify.bpf.c, "the memo"): a
# task whose name changes before every socket() decides every time.
row "ours, not selected, 1 comm rule, names alternating" 6 $CG --alternate
row "ours, not selected, UDP socket" 17 $CG --type dgram
row "ours, not selected, AF_UNIX socket" 0 $CG --unix
row "ours, not selected, IPPROTO_MPTCP asked" 262 $CG --proto mptcp
big_rules "$NCOMM" "$NSIB" $CG/ps
row "ours, not selected, 11k rules, root cgroup" 6 $CG
row "ours, not selected, 11k rules, 10 deep" 6 $DEEP
row "ours, not selected, 11k rules, 16 deep" 6 $DEEP16
row "ours, not selected, 11k rules, 10 deep, names alternating" 6 $DEEP --alternate
mptcpify unload >/dev/null
MPTCPIFY_BACKSTOPS=3 mptcpify attach --runtime --comm nothing >/dev/null
row "ours, not selected, 1 comm rule, 3 backstops" 6 $CG
row "ours, not selected, UDP socket, 3 backstops" 17 $CG --type dgram
mptcpify unload >/dev/null
mptcpify attach --runtime --comm sockloop >/dev/null
row "ours, selected by comm" 262 $CG
row "ours, selected by comm, names alternating (half)" 262 $CG --alternate
# With a reader of events (as the daemon is): each socket is also a record.
# Where the kernel preempts inside the hook (7.2), the reader woken by a
# full ring runs inside the program's time, and the row counts it too.
mptcpify monitor >/dev/null 2>&1 &
mon=$!
sleep 1
row "ours, selected by comm, a monitor reading" 262 $CG
kill $mon
wait $mon 2>/dev/null
mptcpify unload >/dev/null
mptcpify attach --runtime --cgroup $CG/pc/b1 >/dev/null
row "ours, selected by cgroup 9 levels up" 262 $DEEP
mptcpify unload >/dev/null
echo "  (first: the primary, or the empty program; all copies: with the backstops that ran,"
echo "   per socket(); progs: programs run per socket(); minus the empty rows, what the"
echo "   bodies cost)"

# The socket option programs (bpf/compat.bpf.c) are not on the socket()
# path: the rows above count the same programs with them loaded. Per
# setsockopt() call (5000 on each of 2 sockets, tests/progs/sockopts), the
# instructions inside the program that runs, from the same statistics.
# opt_row LABEL PROGRAM SOCKOPTS ARGS
opt_row() {
	label=$1 name=$2; shift 2
	$P/sockopts "$@" >/dev/null
	prog_stats >/tmp/pc.before
	$P/sockopts --repeat "$N" "$@" >/dev/null
	prog_stats >/tmp/pc.after
	awk -v label="$label" -v name="$name" '
		FILENAME == ARGV[1] { t[$1] = $2; c[$1] = $3; next }
		$1 == name { dt = $2 - t[$1]; dc = $3 - c[$1] }
		END { if (dc <= 0) { printf "  %-50s %8s\n", label, "-"; exit 1 }
		      printf "  %-50s %8.0f %8d\n", label, dt / dc, dc }
	' /tmp/pc.before /tmp/pc.after || bad=1
}
echo "instructions inside the socket option programs per setsockopt(), same boot"
printf '  %-50s %8s %8s\n' "row" "instr" "calls"
mptcpify attach --runtime --comm sockopts >/dev/null
opt_row "refused on MPTCP (TCP_MD5SIG)" mptcpify_refset -4 TCP_MD5SIG
opt_row "accepted on MPTCP (TCP_NODELAY): nothing recorded" mptcpify_refset -4 TCP_NODELAY
mptcpify detach --runtime --comm sockopts >/dev/null
mptcpify audit --runtime --comm sockopts >/dev/null
opt_row "audit, TCP socket (TCP_NODELAY)" mptcpify_audset -4 TCP_NODELAY
mptcpify unload >/dev/null
echo "  (minus the empty row above, what the bodies cost; with no audit rule and on TCP"
echo "   sockets none of these runs: tests/vm/cases/60-compat.sh counts it)"
sysctl -qw kernel.bpf_stats_enabled=0
exit $bad
