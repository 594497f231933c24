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
# Lines "ID FILE FUNCTION TIMEOUT", in file order. A "# timeout: N" comment
# anywhere in the comment block right above the function sets its limit.
discover() {
	local f
	for f in "$CASES"/*.sh; do
		[ -e "$f" ] || continue
		awk -v file="$f" -v def="$TIMEOUT" '
			BEGIN { id = file; sub(/.*\//, "", id); sub(/\.sh$/, "", id); t = "" }
			/^[ \t]*#/ { if (match($0, /timeout:[ \t]*[0-9]+/)) { s = substr($0, RSTART, RLENGTH); gsub(/[^0-9]/, "", s); t = s }; next }
			/^[ \t]*(function[ \t]+)?test_[A-Za-z0-9_]+[ \t]*(\(\))?[ \t]*(\{|$)/ {
				line = $0
				sub(/^[ \t]*(function[ \t]+)?/, "", line)
				match(line, /^test_[A-Za-z0-9_]+/)
				fn = substr(line, 1, RLENGTH)
				# "# timeout: N" on the definition line itself counts too
				if (match(line, /timeout:[ \t]*[0-9]+/)) { s = substr(line, RSTART, RLENGTH); gsub(/[^0-9]/, "", s); t = s }
				if (line ~ /^test_[A-Za-z0-9_]+[ \t]*\(\)/ || $0 ~ /^[ \t]*function/)
					print id "/" fn, file, fn, (t == "" ? def : t)
				t = ""; next
			}
			{ t = "" }' "$f"
	done
}

selected() { # ID FUNCTION: does the filter pick this test?
	local g
	[ -z "${MPTCPIFY_VM_TESTS:-}" ] && return 0
	local IFS=,
	for g in $MPTCPIFY_VM_TESTS; do
		# shellcheck disable=SC2053 # glob match is the point
		[[ $1 == $g || $2 == $g ]] && return 0
	done
	return 1
}

# --- cleanup between tests ------------------------------------------------------
BASELINE=" 1 $$ "
ancestors() { local p=$1; while [ "$p" -gt 1 ]; do echo "$p"; p=$(awk '{ print $4 }' "/proc/$p/stat"); done; }

kill_strays() {
	local keep pid p
	keep="$BASELINE $(ancestors $BASHPID | tr '\n' ' ')"
	for p in /proc/[0-9]*; do
		pid=${p#/proc/}
		case " $keep " in *" $pid "*) continue ;; esac
		# Kernel threads have no command line.
		[ -s "$p/cmdline" ] || continue
		kill -KILL "$pid" 2>/dev/null
	done
}

cleanup() {
	local d i
	[ -x /usr/sbin/mptcpify ] && /usr/sbin/mptcpify unload >/dev/null 2>&1
	# The saved selection would come back at the next test's first attach.
	rm -rf /etc/mptcpify
	kill_strays
	# Pinned leftovers (any pin root a test chose): the suite owns bpffs.
	rm -rf /sys/fs/bpf/* 2>/dev/null
	/usr/sbin/ip -all netns delete 2>/dev/null
	# Links a test made in the initial namespace.
	for d in $(/usr/sbin/ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'); do
		[ "$d" = lo ] || /usr/sbin/ip link del "$d" 2>/dev/null
	done
	/usr/sbin/ip mptcp endpoint flush 2>/dev/null
	echo 1 >/proc/sys/net/mptcp/enabled 2>/dev/null
	# Test cgroups, children first; a killed process may take a moment to go.
	for i in 1 2 3; do
		find /sys/fs/cgroup -mindepth 1 -maxdepth 1 -type d -name 'test*' 2>/dev/null | grep -q . || break
		find /sys/fs/cgroup -mindepth 1 -depth -type d -path '/sys/fs/cgroup/test*' -exec rmdir {} + 2>/dev/null
		sleep 0.2
	done
}

# --- running one test -----------------------------------------------------------
ms() { local u; read -r u _ </proc/uptime; echo $(( ${u%.*} * 1000 + 10#${u#*.} * 10 )); }

# run_test ID FILE FUNCTION TIMEOUT: output to the console, prefixed with the
# id; sets RES to "PASS", "FAIL reason" or "SKIP reason".
run_test() {
	local id=$1 file=$2 fn=$3 limit=$4 tmp status rc pid wpid reason
	tmp=$WORK/t/${id//\//_}
	rm -rf "$tmp"; mkdir -p "$tmp"
	status=$WORK/status; : >"$status"; rm -f "$WORK/rc" "$WORK/timedout"
	# set -m: the test gets its own process group, so a timeout kills the
	# test and whatever it started in one go.
	set -m
	{
		(
			exec 7>&-	# the result channel is the runner's alone
			cd "$tmp" || exit 1
			export T_NAME=$id T_TMP=$tmp T_STATUS=$status
			. /suite/lib.sh
			. "$file"
			# A subshell of its own: skip and fail end it with exit, and
			# the status must still be written.
			("$fn")
			echo $? >"$WORK/rc"
		) </dev/null 2>&1 | while IFS= read -r line; do printf '%s: %s\n' "$id" "$line"; done
	} &
	pid=$!
	{ sleep "$limit"; echo >"$WORK/timedout"; kill -TERM -- "-$pid"; sleep 2; kill -KILL -- "-$pid"; } >/dev/null 2>&1 &
	wpid=$!
	set +m
	wait "$pid" 2>/dev/null
	kill -KILL -- "-$wpid" 2>/dev/null
	wait "$wpid" 2>/dev/null

	rc=$(cat "$WORK/rc" 2>/dev/null)
	reason=$(grep -m1 '^FAIL ' "$status" | cut -d' ' -f2-)
	if [ -e "$WORK/timedout" ]; then
		RES="FAIL timed out after ${limit}s"
	elif grep -q '^FAIL' "$status"; then
		RES="FAIL ${reason:-failed}"
	elif [ "$rc" = 77 ] && grep -q '^SKIP' "$status"; then
		RES="SKIP $(grep -m1 '^SKIP ' "$status" | cut -d' ' -f2-)"
	elif [ "$rc" = 0 ]; then
		RES="PASS"
	elif [ -z "$rc" ]; then
		RES="FAIL the test shell exited early (exit or signal, no status)"
	else
		RES="FAIL returned $rc"
	fi
	# One line per result: a reason with newlines would break the channel.
	RES=$(echo "$RES" | tr '\n\r' '  ' | sed 's/ *$//')
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
	read -r id _ fn _ <<<"$l"
	selected "$id" "$fn" && tests+=("$l")
done
result "PLAN ${#tests[@]}"
echo "run-suite: ${#tests[@]} of ${#all[@]} tests${MPTCPIFY_VM_TESTS:+ matching $MPTCPIFY_VM_TESTS}"

failed=0
for l in "${tests[@]}"; do
	read -r id file fn limit <<<"$l"
	echo "=== RUN $id"
	t0=$(ms)
	run_test "$id" "$file" "$fn" "$limit"
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
