#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# cgroup-cost.sh: what the cgroup_mkdir/rmdir programs cost per mkdir()+rmdir()
# of a cgroup, with 0 rules, 1000 path rules and 64 patterns (8 directories
# of 8, the new cgroup's directory among them, none matching), in the same
# boot, interleaved over 3 rounds. A guest script for the VM rig, best under
# -icount (tests/bench/meson.build: bench-cgroup):
#   tests/vm/run.sh --build-dir BUILD --series 6.12 --script tests/bench/cgroup-cost.sh \
#     --qemu-arg -icount --qemu-arg shift=0,sleep=off --qemu-arg -smp --qemu-arg 1
N=${BENCH_CG_ITERS:-2000}
LOOP=/usr/libexec/mptcpify-test/cgloop
D=/sys/fs/cgroup/bench
mkdir -p $D/p0 $D/p1 $D/p2 $D/p3 $D/p4 $D/p5 $D/p6 $D/p7 $D/rules
run() { $LOOP $D/p3 "$N" | sed -n 's/^ns_per_mkdir_rmdir=//p'; }
setup() {  # setup none|paths|patterns
	mptcpify unload >/dev/null 2>&1
	case $1 in
	none) return ;;
	loaded) mptcpify attach --runtime --comm nothing >/dev/null ;;
	paths)
		args=""
		for i in $(seq 1000); do mkdir -p $D/rules/r$i; args="$args --cgroup rules/r$i"; done
		mptcpify attach --runtime $args >/dev/null ;;
	patterns)
		args=""
		for p in 0 1 2 3 4 5 6 7; do
			for g in 0 1 2 3 4 5 6 7; do args="$args --cgroup bench/p$p/app$g-*.service"; done
		done
		mptcpify attach --runtime $args >/dev/null ;;
	esac
}
for round in 1 2 3; do
	for c in none loaded paths patterns; do
		setup $c
		echo "round $round $c $(run)"
	done
done | tee /tmp/cg.txt
echo "median instructions per mkdir()+rmdir() of a cgroup:"
for c in none loaded paths patterns; do
	printf '  %-10s %s\n' $c "$(awk -v c=$c '$3 == c { print $4 }' /tmp/cg.txt | sort -n | sed -n 2p)"
done
mptcpify unload >/dev/null 2>&1
