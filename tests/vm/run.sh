#!/bin/bash
# run.sh — boot one kernel series in QEMU, run the VM suite, print TAP.
#
#   run.sh --build-dir DIR --series 6.12 [--group NAME] [--tests GLOB[,GLOB]]
#          [--script FILE] [--smp N] [--name NAME] [--quick] [--timeout SEC]
#          [--expect-hook 0|1] [--once 0|1] [--verbose] [--interactive]
#          [--append ARGS] [--qemu-arg ARG]...
#
# --group     only the tests of one group (run-suite.sh, "groups"): CI
#             boots each kernel once per group
# --tests     only tests whose id (FILE/FUNCTION, e.g. 00-smoke/test_mounts)
#             or function name matches
# --smp       vCPUs of the guest (default 2); group smp2 needs 2
# --name      names this boot's files (default SERIES, or SERIES-GROUP), so
#             that boots of one kernel can run side by side
# --quick     skip the tests that raise their time limit, and skip the
#             whole boot when it needs two vCPUs or an extra command line
#             (storms); MPTCPIFY_VM_QUICK=1 in the environment does the
#             same (tests/run-all.sh --quick)
# --script    run FILE in the guest (lib.sh loaded) instead of the suite
# --timeout   host-side limit for one boot (default 600 s); a boot that
#             brings no SUITE-DONE back is retried once
# --append    more kernel command line (e.g. preempt=full)
# --qemu-arg  one more QEMU argument, repeatable (e.g. -icount, then
#             shift=0,sleep=off; a later -smp overrides the rig's -smp 2)
# --verbose   copy the guest console to stderr as it comes
# --interactive  with --script: the terminal is the guest console's input
#             (QEMU's Ctrl-A X quits); no retry
#
# Files, under DIR: vm-rig/ (initramfs, result channel) and meson-logs/
# vm-SERIES-console.log (console of the boot whose results count; a failed
# first boot is kept as vm-SERIES-console.1.log).
# Exit status 0 iff nothing failed.
set -uo pipefail
# One block, parsed whole before it runs: bash reads scripts as it goes,
# so editing this file under a running test would otherwise break that run.
{

HERE=$(cd "$(dirname "$0")" && pwd)
build="" series="" tests="" script="" extra_append="" qemu_extra=() timeout=600 verbose=0 expect_hook="" interactive=0 once=1
group="" smp=2 name="" quick=0
# Seconds from QEMU's start to /init's first line, past which a boot counts
# as hung (about 10 s on an idle machine, 20 s on a loaded one).
boot_deadline=${MPTCPIFY_VM_BOOT_DEADLINE:-90}
usage() { sed -n '3,6p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--build-dir) build=$2; shift 2 ;;
	--series) series=$2; shift 2 ;;
	--tests) tests=$2; shift 2 ;;
	--group) group=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--name) name=$2; shift 2 ;;
	--quick) quick=1; shift ;;
	--script) script=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--append) extra_append=$2; shift 2 ;;
	--qemu-arg) qemu_extra+=("$2"); shift 2 ;;
	--expect-hook) expect_hook=$2; shift 2 ;;
	--once) once=$2; shift 2 ;;
	--verbose) verbose=1; shift ;;
	--interactive) interactive=1; verbose=1; shift ;;
	*) usage ;;
	esac
done
[ -n "$build" ] && [ -n "$series" ] || usage
case $tests in *[[:space:]\"\']*) echo "run.sh: --tests must not contain spaces or quotes" >&2; exit 2 ;; esac
case $group$name in *[!A-Za-z0-9._-]*) echo "run.sh: --group and --name take letters, digits, '.', '_' and '-'" >&2; exit 2 ;; esac
case $smp in [1-9]) ;; *) echo "run.sh: --smp must be 1 to 9" >&2; exit 2 ;; esac
[ -n "$name" ] || name=$series${group:+-$group}
[ "${MPTCPIFY_VM_QUICK:-0}" = 1 ] && quick=1
if [ "$quick" = 1 ] && { [ "$smp" -gt 1 ] || [ -n "$extra_append" ]; }; then
	echo "1..0 # SKIP --quick leaves out the boots of storms (-smp $smp${extra_append:+, $extra_append})"
	exit 0
fi
build=$(cd "$build" && pwd) || exit 2
work=$build/vm-rig
logs=$build/meson-logs
mkdir -p "$work" "$logs"
console=$logs/vm-$name-console.log

