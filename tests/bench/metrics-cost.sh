#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# metrics-cost.sh: CPU time the daemon spends writing its metrics file, with
# METRICS_RULES comm rules (default 1000) and METRICS_CONNS MPTCP connections
# held open (default 1000: 2000 MPTCP sockets, both ends being local). The
# daemon runs by hand (no systemd in this guest) with metrics-interval = 1;
# its CPU time (/proc/PID/schedstat, ns) is read over METRICS_SECONDS with
# metrics-dir set, then over as long with it unset (a reload): the difference
# per write is the cost. Rows for fewer rules and connections come first.
# A guest script for the VM rig (tests/bench/meson.build: bench-metrics):
#   tests/vm/run.sh --build-dir BUILD --series 6.12 --script tests/bench/metrics-cost.sh
# Under TCG: times are the emulated machine's, several times a real one's.
. /suite/bench/bench-lib.sh
NRULES=${METRICS_RULES:-1000} NCONNS=${METRICS_CONNS:-1000} T=${METRICS_SECONDS:-20}
C=/run/metrics-cost
OUT=/var/lib/metrics-cost
bad=0

cpu_ns() { cut -d' ' -f1 "/proc/$1/schedstat"; }

# conf RULES METRICS(yes/no): the configuration, rules r1..rRULES plus
# connhold.
conf() {
	{
		echo "[select]"
		echo "comm = connhold"
		i=1
		while [ "$i" -le "$1" ]; do echo "comm = r$i"; i=$((i + 1)); done
		if [ "$2" = yes ]; then
			printf '[daemon]\nmetrics-dir = %s\nmetrics-interval = 1\n' "$OUT"
		fi
	} >"$C/mptcpify.conf"
}

# row LABEL RULES CONNS: one line, ms of CPU per write.
row() {
	rm -rf "$OUT"; mkdir -p "$OUT"
	conf "$2" yes
	MPTCPIFY_CONFIG_DIR=$C mptcpify daemon >/tmp/mc-daemon.log 2>&1 &
	d=$!
	wait_until 60 test -s "$OUT/mptcpify.prom"
	holder=''
	if [ "$3" -gt 0 ]; then
		$PROGDIR/connhold -n "$3" -H 3600 >/tmp/mc-hold.out &
		holder=$!
		wait_until 120 grep -q '^connections=' /tmp/mc-hold.out
	fi
	sleep 2   # the first writes after the change, and the loader's start, not counted
	lines=$(wc -l <"$OUT/mptcpify.prom") bytes=$(wc -c <"$OUT/mptcpify.prom")
	grep -q "^mptcpify_program_connections{comm=\"connhold\",verdict=\"one_path\"} $((2 * $3))\$" "$OUT/mptcpify.prom" ||
		[ "$3" = 0 ] || { echo "row $1: the file does not count $3 connections" >&2; bad=1; }
	a0=$(cpu_ns $d); sleep "$T"; a1=$(cpu_ns $d)
	conf "$2" no
	kill -HUP $d
	sleep 2
	b0=$(cpu_ns $d); sleep "$T"; b1=$(cpu_ns $d)
	awk -v l="$1" -v a=$((a1 - a0)) -v b=$((b1 - b0)) -v t="$T" -v lines="$lines" -v bytes="$bytes" \
		'BEGIN { printf "  %-36s %9.1f %9.1f %9.2f %6d %8d\n", l, a / 1e6 / t, b / 1e6 / t, (a - b) / 1e6 / t, lines, bytes }'
	[ -n "$holder" ] && kill $holder
	kill $d
	wait $d 2>/dev/null
	[ -n "$holder" ] && wait $holder 2>/dev/null
	mptcpify unload >/dev/null 2>&1
}

mkdir -p $C
mptcpify unload >/dev/null 2>&1
echo "daemon CPU time for its metrics file, QEMU TCG, kernel $(uname -r), $(date -u +%F)"
echo "metrics-interval = 1, $T s per column; ms of CPU per second, i.e. per write"
printf '  %-36s %9s %9s %9s %6s %8s\n' row "metrics" "none" "per write" lines bytes
row "no rules, no connections" 0 0
row "$NRULES comm rules" "$NRULES" 0
row "$NRULES comm rules, $NCONNS connections" "$NRULES" "$NCONNS"
echo "  (metrics: the daemon's CPU with metrics-dir set; none: the same daemon after a reload"
echo "   without it; connections: both ends local, $((2 * NCONNS)) MPTCP sockets counted)"
exit $bad
