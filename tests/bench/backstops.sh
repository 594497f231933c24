#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# backstops.sh: what each backstop copy of the hook buys on a preemptible
# kernel. A guest script for the VM rig (`ninja -C build bench-backstops`):
# for 0 to 3 backstops (MPTCPIFY_BACKSTOPS), 8 `sockloop --storm` processes
# selected by name on the guest's CPUs; prints the sockets that stayed TCP
# (the kernel ran no copy for them) and the calls the primary was skipped
# for. Instructions per copy: tests/bench/icount.sh. Knob: BACKSTOPS_SECONDS
# per storm (default 15).
P=/usr/libexec/mptcpify-test
SEC=${BACKSTOPS_SECONDS:-15}
. /suite/bench/bench-lib.sh
sum() { key=$1; shift; cat "$@" | sed -n "s/^$key=//p" | awk '{ s += $1 } END { print s + 0 }'; }
echo "8 x sockloop --storm $SEC on $(nproc) CPUs, kernel $(uname -r), $(date -u +%F)"
printf '  %-10s %10s %10s %10s %16s\n' backstops sockets tcp "tcp %" "primary skipped"
for n in 0 1 2 3; do
	mptcpify unload >/dev/null 2>&1
	MPTCPIFY_BACKSTOPS=$n mptcpify attach --runtime --comm sockloop >/dev/null || exit 1
	rm -f /tmp/bs.*
	for i in 1 2 3 4 5 6 7 8; do $P/sockloop --storm "$SEC" >/tmp/bs.$i 2>&1 & done
	wait
	total=$(sum sockets /tmp/bs.*) tcp=$(sum tcp /tmp/bs.*)
	printf '  %-10s %10s %10s %10s %16s\n' "$n" "$total" "$tcp" \
		"$(awk -v t="$tcp" -v n="$total" 'BEGIN { printf "%.3f", n ? t * 100 / n : 0 }')" \
		"$(status_number missed_by_kernel)"
done
mptcpify unload >/dev/null
