#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# icount.sh: what the hook costs, in instructions per socket()+close(). A
# guest script for the VM rig, booted with QEMU -icount shift=0,sleep=off
# and one vCPU (guest ns are then instructions; vm-facts.md), so that
# configurations can be compared exactly (`ninja -C build bench-icount`):
#   tests/vm/run.sh --build-dir BUILD --series 6.12 --script tests/bench/icount.sh \
#     --qemu-arg -icount --qemu-arg shift=0,sleep=off --qemu-arg -smp --qemu-arg 1
# Rows, each measured in every round (rounds interleave the configurations;
# medians of rounds of medians): the floor (no program), IPPROTO_MPTCP asked
# directly, an fmod_ret program that only returns 0 (the floor of any hook
# design), one that adds and reads the comm (other_fmodret), mptcpify not
# selecting the caller (1 comm rule; 10,000 comm + 1,000 cgroup rules with
# the caller in the root cgroup and 10 levels deep), and mptcpify selecting
# it (by comm; by a cgroup rule 9 levels above it). Knobs: ICOUNT_ITERS,
# ICOUNT_REPS, ICOUNT_ROUNDS, ICOUNT_COMM_RULES, ICOUNT_SIBLINGS (cgroup rules
# per level), ICOUNT_CLI (another mptcpify binary to measure, such as an
# older build copied into the image: two builds compared in one boot).
# Exit status 1 when a row got the wrong protocol.
ITERS=${ICOUNT_ITERS:-20000} REPS=${ICOUNT_REPS:-5} ROUNDS=${ICOUNT_ROUNDS:-3}
NCOMM=${ICOUNT_COMM_RULES:-10000} NSIB=${ICOUNT_SIBLINGS:-100}
P=/usr/libexec/mptcpify-test
CG=/sys/fs/cgroup
DEEP=$CG/bc/b1/b2/b3/b4/b5/b6/b7/b8/b9/b10
OUT=/tmp/icount.txt
bad=0
: >$OUT

. /suite/bench/bench-lib.sh
if [ -n "${ICOUNT_CLI:-}" ]; then
	mptcpify() { "$ICOUNT_CLI" "$@"; }
fi
measure() {  # measure ROW EXPECTED_PROTO CGROUP [SOCKLOOP ARGS]
	row=$1 want=$2 dir=$3; shift 3
	out=$(in_cg "$dir" $P/sockloop --iters "$ITERS" --reps "$REPS" "$@")
	proto=$(echo "$out" | sed -n 's/^protocol=//p' | head -n 1)
	med=$(echo "$out" | sed -n 's/^median_ns_per_iter=//p')
	[ "$proto" = "$want" ] || { echo "row $row: protocol $proto, expected $want" >&2; bad=1; }
	echo "$row $med" >>$OUT
}
mkdir -p $DEEP
# Warm-up: the first runs of a boot cost more.
$P/sockloop --iters "$ITERS" --reps 2 >/dev/null
for round in $(seq "$ROUNDS"); do
	mptcpify unload >/dev/null 2>&1
	measure floor 6 $CG
	measure floor_deep 6 $DEEP
	measure direct 262 $CG --proto mptcp
	mkdir -p /sys/fs/bpf/bench
	$P/other-fmodret /sys/fs/bpf/bench/empty --empty >/dev/null
	measure empty 6 $CG
	rm /sys/fs/bpf/bench/empty
	$P/other-fmodret /sys/fs/bpf/bench/other >/dev/null
	measure other 6 $CG
	rm /sys/fs/bpf/bench/other
	mptcpify attach --runtime --comm nothing >/dev/null
	measure rule1 6 $CG
	# Where backstops are attached, what each copy costs: the same row with
	# fewer (MPTCPIFY_BACKSTOPS; bench-backstops has the sockets each loses).
	auto=$(status_number backstops)
	if [ "${auto:-0}" -gt 0 ]; then
		for b in $(seq 0 $((auto - 1))); do
			mptcpify unload >/dev/null
			MPTCPIFY_BACKSTOPS=$b mptcpify attach --runtime --comm nothing >/dev/null
			measure rule1_b$b 6 $CG
		done
		mptcpify unload >/dev/null
		mptcpify attach --runtime --comm nothing >/dev/null
	fi
	big_rules "$NCOMM" "$NSIB" $CG/bs   # 1,000 cgroup rules by default
	measure big_root 6 $CG
	measure big_deep 6 $DEEP
	mptcpify unload >/dev/null
	mptcpify attach --runtime --comm sockloop >/dev/null
	measure selected 262 $CG
	mptcpify unload >/dev/null
	mptcpify attach --runtime --cgroup $CG/bc/b1 >/dev/null
	measure cgsel_deep 262 $DEEP
	backstops=$(status_number backstops)
	mptcpify unload >/dev/null
