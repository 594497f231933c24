# `mptcpify oci-hook` without a container engine, on every kernel: the
# state a runtime writes on the hook's stdin names a process stopped in a
# cgroup named like a podman container's, as crun leaves it at createRuntime.
# On 6.1 (no update_socket_protocol) the container still starts: exit 0 and
# one line with the cause. Real podman is in the systemd suite
# (tests/vm/systemd/cases/20-containers.sh).
# boot: c (one of the groups CI boots side by side: tests/vm/meson.build)

OCI_ID=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
OCI_SCOPE=/sys/fs/cgroup/testoci/libpod-$OCI_ID.scope
OCI_CG=$OCI_SCOPE/container

# oci_state PID: the runtime-spec state at createRuntime.
oci_state() {
	printf '{"ociVersion":"1.0.2","id":"%s","status":"created","pid":%d,"bundle":"/tmp","annotations":{"io.mptcpify.enable":"true"}}' \
		"$OCI_ID" "$1"
}

# start_container: a sockprobe in $OCI_CG (its pid in CTR_PID), stopped
# before its socket() until go_container. Its output goes to /tmp/probe.out.
start_container() {
	mkdir -p "$OCI_CG"
	rm -f /tmp/go
	sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" -4 --wait-fifo /tmp/go' sh "$OCI_CG" \
		"$(prog sockprobe)" >/tmp/probe.out &
	CTR_PID=$!
	wait_until 10 test -p /tmp/go || fail "the probe did not start in $OCI_CG"
}
go_container() {
	echo go >/tmp/go
	wait "$CTR_PID"
}

# run_hook PID: the hook fed the state for PID; its exit status, and its
# log line (a copy of the syslog line on stderr) in /tmp/hook.err.
run_hook() {
	oci_state "$1" | mptcpify oci-hook 2>/tmp/hook.err
	local rc=$?
	cat /tmp/hook.err
	assert_eq 0 "$rc" "exit status of the hook"
	assert_eq 1 "$(wc -l </tmp/hook.err)" "lines the hook logged"
}

live_ids() { bpftool map dump pinned /sys/fs/bpf/mptcpify/cgroup_rules | grep -c '"key"'; }

test_oci_hook_selects_the_container_cgroup() {
	need_hook
	start_container
	run_hook "$CTR_PID"
	grep -q "mptcpify oci-hook: container ${OCI_ID:0:12}: selected, its TCP sockets are MPTCP (cgroup /testoci/libpod-$OCI_ID.scope/container); the program was not loaded: loaded it" /tmp/hook.err ||
		fail "the hook's line: $(cat /tmp/hook.err)"
	mptcpify list
	mptcpify list | grep -Eq "^container +${OCI_ID:0:12} $OCI_CG +0  \(runtime\)$" ||
		fail "list does not show the container"
	go_container
	assert_eq $MPTCP "$(sed -n 's/^protocol=//p' /tmp/probe.out)" "the container's first socket"
	assert_eq $TCP "$("$(prog sockprobe)" -4 | sed -n 's/^protocol=//p')" "a process outside the container"
	# A second hook for the same cgroup (two hooks.d files, a retry) is
	# no error and adds nothing.
	start_container
	run_hook "$CTR_PID"
	assert_eq 1 "$(live_ids)" "cgroup ids selected"
	go_container
	# The container goes: so does its selection.
	rmdir "$OCI_CG" "$OCI_SCOPE"
	assert_eq 0 "$(live_ids)" "cgroup ids left after the container's cgroup went"
	mptcpify --json list | grep -q '"kind":"container"' && fail "list still shows the container"
	return 0
}

# The hook never fails a container: whatever goes wrong, exit 0 and one line.
test_oci_hook_fails_open() {
	start_container
	if ! has_hook; then
		run_hook "$CTR_PID"
		grep -q "container ${OCI_ID:0:12}: not selected, it keeps TCP: kernel .* lacks update_socket_protocol: mptcpify needs Linux >= 6.6" /tmp/hook.err ||
			fail "the hook's line on a kernel without the hook: $(cat /tmp/hook.err)"
		[ -e /sys/fs/bpf/mptcpify ] && fail "pins left after a failed load"
	fi
	# Bad input from a runtime (or a person): logged, exit 0.
	printf 'nonsense' | mptcpify oci-hook 2>/tmp/hook.err
	assert_eq 0 $? "exit status on bad JSON"
	grep -q "the OCI state on stdin is not JSON" /tmp/hook.err || fail "bad JSON: $(cat /tmp/hook.err)"
	printf '{"id":"%s","status":"stopped"}' "$OCI_ID" | mptcpify oci-hook 2>/tmp/hook.err
	assert_eq 0 $? "exit status without a pid"
	grep -q "has no pid (status 'stopped')" /tmp/hook.err || fail "no pid: $(cat /tmp/hook.err)"
	oci_state 999999999 | mptcpify oci-hook 2>/tmp/hook.err
	assert_eq 0 $? "exit status for a pid that does not exist"
	grep -q "not selected, it keeps TCP: cannot read /proc/999999999/cgroup" /tmp/hook.err ||
		fail "no such pid: $(cat /tmp/hook.err)"
	# A typo in a hooks.d file's arguments: logged and ignored.
	oci_state "$CTR_PID" | mptcpify oci-hook --wait never 2>/tmp/hook.err
	assert_eq 0 $? "exit status with a bad argument"
	grep -q "ignoring the argument 'never'" /tmp/hook.err || fail "bad argument: $(cat /tmp/hook.err)"
	go_container
	return 0
}
