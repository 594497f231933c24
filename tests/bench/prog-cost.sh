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
# Knobs: PROGCOST_ITERS (socket()+close() per row), PROGCOST_COMM_RULES,
# PROGCOST_SIBLINGS (cgroup rules per level). Exit status 1 when a row got
# the wrong protocol or no statistics.
N=${PROGCOST_ITERS:-5000}
NCOMM=${PROGCOST_COMM_RULES:-10000} NSIB=${PROGCOST_SIBLINGS:-100}
P=/usr/libexec/mptcpify-test
CG=/sys/fs/cgroup
DEEP=$CG/pc/b1/b2/b3/b4/b5/b6/b7/b8/b9/b10
bad=0

. /suite/bench/bench-lib.sh
# "NAME RUN_TIME_NS RUN_CNT" for every tracing program.
prog_stats() {
	bpftool -j prog show 2>/dev/null | tr '{' '\n' | grep '"type":"tracing"' |
		sed -n 's/.*"name":"\([^"]*\)".*"run_time_ns":\([0-9]*\),"run_cnt":\([0-9]*\).*/\1 \2 \3/p'
}
# row LABEL EXPECTED_PROTO CGROUP [SOCKLOOP ARGS]: one line, the instructions
# per socket() in the first program to run and in all of them together.
row() {
	label=$1 want=$2 dir=$3; shift 3
	# Work the kernel defers after an attach (freeing, grace periods) would
	# land in the first row after it: let it run, and warm the path up.
	sleep 1
	in_cg "$dir" $P/sockloop --iters 500 --reps 1 "$@" >/dev/null
	prog_stats >/tmp/pc.before
	proto=$(in_cg "$dir" $P/sockloop --iters "$N" --reps 1 "$@" | sed -n 's/^protocol=//p' | head -n 1)
	[ "$proto" = "$want" ] || { echo "row $label: protocol $proto, expected $want" >&2; bad=1; }
	prog_stats >/tmp/pc.after
	awk -v label="$label" '
		FILENAME == ARGV[1] { t[$1] = $2; c[$1] = $3; next }
		{ dt = $2 - t[$1]; dc = $3 - c[$1]; if (dc <= 0) next
		  total += dt; if (dc > calls) calls = dc
		  if ($1 == "mptcpify_socket" || $1 == "empty_fmodret") first = dt / dc
		  n++ }
		END { if (!calls) { printf "  %-44s %8s\n", label, "-"; exit 1 }
		      printf "  %-44s %8.0f %10.0f %6d\n", label, first, total / calls, n }
	' /tmp/pc.before /tmp/pc.after || bad=1
}

mkdir -p $DEEP /sys/fs/bpf/bench
mptcpify unload >/dev/null 2>&1
sysctl -qw kernel.bpf_stats_enabled=1
$P/sockloop --iters "$N" --reps 1 >/dev/null   # warm-up
echo "instructions inside the socket hook's programs per socket(), bpf_stats under QEMU -icount,"
echo "kernel $(uname -r), $(date -u +%F); $N socket()+close() per row"
printf '  %-44s %8s %10s %6s\n' "row" "first" "all copies" "progs"
$P/other-fmodret /sys/fs/bpf/bench/empty --empty >/dev/null
row "empty fmod_ret program (stats overhead)" 6 $CG
rm /sys/fs/bpf/bench/empty
mptcpify attach --runtime --comm nothing >/dev/null
row "ours, not selected, 1 comm rule" 6 $CG
row "ours, not selected, 1 comm rule, 10 deep" 6 $DEEP
big_rules "$NCOMM" "$NSIB" $CG/ps
row "ours, not selected, 11k rules, root cgroup" 6 $CG
row "ours, not selected, 11k rules, 10 deep" 6 $DEEP
mptcpify unload >/dev/null
mptcpify attach --runtime --comm sockloop >/dev/null
row "ours, selected by comm" 262 $CG
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
echo "   per socket(); minus the empty row, what the bodies cost)"

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
