#!/bin/bash
# Guest side of the systemd VM tests: started on every boot by
# mptcpify-test.service (after multi-user.target) from the read-only payload
# disk. Runs the cases, reports on the result channel (/dev/ttyS1), powers off.
#
# Result channel lines (the host trusts nothing else):
#   BOOT n KERNEL-RELEASE          once per boot
#   RESULT PASS|FAIL|SKIP name reason
#   TIME name seconds              how long the test (phase) took
#   DIAG text                      output of a failed test (TAP comments)
#   INFO text                      boot timing and such (TAP comments)
#   REBOOT name phase              a test asked for a reboot: boot again, same disk
#   SUITE-DONE rc                  all selected tests ran (rc 0: none failed)
#
# State kept on the root disk across reboots: /var/lib/mptcpify-test.
set -u
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH

PAYLOAD=$(dirname "$(readlink -f "$0")")
STATE=/var/lib/mptcpify-test
CHAN=/dev/ttyS1
SERIES=unknown TESTS='' GROUP='' TEST_TIMEOUT=300
# shellcheck source=/dev/null
. "$PAYLOAD/config"

stty -F "$CHAN" raw -echo 2>/dev/null
emit() { # to the result channel, and to the console (journal) but for DIAG
	printf '%s\n' "$*" >"$CHAN"
	case $1 in DIAG*) ;; *) printf 'mptcpify-test: %s\n' "$*" ;; esac
}
finish() { # rc
	emit "SUITE-DONE $1"
	sync
	systemctl poweroff --no-block
	exit 0
}

t_runner=$SECONDS
mkdir -p "$STATE/tests" "$STATE/logs"
boot=$(($(cat "$STATE/boots" 2>/dev/null || echo 0) + 1))
echo "$boot" >"$STATE/boots"
emit "BOOT $boot $(uname -r)"

# --- first boot: install the package (dpkg, as an admin would) ---
# The result is one test of its own (install/dpkg); what the package left
# enabled or running right after installing it goes to $STATE/after-install
# for 90-package.
if [ ! -e "$STATE/installed" ]; then
	for deb in "$PAYLOAD"/debs/mptcpify_*.deb; do
		[ -e "$deb" ] || continue
		t=$SECONDS
		if dpkg -i "$deb" >"$STATE/logs/dpkg-install.log" 2>&1; then
			emit "RESULT PASS install/dpkg"
		else
			emit "RESULT FAIL install/dpkg dpkg -i ${deb##*/} failed"
			while IFS= read -r l; do emit "DIAG $l"; done <"$STATE/logs/dpkg-install.log"
			: >"$STATE/failed"
		fi
		emit "TIME install/dpkg $((SECONDS - t))"
		{
			echo "enabled=$(systemctl is-enabled mptcpify-bpf.service 2>/dev/null)"
			echo "active=$(systemctl is-active mptcpify-bpf.service 2>/dev/null)"
		} >"$STATE/after-install"
	done
	if [ -d "$PAYLOAD/libexec" ]; then
		mkdir -p /usr/libexec/mptcpify-test
		cp -a "$PAYLOAD"/libexec/. /usr/libexec/mptcpify-test/
	fi
	: >"$STATE/installed"
fi

