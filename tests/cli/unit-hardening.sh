#!/bin/bash
# The unit's exposure as systemd rates it, offline: must stay at 2.5 or lower,
# and every sandboxing directive we leave out must be explained in the unit.
# TAP. Usage: unit-hardening.sh BUILD/systemd/mptcpify-bpf.service
unit=$1
echo "1..2"
if ! command -v systemd-analyze >/dev/null; then
	echo "ok 1 - exposure <= 2.5 # SKIP systemd-analyze not installed"
else
	out=$(systemd-analyze security --offline=yes "$unit" 2>&1)
	level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$out")
	if [ -n "$level" ] && awk -v l="$level" 'BEGIN { exit !(l <= 2.5) }'; then
		echo "ok 1 - exposure $level <= 2.5"
	else
		echo "not ok 1 - exposure '${level:-?}' > 2.5"
		sed 's/^/# /' <<<"$out" | grep -v '✓'
	fi
fi
# Directives systemd-analyze counts that the unit does not set must be named
# in a comment with the reason.
missing=""
for d in ProtectKernelTunables ProtectKernelLogs PrivateUsers ProcSubset User; do
	grep -q "^$d=" "$unit" && continue
	grep -q "^#.*$d" "$unit" || missing="$missing $d"
done
if [ -z "$missing" ]; then
	echo "ok 2 - every directive left out has a reason in the unit"
else
	echo "not ok 2 - no reason given for:$missing"
fi
