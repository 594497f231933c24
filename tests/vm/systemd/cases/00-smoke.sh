# Smoke tests of the systemd VM rig itself: a real systemd as PID 1, the
# file systems mptcpify needs, transient units, the payload, and the reboot
# mechanism. None of these needs the mptcpify CLI.
# boot: a (one of the groups CI boots side by side: tests/vm/systemd/meson.build)

test_pid1_is_systemd() {
	local exe comm
	exe=$(readlink /proc/1/exe)
	comm=$(cat /proc/1/comm)
	assert_eq "$comm" systemd "PID 1 comm"
	assert_match "$exe" '/lib/systemd/systemd$' "PID 1 executable"
	[ -d /run/systemd/system ] || fail "/run/systemd/system missing (sd_booted() would be false)"
}

# The boot must reach "running": "degraded" means a unit of the image failed,
# which would hide a failure of mptcpify-bpf.service behind the same word.
test_system_running() {
	local boot_state now
	boot_state=$(cat "/var/lib/mptcpify-test/system-state.$(cat /var/lib/mptcpify-test/boots)")
	now=$(systemctl is-system-running)
	if [ "$now" != running ] || [ "$boot_state" != running ]; then
		systemctl --failed --no-legend --plain >&2
		fail "system state: at boot '$boot_state', now '$now'"
	fi
}

test_bpffs_mounted() {
	assert_eq "$(findmnt -n -o FSTYPE /sys/fs/bpf)" bpf "file system at /sys/fs/bpf"
	touch /sys/fs/bpf/x 2>/dev/null && fail "bpffs accepted a regular file"
	return 0
}

test_cgroup2_unified() {
	assert_eq "$(findmnt -n -o FSTYPE /sys/fs/cgroup)" cgroup2 "file system at /sys/fs/cgroup"
	[ -r /sys/fs/cgroup/cgroup.controllers ] || fail "no cgroup.controllers"
	# Our own test runs inside the runner's service cgroup.
	assert_match "$(cat /proc/self/cgroup)" '^0::/system\.slice/mptcpify-test\.service' "own cgroup"
}

test_transient_unit_cgroup() {
	local cg pid
	on_exit systemctl stop t1.service
	expect_exit 0 systemd-run --quiet --unit=t1 sleep 100
	wait_until 30 systemctl is-active -q t1.service
	cg=$(unit_prop t1.service ControlGroup)
	assert_eq "$cg" /system.slice/t1.service "ControlGroup of t1"
	[ -d "/sys/fs/cgroup$cg" ] || fail "cgroup directory /sys/fs/cgroup$cg missing"
	pid=$(unit_prop t1.service MainPID)
	[ "$pid" -gt 0 ] || fail "t1 has no MainPID"
	grep -qx "$pid" "/sys/fs/cgroup$cg/cgroup.procs" || fail "MainPID $pid not in $cg"
	assert_eq "$(cat /proc/"$pid"/comm)" sleep "comm of MainPID"
	systemctl stop t1.service
	expect_exit 3 systemctl is-active -q t1.service
}

test_lib_helpers() {
	expect_exit 0 true
	expect_exit 3 sh -c 'exit 3'
	expect_exit 1 false
	assert_eq "$(printf a)" a
	assert_match "abc123" '^[a-c]+[0-9]+$'
	# fail from a subshell still fails the test: check the marker is written
	# by a throwaway copy of the helper, not by fail itself.
	# shellcheck disable=SC2030,SC2031
	(TEST_MARKS=$TEST_STATE/fake; mkdir -p "$TEST_MARKS"; fail "inner") 2>/dev/null
	[ -s "$TEST_STATE/fake/fail" ] || fail "fail in a subshell left no marker"
	# shellcheck disable=SC2031
	[ -e "$TEST_MARKS/fail" ] && fail "the real marker was touched"
	return 0
}

# The modules the network tests rely on are loaded; veth works in a netns.
test_modules_and_veth() {
	local m
	for m in veth sch_tbf inet_diag tcp_diag mptcp_diag; do
		grep -q "^$m " /proc/modules || fail "module $m not loaded"
	done
	ip netns add smoke
	ip -n smoke link add v0 type veth peer name v1 || fail "cannot create a veth pair"
	ip -n smoke link set v0 up
	ip -n smoke link set v1 up
	tc -n smoke qdisc add dev v0 root tbf rate 20mbit burst 32kb latency 50ms ||
		fail "cannot add a tbf qdisc"
	assert_eq "$(ip netns exec smoke sysctl -n net.mptcp.enabled)" 1 "net.mptcp.enabled"
	ip netns del smoke
}

# The freshly built binaries run here: the guest has the libraries they need.
test_payload_installed() {
	local missing
	require_mptcpify
	missing=$(ldd "$MPTCPIFY" 2>&1 | grep 'not found')
	[ -z "$missing" ] || fail "mptcpify cannot run in the guest: $missing"
	expect_exit 0 "$MPTCPIFY" --version
	if [ -e "$PAYLOAD/units/mptcpify-bpf.service" ]; then
		assert_eq "$(unit_prop mptcpify-bpf.service LoadState)" loaded "LoadState of mptcpify-bpf.service"
	fi
	return 0
}