# --- every boot: modules (listed in dependency order by the host) ---
if [ -d "$PAYLOAD/modules" ]; then
	for m in "$PAYLOAD"/modules/*.ko; do
		[ -e "$m" ] || continue
		name=${m##*/}; name=${name#*-}; name=${name%.ko}
		grep -q "^$name " /proc/modules && continue
		t=$(date +%s%N)
		insmod "$m" || emit "DIAG insmod ${m##*/} failed"
		echo "mptcpify-test: insmod $name: $((($(date +%s%N) - t) / 1000000)) ms"
	done
fi

# Tests start on a booted system: wait for the boot job queue to empty.
sysstate=$(timeout 180 systemctl is-system-running --wait 2>/dev/null)
echo "${sysstate:-timeout}" >"$STATE/system-state.$boot"
emit "INFO boot $boot: $(systemd-analyze time 2>/dev/null | head -n1); runner set-up (install, insmod, wait for running) took $((SECONDS - t_runner)) s"
[ "${DEBUG:-0}" = 1 ] && systemd-analyze blame --no-pager 2>/dev/null | head -n 15
if [ "$sysstate" != running ]; then
	emit "DIAG boot $boot: system state '${sysstate:-timeout}'; failed units:"
	systemctl --failed --no-legend --plain 2>/dev/null | while read -r l; do emit "DIAG   $l"; done
fi

# --- the test list, in file and definition order ---
selected() { # name
	[ -z "$TESTS" ] && return 0
	# shellcheck disable=SC2053
	[[ $1 == $TESTS || ${1#*/} == $TESTS || ${1%%/*} == $TESTS ]]
}

pending_name='' pending_phase=1
[ -s "$STATE/pending" ] && read -r pending_name pending_phase <"$STATE/pending"
rm -f "$STATE/pending"

failed=0
[ -s "$STATE/failed" ] && failed=1
for casefile in "$PAYLOAD"/cases/*.sh; do
	[ -e "$casefile" ] || continue
	case=${casefile##*/}; case=${case%.sh}
	# One group per boot when the host asks for one (run.sh --group): the
	# file's "# boot: NAME" line, "a" when it has none.
	if [ -n "${GROUP:-}" ]; then
		g=$(sed -n 's/^#[ \t]*boot:[ \t]*\([A-Za-z0-9_-]*\).*/\1/p' "$casefile" | tail -n 1)
		[ "${g:-a}" = "$GROUP" ] || continue
	fi
	# bench_* functions are measurements, run only when asked for
	# (MPTCPIFY_VM_BENCH=1 on the host).
	kinds=test
	[ "${BENCH:-0}" = 1 ] && kinds='test|bench'
	for fn in $(grep -oE "^[[:space:]]*($kinds)_[A-Za-z0-9_]+[[:space:]]*\(\)" "$casefile" | tr -d ' \t()'); do
		name=$case/${fn#test_}
		selected "$name" || continue
		grep -qxF "$name" "$STATE/done" 2>/dev/null && continue
		phase=1
		[ "$name" = "$pending_name" ] && phase=$pending_phase

		slug=${name//\//_}
		marks=$STATE/marks/$slug
		rm -rf "$marks"; mkdir -p "$marks" "$STATE/tests/$slug"
		logf=$STATE/logs/$slug.$phase.log
		echo "mptcpify-test: === $name (phase $phase)"
		start=$SECONDS
		start_ts=$(date +%s)
		(
			export TEST_MARKS=$marks PHASE=$phase TEST_NAME=$name \
				TEST_STATE=$STATE/tests/$slug TEST_SERIES=$SERIES PAYLOAD \
				MPTCPIFY=/usr/sbin/mptcpify
			# shellcheck disable=SC2016 # expanded by the test's shell
			exec timeout -k 10 "$TEST_TIMEOUT" \
				bash -c 'cd "$TEST_STATE" && . "$1" && . "$2" && "$3"' test \
				"$PAYLOAD/lib.sh" "$casefile" "$fn"
		) </dev/null >"$logf" 2>&1
		rc=$?
		took=$((SECONDS - start))

		if [ -e "$marks/fail" ]; then
			res=FAIL why=$(head -n1 "$marks/fail")
		elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
			res=FAIL why="timed out after ${TEST_TIMEOUT}s"
		elif [ -e "$marks/skip" ]; then
			res=SKIP why=$(head -n1 "$marks/skip")
		elif [ -e "$marks/reboot" ]; then
			res=REBOOT why=
		elif [ "$rc" = 0 ]; then
			res=PASS why=
		else
			res=FAIL why="exit status $rc"
		fi

		# Clean what tests commonly leave behind.
		ip -all netns delete 2>/dev/null
		systemctl reset-failed 2>/dev/null

		if [ "$res" = REBOOT ]; then
			echo "$name $((phase + 1))" >"$STATE/pending"
			emit "REBOOT $name $((phase + 1))"
			sync
			systemctl reboot --no-block
			exit 0
		fi
		echo "$name" >>"$STATE/done"
		emit "RESULT $res $name${why:+ }$why"
		emit "TIME $name $took"
		if [ "$res" = FAIL ]; then
			failed=1
			: >"$STATE/failed"
			tail -n 25 "$logf" | while IFS= read -r l; do emit "DIAG $l"; done
			# What the units said meanwhile (the runner's own lines left out).
			journalctl -q --no-pager -o short-monotonic --since "@$start_ts" 2>/dev/null |
				grep -v 'mptcpify-test-boot\[' | tail -n 25 |
				while IFS= read -r l; do emit "DIAG journal: $l"; done
		fi
	done
done
finish "$failed"
