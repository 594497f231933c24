#!/bin/bash
# run-suite.sh — the guest's test runner (started by /init).
#
#   run-suite.sh             every test_* function of /suite/cases/*.sh
#   run-suite.sh --script F  the script F instead (demo or manual session)
#
# Environment (from /init, read off the kernel command line):
#   MPTCPIFY_VM_TESTS    GLOB[,GLOB]: run matching tests only; a test's id is
#                        FILE/FUNCTION, e.g. 00-smoke/test_veth_ping, and a
#                        glob may match the id or the function name
#   MPTCPIFY_VM_GROUP    run one group's tests only (see "groups" below);
#                        empty: every test
#   MPTCPIFY_VM_QUICK    1: skip the tests that raise their time limit
#                        (tests/run-all.sh --quick)
#   MPTCPIFY_VM_TIMEOUT  default per-test limit in seconds (60)
#   MPTCPIFY_VM_RESULTS  the result channel (/dev/ttyS1)
#   MPTCPIFY_VM_NONCE    echoed first on the channel: proves the results
#                        come from this boot
#
# Result channel lines (read by run.sh):
#   HELLO nonce | PLAN n | RESULT PASS|FAIL|SKIP id reason | TIME id ms
#   TAINT n | SUITE-DONE rc
# Test output goes to the console, each line prefixed with the test id.
set -u

CASES=/suite/cases
WORK=/tmp/suite
TIMEOUT=${MPTCPIFY_VM_TIMEOUT:-60}
RESULTS=${MPTCPIFY_VM_RESULTS:-/dev/null}

mkdir -p "$WORK"
if [ -c "$RESULTS" ]; then
	stty -F "$RESULTS" raw -echo 2>/dev/null
fi
exec 7>"$RESULTS"
result() { echo "$*" >&7; }
result "HELLO ${MPTCPIFY_VM_NONCE:-}"

