#!/bin/bash
# run-all.sh — build and run every test, then count the results.
#
#   tests/run-all.sh [--quick] [MESON-TEST-ARGS...]   e.g. --suite vm, --no-suite vm
#
# Configures ./build when it does not exist yet (BUILD_DIR overrides), builds,
# runs `meson test --print-errorlogs`, then prints where the time went (each
# meson test, each VM boot and each case file in it) and one count over
# everything: each TAP result of a TAP test (the VM suite gives one per
# guest test) and each other test as one. The last line is always
# "N passed, N failed, N skipped"; the exit status is non-zero when
# anything failed.
#
# --quick: the host tests (suite unit) and the first kernel of vm_kernels,
# without its long tests (those that raise their time limit) and without
# the storm boots: a few minutes, for day-to-day work. The full run (no
# argument) is what CI runs: run it before a submission.
set -uo pipefail
# One block, parsed whole before it runs: bash reads scripts as it goes,
# so editing this file under a running test would otherwise break that run.
{

cd "$(dirname "$0")/.." || exit 1
build=${BUILD_DIR:-build}

summary_fail() { echo "run-all: $*" >&2; echo "0 passed, 1 failed, 0 skipped"; exit 1; }

quick=0
if [ "${1:-}" = --quick ]; then
	quick=1
	shift
fi

if [ ! -e "$build/build.ninja" ]; then
	meson setup "$build" || summary_fail "meson setup failed"
fi

option() { # NAME: a build option's value
	meson introspect "$build" --buildoptions |
		python3 -c 'import json, sys; print([o["value"] for o in json.load(sys.stdin) if o["name"] == sys.argv[1]][0])' "$1"
}
kernels=$(option vm_kernels | tr ',' ' ')
first=${kernels%% *}

# Downloads in the background, so that they overlap the build and the host
# tests instead of waiting in the first VM boots: the kernels (in the order
# the boots want them), then the systemd suite's Debian root. The suites
# need nothing from here: fetch-kernels.sh and mkrootfs.sh lock their
# caches, so a boot that wants a kernel still being fetched waits for it,
# and any failure is found again, and reported, by the test that needs it.
prefetch_log=$build/meson-logs/prefetch.log
mkdir -p "$build/meson-logs"
prefetch() {
	local c s
	c=$(option vm_cache)
	[ -n "$c" ] && export MPTCPIFY_VM_CACHE=$c
	for s in $1; do
		echo "prefetch: kernel $s ($SECONDS s)"
		tests/vm/fetch-kernels.sh "$s" >/dev/null
	done
	if [ "$2" = 1 ] && [ "$(id -u)" = 0 ] && [ -n "$(option vm_systemd_kernels)" ]; then
		echo "prefetch: systemd root ($SECONDS s)"
		tests/vm/systemd/mkrootfs.sh >/dev/null
	fi
	echo "prefetch: done ($SECONDS s)"
}
# Only for the whole run and --quick: a run of some tests (arguments for
# meson test) may need none of it.
prefetch_pid=""
: >"$prefetch_log"
if [ "$quick" = 1 ] && [ $# = 0 ]; then
	prefetch "$first" 0 >"$prefetch_log" 2>&1 &
	prefetch_pid=$!
elif [ $# = 0 ]; then
	prefetch "$kernels" 1 >"$prefetch_log" 2>&1 &
	prefetch_pid=$!
fi
# Not left behind: by the time the tests end it has ended, unless no test
# needed what it fetches.
trap '[ -n "$prefetch_pid" ] && kill "$prefetch_pid" 2>/dev/null' EXIT

meson compile -C "$build" || summary_fail "build failed"

if [ "$quick" = 1 ]; then
	echo "run-all: quick run: suite unit and the short tests of kernel $first (the full run: no --quick)"
	MPTCPIFY_VM_QUICK=1 meson test -C "$build" --print-errorlogs --suite unit --suite "vm-$first" "$@"
else
	meson test -C "$build" --print-errorlogs "$@"
fi
mrc=$?
if [ -s "$prefetch_log" ]; then
	echo "Background downloads (seconds since run-all started):"
	sed 's/^/  /' "$prefetch_log" | tail -n 8
fi

log=$build/meson-logs/testlog.json
[ -e "$log" ] || summary_fail "no $log (meson test exited $mrc)"
meson introspect "$build" --tests >"$build/meson-logs/tests-introspect.json" 2>/dev/null ||
	echo '[]' >"$build/meson-logs/tests-introspect.json"

python3 - "$log" "$build/meson-logs/tests-introspect.json" "$mrc" <<'EOF'
import json, re, sys

logfile, introfile, mrc = sys.argv[1], sys.argv[2], int(sys.argv[3])
protocol = {t["name"]: t.get("protocol", "exitcode") for t in json.load(open(introfile))}

tap_line = re.compile(r"^(not ok|ok)\b(.*)$")
boot_line = re.compile(r"^# boot-time: (\S+) ([\d.]+) s(.*)$")
time_line = re.compile(r"^#\s+time: (\S+) ([\d.]+)")
passed = failed = skipped = 0
durations, boots = [], []   # (seconds, meson test); (name, seconds, details, {case: seconds})
tests_timed = []            # (seconds, test id, boot)
for line in open(logfile):
    t = json.loads(line)
    # testlog names read "project:suite / name"; introspection has "name".
    name, result = t["name"], t["result"]
    durations.append((t.get("duration") or 0, name.rsplit(" / ", 1)[-1], result))
    if protocol.get(name.rsplit(" / ", 1)[-1]) == "tap":
        cases = {}
        for l in (t.get("stdout") or "").splitlines():
            m = boot_line.match(l)
            if m:
                boots.append((m.group(1), float(m.group(2)), m.group(3).strip(" ,"), cases))
            m = time_line.match(l)
            if m:
                tid, secs = m.group(1), float(m.group(2))
                case = tid.rsplit("/", 1)[0]
                cases[case] = cases.get(case, 0) + secs
                tests_timed.append((secs, tid, name.rsplit(" / ", 1)[-1]))
        p = f = s = 0
        for l in (t.get("stdout") or "").splitlines():
            if l.startswith("Bail out!"):
                f += 1
                continue
            m = tap_line.match(l)
            if not m:
                continue
            directive = m.group(2).split("#", 1)[1].strip().upper() if "#" in m.group(2) else ""
            if directive.startswith("SKIP"):
                s += 1
            elif m.group(1) == "ok" or directive.startswith("TODO"):
                p += 1
            else:
                f += 1
        # A TAP test that failed as a whole (timeout, crash, bad plan) with
        # no failing line still counts one failure.
        if result not in ("OK", "SKIP", "EXPECTEDFAIL") and f == 0:
            f += 1
        if result == "SKIP" and p + f + s == 0:
            s += 1
        print(f"  {name}: {p} passed, {f} failed, {s} skipped ({result})")
        passed, failed, skipped = passed + p, failed + f, skipped + s
    elif result in ("OK", "EXPECTEDFAIL"):
        passed += 1
    elif result == "SKIP":
        skipped += 1
    else:
        failed += 1
        print(f"  {name}: {result}")

# Where the time went: every CI log shows which boot or case grew.
print("\nTime per meson test (wall clock, longest first):")
for secs, name, result in sorted(durations, reverse=True):
    print(f"  {secs:7.1f} s  {name} ({result})")
if boots:
    print("Time per VM boot (QEMU start to power-off, retries included), and per case file in it:")
    for bname, secs, details, cases in sorted(boots, key=lambda b: -b[1]):
        print(f"  {secs:7.1f} s  {bname} ({details})")
        for case, csecs in sorted(cases.items()):
            print(f"             {csecs:6.1f} s  {case}")
if tests_timed:
    print("Slowest tests:")
    for secs, tid, bname in sorted(tests_timed, reverse=True)[:12]:
        print(f"  {secs:7.1f} s  {tid} ({bname})")
print()

if mrc != 0 and failed == 0:
    failed = 1  # meson said it failed; never report a clean run then
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
EOF
exit
}