n=0 failed=0
ok()     { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
diag()   { sed 's/^/# /'; }

# Set-up failures still speak TAP, so meson shows why.
bail() {
	echo "TAP version 13"; echo "1..1"
	echo "not ok 1 - $1"
	[ -n "${2:-}" ] && echo "$2" | diag
	exit 1
}

elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# --- kernel and image ------------------------------------------------------------
kdir=$("$HERE/fetch-kernels.sh" "$series") || bail "get kernel $series (see stderr)"
krel=$(cat "$kdir/release")
# The bzImage, not the ELF vmlinux inside it: booting that through PVH saved
# ~1.5 s but hung 2 boots of about 20 (7.2, right after SMP bring-up), where
# the bzImage has not hung once.
kernel=$kdir/vmlinuz
if [ -n "$script" ]; then
	[ -r "$script" ] || bail "script $script not found"
fi
t0=$(date +%s.%N)
"$HERE/mkinitramfs.sh" --kernel-dir "$kdir" --build-dir "$build" \
	--out "$work/initramfs-$name.cpio.gz" ${script:+--script "$script"} ||
	bail "build initramfs for $series"
t_image=$(elapsed "$t0")

# update_socket_protocol arrived in Linux 6.6.
if [ -z "$expect_hook" ]; then
	maj=${series%%.*} min=${series#*.}; min=${min%%.*}
	if [ "$maj" -gt 6 ] || { [ "$maj" -eq 6 ] && [ "$min" -ge 6 ]; }; then
		expect_hook=1
	else
		expect_hook=0
	fi
fi

# --- one boot ----------------------------------------------------------------------
# boot RESULTS CONSOLE: sets boot_rc (qemu/timeout status) and boot_secs.
boot() {
	local res=$1 con=$2 append s0
	append="console=ttyS0 panic=-1 quiet loglevel=5"
	append+=" mptcpify.series=$series mptcpify.expect_hook=$expect_hook mptcpify.once=$once"
	append+=" mptcpify.nonce=$nonce"
	[ -n "$tests" ] && append+=" mptcpify.tests=$tests"
	[ -n "$group" ] && append+=" mptcpify.group=$group"
	[ "$quick" = 1 ] && append+=" mptcpify.quick=1"
	[ -n "$script" ] && append+=" mptcpify.script=/suite/script.sh"
	[ -n "${MPTCPIFY_VM_TEST_TIMEOUT:-}" ] && append+=" mptcpify.timeout=$MPTCPIFY_VM_TEST_TIMEOUT"
	[ -n "$extra_append" ] && append+=" $extra_append"
	: >"$res"
	s0=$(date +%s.%N)
	# -cpu max,-cx16: with cmpxchg16b advertised, TCG boots crashed about one
	# in three (vm-facts.md). ttyS0 is the console, ttyS1 the result channel.
	# -nodefaults: no NIC, no VGA; the guest needs neither.
	local qemu=(qemu-system-x86_64 -accel tcg -cpu max,-cx16 -smp "$smp" -m 1G
		-nodefaults -nographic -no-reboot -monitor none
		-serial stdio -serial "file:$res"
		-kernel "$kernel" -initrd "$work/initramfs-$name.cpio.gz"
		-append "$append" "${qemu_extra[@]}")
	: >"$con"
	stuck=0
	if [ "$interactive" = 1 ]; then
		# The terminal is the console: input goes to the guest, output to the
		# screen and the log; mon: keeps QEMU's Ctrl-A X to quit.
		qemu=("${qemu[@]/#stdio/mon:stdio}")
		timeout --foreground -k 10 "$timeout" "${qemu[@]}" 2>&1 | tee "$con"
		boot_rc=${PIPESTATUS[0]}
		boot_secs=$(elapsed "$s0")
		sed -i 's/\r$//' "$res"
		return
	fi
	timeout -k 10 "$timeout" "${qemu[@]}" </dev/null >"$con" 2>&1 &
	local qpid=$! tpid="" deadline=$((SECONDS + boot_deadline))
	[ "$verbose" = 1 ] && { tail -f --pid="$qpid" "$con" >&2 & tpid=$!; }
	# Should a TCG boot hang before userspace, don't wait for the whole
	# timeout: /init announces itself on the console, and a boot that hasn't
	# by the deadline is ended early (and retried).
	while kill -0 "$qpid" 2>/dev/null; do
		grep -aq 'init: series' "$con" && break
		if [ "$SECONDS" -ge "$deadline" ]; then
			stuck=1
			kill -TERM "$qpid" 2>/dev/null
			break
		fi
		sleep 1
	done
	wait "$qpid"
	boot_rc=$?
	[ -n "$tpid" ] && wait "$tpid" 2>/dev/null
	boot_secs=$(elapsed "$s0")
	# The guest's tty may add \r; drop it once here.
	sed -i 's/\r$//' "$res"
}

# Kernel trouble on the console: only printk lines (they carry a timestamp),
# so a test that prints "WARNING:" itself does not count.
KERNEL_BAD='\[ *[0-9]+\.[0-9]{6}\].*(BUG:|WARNING:|Oops|Kernel panic|general protection)'

why_no_result() { # CONSOLE RESULTS
	if [ "$stuck" = 1 ]; then
		echo "stuck before /init for ${boot_deadline}s"
	elif [ "$boot_rc" = 124 ] || [ "$boot_rc" = 137 ]; then
		echo "timeout after ${timeout}s"
	elif grep -qE '\[ *[0-9.]+\] Kernel panic' "$1"; then
		echo "kernel panic"
	elif ! grep -q . "$2"; then
		echo "no result (qemu exited $boot_rc, result channel empty)"
	elif ! grep -qx "HELLO $nonce" "$2"; then
		echo "no result (the channel lacks this boot's nonce)"
	else
		echo "no result (no SUITE-DONE; qemu exited $boot_rc)"
	fi
}

header="TAP version 13"
diags=""
res=$work/results-$name.txt
t_boots=0 attempts=0
for attempt in 1 2; do
	nonce=$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')
	boot "$res" "$console"
	attempts=$attempt
	t_boots=$(awk -v a="$t_boots" -v b="$boot_secs" 'BEGIN { print a + b }')
	if grep -qx "HELLO $nonce" "$res" && grep -q '^SUITE-DONE ' "$res"; then
		diags+="boot $attempt: ${boot_secs} s to power-off (kernel $krel, expect_hook=$expect_hook, image built in ${t_image} s)"$'\n'
		break
	fi
	reason=$(why_no_result "$console" "$res")
	diags+="boot $attempt: $reason after ${boot_secs} s"$'\n'
	diags+=$(grep -aE "$KERNEL_BAD" "$console" | head -n 5)$'\n'
	if [ "$attempt" = 1 ] && [ "$interactive" = 0 ]; then
		cp "$console" "$logs/vm-$name-console.1.log"
		diags+="retrying once; first console kept in $logs/vm-$name-console.1.log"$'\n'
	else
		diags+="giving up; console in $console"$'\n'
		break
	fi
done

# --- TAP -----------------------------------------------------------------------------
done_line=$(grep -m1 '^SUITE-DONE ' "$res" || true)
hello_ok=0; grep -qx "HELLO $nonce" "$res" && hello_ok=1
mapfile -t results < <([ "$hello_ok" = 1 ] && grep '^RESULT ' "$res")
plan=$(awk '$1 == "PLAN" { print $2; exit }' "$res")
taint=$(awk '$1 == "TAINT" { print $2; exit }' "$res")
total=$(( ${#results[@]} + 1 ))          # + kernel log check
[ -n "$done_line" ] && [ "$hello_ok" = 1 ] || total=$((total + 1))
[ -n "$plan" ] && [ "$plan" != "${#results[@]}" ] && total=$((total + 1))
[ "$plan" = 0 ] && total=$((total + 1))

echo "$header"
printf '%s' "$diags" | grep . | diag
# Whole boots (every attempt, QEMU start to power-off), for run-all.sh.
echo "# boot-time: $name $(awk -v a="$t_boots" 'BEGIN { printf "%.1f", a }') s in $attempts boot(s), -smp $smp, limit ${timeout} s"
echo "1..$total"
for r in "${results[@]}"; do
	read -r _ st id why <<<"$r"
	case $st in
	PASS) ok "$id" ;;
	SKIP) ok "$id # SKIP ${why:-no reason given}" ;;
	*)    not_ok "$id"; [ -n "${why:-}" ] && echo "$why" | diag
	      # meson's --print-errorlogs shows stderr only: say it there too.
	      { echo "vm-$name: FAIL $id: ${why:-}"; grep -a "^$id: " "$console" | tail -n 15; } >&2 ;;
	esac
	# Every test's time, for tests/run-all.sh's summary of where CI time goes.
	t=$(awk -v id="$id" '$1 == "TIME" && $2 == id { printf "%.1f", $3 / 1000; exit }' "$res")
	[ -n "$t" ] && echo "# time: $id $t"
	# The test's own output, for whoever reads the TAP log.
	[ "$st" = FAIL ] && grep -a "^$id: " "$console" | tail -n 30 | diag
done

if [ -z "$done_line" ] || [ "$hello_ok" = 0 ]; then
	not_ok "boot $name: $(why_no_result "$console" "$res")"
	tail -n 20 "$console" | diag
fi
if [ -n "$plan" ] && [ "$plan" != "${#results[@]}" ]; then
	not_ok "all results arrived (planned $plan, got ${#results[@]})"
fi
# A boot that ran nothing proves nothing.
if [ "$plan" = 0 ]; then
	not_ok "tests found${tests:+ matching $tests} (none)"
fi

# Taint bits that mean trouble: B bad page (5), D oops (7), W warning (9),
# L soft lockup (14).
bad=$(grep -aE "$KERNEL_BAD" "$console" | head -n 20)
if [ -z "$bad" ] && { [ -z "$taint" ] || [ $(( taint & (32 | 128 | 512 | 16384) )) = 0 ]; }; then
	ok "kernel log clean (taint ${taint:-?})"
else
	not_ok "kernel log clean (taint ${taint:-?})"
	[ -n "$bad" ] && echo "$bad" | diag
fi

if [ "$failed" != 0 ]; then
	{ printf '%s' "$diags" | grep .; echo "vm-$name: $failed of $n failed; console: $console"; } >&2
fi
[ "$failed" = 0 ]
exit
}
