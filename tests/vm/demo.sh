#!/bin/sh
# The vendor guide's scenario, played inside the VM for a human to watch:
# `bash tools/demo.sh` (or `ninja -C build demo`). Uses the real CLI and
# iproute2 by full path. Ends with the guide's check, which is also the
# script's exit status: the MPCapable counters at 2 through mptcpify and
# at 0 once detached.
IP=/sbin/ip; SS=/bin/ss; NSTAT=/bin/nstat
for d in /usr/sbin /usr/bin /sbin /bin; do
	[ -x $d/ss ] && [ "$(readlink $d/ss)" != busybox ] && SS=$d/ss
	[ -x $d/nstat ] && NSTAT=$d/nstat
done
say() { printf '\n\033[1m### %s\033[0m\n' "$*"; }
run() { printf '\033[36m# %s\033[0m\n' "$*"; "$@"; }

# one_iperf3_run FILE: the run's MPCapable counter increments go to FILE too.
one_iperf3_run() {
	$NSTAT -n >/dev/null
	iperf3 -s -1 -D >/dev/null
	sleep 0.5
	iperf3 -c 127.0.0.1 -t 3 >/tmp/iperf3.log 2>&1 &
	sleep 1.5
	run mptcpify connections   # the kernel's view, per program: MPTCP or fallen back
	wait
	tail -4 /tmp/iperf3.log
	run $NSTAT -z 'MPTcpExtMPCapable*' | tee "$1"   # increments of this run only
}

counter() { # FILE NAME: the counter's value in FILE (0 when absent)
	awk -v n="$2" '$1 == n { v = $2 } END { print v + 0 }' "$1"
}

say "1. Enable MPTCP"
run sysctl -w net.mptcp.enabled=1
say "2. mptcpify instead of the SystemTap probe (kernel: $(uname -r))"
run mptcpify status
run mptcpify attach --comm iperf3
say "3. iperf3 through MPTCP: mptcpify connections shows it, MPCapable counters at 2"
one_iperf3_run /tmp/with.txt
run mptcpify list
say "4. Turn it off: mptcpify detach; the same run stays TCP"
run mptcpify detach --comm iperf3
one_iperf3_run /tmp/without.txt
run mptcpify unload
say "5. Did MPTCP really happen? (the walk-through ends here on a real host)"
run mptcpify status
run mptcpify connections
say "6. The guide's check: MPCapable counters at 2 through mptcpify, 0 once detached"
ok=0
for c in MPTcpExtMPCapableSYNRX MPTcpExtMPCapableSYNTX MPTcpExtMPCapableSYNACKRX MPTcpExtMPCapableACKRX; do
	w=$(counter /tmp/with.txt $c) wo=$(counter /tmp/without.txt $c)
	printf '  %-28s %s with mptcpify, %s detached\n' "$c" "$w" "$wo"
	[ "$w" = 2 ] && [ "$wo" = 0 ] || ok=1
done
[ $ok = 0 ] && echo "demo: as in the guide" || echo "demo: NOT as in the guide (expected 2 and 0)"
exit $ok