# --- discovery -------------------------------------------------------------
# Lines "ID FILE FUNCTION TIMEOUT ONCE GROUP", in file order. A "# timeout: N"
# comment anywhere in the comment block right above the function sets its
# limit; a "# once: WHY" line there marks a test that does not depend on the
# kernel (ONCE=1): it runs in one series only (MPTCPIFY_VM_ONCE=1, the first
# of vm_kernels) and is skipped in the others, which saves CI minutes.
#
# Groups: CI boots each kernel several times, one group of tests per boot
# (tests/vm/meson.build), so that no boot comes near its time limit and
# boots with one vCPU run side by side on the host's two cores. A test
# that needs two vCPUs (socket storms across CPUs, real-time hogs) says
# "# vcpus: 2" in its comment block and belongs to group "smp2", booted
# with -smp 2. Every other test belongs to its file's group: a line
# "# boot: NAME" in the file (at the start of a line, outside any
# function), or "a" when the file has none.
discover() {
	local f
	for f in "$CASES"/*.sh; do
		[ -e "$f" ] || continue
		awk -v file="$f" -v def="$TIMEOUT" '
			BEGIN {
				id = file; sub(/.*\//, "", id); sub(/\.sh$/, "", id); t = ""; once = 0; smp2 = 0
				group = "a"
				while ((getline l < file) > 0)
					if (l ~ /^#[ \t]*boot:[ \t]*[A-Za-z0-9_-]+/) { sub(/^#[ \t]*boot:[ \t]*/, "", l); sub(/[^A-Za-z0-9_-].*/, "", l); group = l }
				close(file)
			}
			/^[ \t]*#/ {
				if (match($0, /timeout:[ \t]*[0-9]+/)) { s = substr($0, RSTART, RLENGTH); gsub(/[^0-9]/, "", s); t = s }
				if ($0 ~ /^[ \t]*#[ \t]*once:/) once = 1
				if ($0 ~ /^[ \t]*#[ \t]*vcpus:[ \t]*2/) smp2 = 1
				next
			}
			/^[ \t]*(function[ \t]+)?test_[A-Za-z0-9_]+[ \t]*(\(\))?[ \t]*(\{|$)/ {
				line = $0
				sub(/^[ \t]*(function[ \t]+)?/, "", line)
				match(line, /^test_[A-Za-z0-9_]+/)
				fn = substr(line, 1, RLENGTH)
				# "# timeout: N" on the definition line itself counts too
				if (match(line, /timeout:[ \t]*[0-9]+/)) { s = substr(line, RSTART, RLENGTH); gsub(/[^0-9]/, "", s); t = s }
				if (line ~ /^test_[A-Za-z0-9_]+[ \t]*\(\)/ || $0 ~ /^[ \t]*function/)
					print id "/" fn, file, fn, (t == "" ? def : t), once, (smp2 ? "smp2" : group)
				t = ""; once = 0; smp2 = 0; next
			}
			{ t = ""; once = 0; smp2 = 0 }' "$f"
	done
}

# The filter's globs, split on commas (read -a: no pathname expansion).
IFS=, read -ra GLOBS <<<"${MPTCPIFY_VM_TESTS:-}"
selected() { # ID FUNCTION: does the filter pick this test?
	local g
	[ "${#GLOBS[@]}" = 0 ] && return 0
	for g in "${GLOBS[@]}"; do
		# shellcheck disable=SC2053 # glob match is the point
		[[ $1 == $g || $2 == $g ]] && return 0
	done
	return 1
}

# --- cleanup between tests ------------------------------------------------------
# Everything but init, this runner and kernel threads is a test's leftover.
# Only the main shell calls this (run-suite.sh is init's direct child).
kill_strays() {
	local p pid c
	for p in /proc/[0-9]*; do
		pid=${p#/proc/}
		[ "$pid" = 1 ] || [ "$pid" = $$ ] && continue
		# Kernel threads (and zombies) have an empty command line; procfs
		# files have no size, so read it.
		c=""
		IFS= read -r -d '' c <"$p/cmdline" 2>/dev/null
		[ -n "$c" ] || continue
		kill -KILL "$pid" 2>/dev/null
	done
}

# Back to a clean machine. Bash globs first, so that the usual case (nothing
# left over) costs one exec per step at most: every exec is slow under TCG.
cleanup() {
	local d i
	kill_strays
	# mptcpify's state lives in bpffs: with nothing pinned there is nothing
	# to unload (and a dynamic exec costs ~0.1 s under TCG). Pins left
	# after the unload (any pin root a test chose) go too: the suite owns
	# bpffs.
	set -- /sys/fs/bpf/*
	if [ -e "$1" ]; then
		[ -x /usr/sbin/mptcpify ] && /usr/sbin/mptcpify unload >/dev/null 2>&1
		rm -rf /sys/fs/bpf/*
	fi
	# The saved selection would come back at the next test's first attach.
	[ -e /etc/mptcpify ] && rm -rf /etc/mptcpify
	for d in /run/netns/*; do [ -e "$d" ] && /usr/sbin/ip netns delete "${d##*/}"; done
	# Links a test made in the initial namespace.
	for d in /sys/class/net/*; do
		[ "${d##*/}" = lo ] || [ ! -e "$d" ] || /usr/sbin/ip link del "${d##*/}" 2>/dev/null
	done
	/usr/sbin/ip mptcp endpoint flush 2>/dev/null
	# Files a test left in /tmp (the runner's own live in $WORK).
	for d in /tmp/* /tmp/.[!.]*; do
		[ -e "$d" ] && [ "$d" != "$WORK" ] && rm -rf "$d"
	done
	echo 1 >/proc/sys/net/mptcp/enabled 2>/dev/null
	# Test cgroups, children first; a killed process may take a moment to go.
	for i in 1 2 3 4 5; do
		set -- /sys/fs/cgroup/test*
		[ -e "$1" ] || break
		find "$@" -depth -type d -exec rmdir {} + 2>/dev/null
		sleep 0.2
	done
}

# --- running one test -----------------------------------------------------------
ms() { local u; read -r u _ </proc/uptime; echo $(( ${u%.*} * 1000 + 10#${u#*.} * 10 )); }

first_line() { # PREFIX FILE: rest of the first line of FILE starting with PREFIX
	local l
	while IFS= read -r l; do
		case $l in "$1"*) echo "${l#"$1"}"; return 0 ;; esac
	done <"$2"
	return 1
}

# run_test ID FILE FUNCTION TIMEOUT: output to the console, prefixed with the
# id; sets RES to "PASS", "FAIL reason" or "SKIP reason".
run_test() {
	local id=$1 file=$2 fn=$3 limit=$4 tmp status rc pid wpid ppid why
	tmp=$WORK/t/${id//\//_}
	rm -rf "$tmp"; mkdir -p "$tmp"
	status=$WORK/status; : >"$status"; rm -f "$WORK/timedout"
	# The prefixer reads a fifo, not a pipe from the test: a server the test
	# left running in the background would hold a pipe open, and the runner
	# would wait for it. The runner waits for the test shell alone.
	rm -f "$WORK/out"; mkfifo "$WORK/out"
	while IFS= read -r line; do printf '%s: %s\n' "$id" "$line"; done <"$WORK/out" &
	ppid=$!
	# set -m: the test gets its own process group, so one kill ends the test
	# and whatever it started.
	set -m
	(
		exec 7>&-	# the result channel is the runner's alone
		cd "$tmp" || exit 1
		export T_NAME=$id T_TMP=$tmp T_STATUS=$status
		. /suite/lib.sh
		. "$file"
		"$fn"
	) >"$WORK/out" 2>&1 </dev/null &
	pid=$!
	{ sleep "$limit"; : >"$WORK/timedout"; kill -TERM -- "-$pid"; sleep 2; kill -KILL -- "-$pid"; } >/dev/null 2>&1 &
	wpid=$!
	set +m
	# The subshell's status: its return, fail's/skip's exit, or 128+signal.
	wait "$pid" 2>/dev/null
	rc=$?
	# Whatever the test left behind in its group goes now, then the watchdog.
	kill -KILL -- "-$pid" 2>/dev/null
	kill -KILL -- "-$wpid" 2>/dev/null
	wait "$wpid" 2>/dev/null
	# The prefixer ends when the last writer is gone; one that escaped the
	# group (setsid) is killed by cleanup's kill_strays after 2 s.
	local i
	for ((i = 0; i < 20; i++)); do
		kill -0 "$ppid" 2>/dev/null || break
		sleep 0.1
	done
	kill_strays
	wait "$ppid" 2>/dev/null

	if [ -e "$WORK/timedout" ]; then
		RES="FAIL timed out after ${limit}s"
	elif why=$(first_line "FAIL " "$status") || first_line FAIL "$status" >/dev/null; then
		RES="FAIL ${why:-failed}"
	elif [ "$rc" = 77 ] && why=$(first_line "SKIP" "$status"); then
		why=${why# }
		RES="SKIP ${why:-no reason given}"
	elif [ "$rc" = 0 ]; then
		RES="PASS"
	elif [ "$rc" -gt 128 ]; then
		RES="FAIL the test shell was killed by signal $((rc - 128))"
	else
		RES="FAIL returned $rc"
	fi
	# One line per result: a reason with newlines would break the channel.
	RES=${RES//[$'\n\r']/ }
	rm -rf "$tmp"
}

# --- main -------------------------------------------------------------------------
cleanup
if [ "${1:-}" = --script ]; then
	# A demo or manual script: run as a program with lib.sh loaded, stdin
	# from the console; its exit status is its one result.
	id=script/$(basename "$2" .sh)
	result "PLAN 1"
	echo "=== RUN $id"
	t0=$(ms)
	(exec 7>&-; cd /tmp && export T_NAME=$id T_TMP=/tmp && . /suite/lib.sh && . "$2") </dev/console
	rc=$?
	result "TIME $id $(( $(ms) - t0 ))"
	if [ "$rc" -eq 0 ]; then result "RESULT PASS $id"; else result "RESULT FAIL $id exited $rc"; fi
	cleanup
	result "TAINT $(cat /proc/sys/kernel/tainted)"
	result "SUITE-DONE $([ "$rc" -eq 0 ] && echo 0 || echo 1)"
	exec 7>&-
	exit 0
fi

mapfile -t all < <(discover)
tests=()
for l in "${all[@]}"; do
	read -r id _ fn _ _ group <<<"$l"
	[ -z "${MPTCPIFY_VM_GROUP:-}" ] || [ "$group" = "$MPTCPIFY_VM_GROUP" ] || continue
	selected "$id" "$fn" && tests+=("$l")
done
result "PLAN ${#tests[@]}"
echo "run-suite: ${#tests[@]} of ${#all[@]} tests${MPTCPIFY_VM_GROUP:+ in group $MPTCPIFY_VM_GROUP}${MPTCPIFY_VM_TESTS:+ matching $MPTCPIFY_VM_TESTS}, $(nproc) vCPUs"

failed=0
for l in "${tests[@]}"; do
	read -r id file fn limit once group <<<"$l"
	echo "=== RUN $id"
	t0=$(ms)
	if [ "$once" = 1 ] && [ "${MPTCPIFY_VM_ONCE:-1}" = 0 ]; then
		RES="SKIP does not depend on the kernel: runs in the first series of vm_kernels"
	elif [ "${MPTCPIFY_VM_QUICK:-0}" = 1 ] && [ "$limit" -gt "$TIMEOUT" ]; then
		RES="SKIP a long test (its time limit is raised): the full run has it, --quick does not"
	else
		run_test "$id" "$file" "$fn" "$limit"
	fi
	dt=$(( $(ms) - t0 ))
	st=${RES%% *}; why=${RES#"$st"}; why=${why# }
	echo "--- $st $id ($((dt / 1000)).$(( (dt % 1000) / 100 ))s)${why:+: $why}"
	result "TIME $id $dt"
	result "RESULT $st $id $why"
	[ "$st" = FAIL ] && failed=$((failed + 1))
	cleanup
done

result "TAINT $(cat /proc/sys/kernel/tainted)"
echo "run-suite: done, $failed failed"
result "SUITE-DONE $failed"
exec 7>&-
exit 0
