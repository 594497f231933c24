#!/bin/bash
# The unit's exposure as systemd rates it, offline: must stay at 2.0 or lower,
# as shipped and with what mptcpify-generator adds for metrics-dir (a wider
# sandbox: CAP_SYS_PTRACE, the metrics directory, a sock_diag socket), and
# every sandboxing directive we leave out must be explained in the unit.
# TAP. Usage: unit-hardening.sh BUILD/systemd/mptcpify-bpf.service [BUILD/loader/mptcpify-generator]
unit=$1 generator=${2:-}
max=2.0
echo "1..5"
work=$(mktemp -d /tmp/mptcpify-hardening.XXXXXX)
trap 'rm -rf "$work"' EXIT

# exposure N NAME ROOT: test N, the unit as found under ROOT.
exposure() {
	local out level
	if ! command -v systemd-analyze >/dev/null; then
		echo "ok $1 - $2: exposure <= $max # SKIP systemd-analyze not installed"
		return
	fi
	out=$(systemd-analyze security --offline=yes --root="$3" mptcpify-bpf.service 2>&1)
	level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$out")
	if [ -n "$level" ] && awk -v l="$level" -v m="$max" 'BEGIN { exit !(l <= m) }'; then
		echo "ok $1 - $2: exposure $level <= $max"
	else
		echo "not ok $1 - $2: exposure '${level:-?}' > $max"
		sed 's/^/# /' <<<"$out" | grep -v '✓'
	fi
}

mkdir -p "$work/shipped/etc/systemd/system" "$work/metrics/etc/systemd/system" "$work/conf"
cp "$unit" "$work/shipped/etc/systemd/system/"
cp "$unit" "$work/metrics/etc/systemd/system/"
exposure 1 "as shipped" "$work/shipped"

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

if [ -z "$generator" ]; then
	for i in 3 4 5; do echo "ok $i - generator # SKIP not given"; done
	exit 0
fi
# Without metrics-dir the generator adds nothing: the sandbox stays as shipped.
printf '[select]\ncomm = iperf3\n' >"$work/conf/mptcpify.conf"
out=$(MPTCPIFY_CONFIG_DIR=$work/conf "$generator" "$work/none" "$work/none" "$work/none" 2>&1); rc=$?
mkdir -p "$work/none"
if [ "$rc" = 0 ] && [ -z "$out" ] && [ -z "$(ls -A "$work/none")" ]; then
	echo "ok 3 - no metrics-dir: the generator writes nothing"
else
	echo "not ok 3 - no metrics-dir: the generator writes nothing (exit $rc: $out)"
	ls -laR "$work/none" | sed 's/^/# /'
fi
# With one, exactly that directory becomes writable ('%' is a specifier in
# unit files: doubled), and the exposure stays within bounds.
printf '[daemon]\nmetrics-dir = /var/lib/node exporter%%1\n' >"$work/conf/mptcpify.conf"
d=$work/metrics/etc/systemd/system
MPTCPIFY_CONFIG_DIR=$work/conf "$generator" "$d" "$d" "$d"
if grep -qx 'ReadWritePaths="-/var/lib/node exporter%%1"' "$d/mptcpify-bpf.service.d/50-metrics.conf" 2>/dev/null &&
	grep -qx 'ListenNetlink=inet-diag 0' "$d/mptcpify-sockdiag.socket" 2>/dev/null; then
	echo "ok 4 - metrics-dir: a drop-in opens that directory, a socket unit hands over sock_diag"
else
	echo "not ok 4 - metrics-dir: a drop-in opens that directory, a socket unit hands over sock_diag"
	cat "$d"/mptcpify-bpf.service.d/* "$d"/*.socket 2>&1 | sed 's/^/# /'
fi
exposure 5 "with metrics-dir" "$work/metrics"
