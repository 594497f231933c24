#!/bin/bash
# run-all.sh — build and run every test, then count the results.
#
#   tests/run-all.sh [MESON-TEST-ARGS...]     e.g. --suite vm, --no-suite vm
#
# Configures ./build when it does not exist yet (BUILD_DIR overrides), builds,
# runs `meson test --print-errorlogs`, then prints one count over everything:
# each TAP result of a TAP test (the VM suite gives one per guest test) and
# each other test as one. The last line is always "N passed, N failed,
# N skipped"; the exit status is non-zero when anything failed.
set -uo pipefail
# One block, parsed whole before it runs: bash reads scripts as it goes,
# so editing this file under a running test would otherwise break that run.
{

cd "$(dirname "$0")/.." || exit 1
build=${BUILD_DIR:-build}

summary_fail() { echo "run-all: $*" >&2; echo "0 passed, 1 failed, 0 skipped"; exit 1; }

if [ ! -e "$build/build.ninja" ]; then
	meson setup "$build" || summary_fail "meson setup failed"
fi
meson compile -C "$build" || summary_fail "build failed"

meson test -C "$build" --print-errorlogs "$@"
mrc=$?

log=$build/meson-logs/testlog.json
[ -e "$log" ] || summary_fail "no $log (meson test exited $mrc)"
meson introspect "$build" --tests >"$build/meson-logs/tests-introspect.json" 2>/dev/null ||
	echo '[]' >"$build/meson-logs/tests-introspect.json"

python3 - "$log" "$build/meson-logs/tests-introspect.json" "$mrc" <<'EOF'
import json, re, sys

logfile, introfile, mrc = sys.argv[1], sys.argv[2], int(sys.argv[3])
protocol = {t["name"]: t.get("protocol", "exitcode") for t in json.load(open(introfile))}

tap_line = re.compile(r"^(not ok|ok)\b(.*)$")
passed = failed = skipped = 0
for line in open(logfile):
    t = json.loads(line)
    # testlog names read "project:suite / name"; introspection has "name".
    name, result = t["name"], t["result"]
    if protocol.get(name.rsplit(" / ", 1)[-1]) == "tap":
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

if mrc != 0 and failed == 0:
    failed = 1  # meson said it failed; never report a clean run then
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
EOF
exit
}