done
med() { awk -v r="$1" '$1 == r { print $2 }' $OUT | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
floor=$(med floor) empty=$(med empty) direct=$(med direct) floor_deep=$(med floor_deep)
echo "instructions per socket()+close(), QEMU -icount, kernel $(uname -r), $(date -u +%F)${ICOUNT_CLI:+, $ICOUNT_CLI}"
echo "medians of $ROUNDS rounds of $ITERS x $REPS; backstops attached by mptcpify: ${backstops:-?}"
pct() { awk -v a="$1" -v b="$2" -v f="$3" 'BEGIN { printf "%+.1f%%", (a - b) * 100 / f }'; }
printf '  %-44s %10s  %s\n' "row" "instr" "vs"
printf '  %-44s %10.0f\n' "no program (floor)" "$floor"
printf '  %-44s %10.0f  floor %s\n' "IPPROTO_MPTCP directly, no program" "$direct" "$(pct "$direct" "$floor" "$floor")"
printf '  %-44s %10.0f  floor %s\n' "empty fmod_ret program (return 0)" "$empty" "$(pct "$empty" "$floor" "$floor")"
printf '  %-44s %10.0f  empty %s\n' "other_fmodret (atomic add + comm)" "$(med other)" "$(pct "$(med other)" "$empty" "$floor")"
printf '  %-44s %10.0f  empty %s\n' "ours, not selected, 1 comm rule" "$(med rule1)" "$(pct "$(med rule1)" "$empty" "$floor")"
for b in 0 1 2; do
	v=$(med rule1_b$b)
	[ -n "$v" ] && printf '  %-44s %10.0f  empty %s\n' "ours, not selected, 1 comm rule, $b backstops" "$v" \
		"$(pct "$v" "$empty" "$floor")"
done
printf '  %-44s %10.0f  empty %s\n' "ours, not selected, 11k rules, root cgroup" "$(med big_root)" "$(pct "$(med big_root)" "$empty" "$floor")"
printf '  %-44s %10.0f  empty+deep %s\n' "ours, not selected, 11k rules, 10 deep" "$(med big_deep)" \
	"$(pct "$(med big_deep)" "$(awk -v e="$empty" -v f="$floor" -v d="$floor_deep" 'BEGIN { print e - f + d }')" "$floor")"
printf '  %-44s %10.0f  target %s\n' "ours, selected by comm" "$(med selected)" \
	"$(pct "$(med selected)" "$(awk -v d="$direct" -v e="$empty" -v f="$floor" 'BEGIN { print d + e - f }')" "$floor")"
printf '  %-44s %10.0f  target %s\n' "ours, selected by cgroup 9 levels up, 10 deep" "$(med cgsel_deep)" \
	"$(pct "$(med cgsel_deep)" "$(awk -v d="$direct" -v e="$empty" -v f="$floor" -v fd="$floor_deep" 'BEGIN { print d + e - f + fd - f }')" "$floor")"
echo "  (vs: the row minus its baseline, as a share of the floor; targets: not selected <= empty + 1%"
echo "   (+3% with backstops); selected <= direct MPTCP + (empty - floor) + 3%)"
exit $bad
