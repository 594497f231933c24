# The OCI hook never stops a container (issue 20), with real podman: the
# daemon stopped and the program unloaded, a broken configuration file,
# another mptcpify holding the lock. The rest of the container cases, and
# what the image is, are in 20-containers.sh.

# boot: c (one of the groups CI boots side by side: tests/vm/systemd/meson.build)

. "$PAYLOAD/cases/containers.inc"

# The hook never stops a container. Daemon stopped (it unloads): the hook
# loads the program itself. Then a kernel state where loading fails (bpffs
# hidden under a tmpfs): the container starts with TCP and the hook logs one
# line with the cause.
test_fail_open_daemon_stopped_and_program_unloaded() {
	hook_ready
	start_daemon
	local since cid line
	expect_exit 0 systemctl stop mptcpify-bpf.service
	[ -e /sys/fs/bpf/mptcpify ] && fail "pins left after stopping the daemon"
	since=$(date +%s)
	assert_eq "$(probe_proto --annotation "$ANNOTATION" --cidfile "$TEST_STATE/cid1")" 262 "annotated container, nothing loaded"
	cid=$(cat "$TEST_STATE/cid1")
	wait_until 20 hook_lines "$since" "$cid"
	assert_match "$(hook_lines "$since" "$cid")" 'selected.*the program was not loaded: loaded it' "hook's line"
	[ -e /sys/fs/bpf/mptcpify/link ] || fail "the hook did not pin the program it loaded"
	expect_exit 0 mptcpify unload

	mount -t tmpfs none /sys/fs/bpf || fail "cannot mount a tmpfs on /sys/fs/bpf"
	on_exit 'umount /sys/fs/bpf'
	since=$(date +%s)
	assert_eq "$(probe_proto --annotation "$ANNOTATION" --cidfile "$TEST_STATE/cid2")" 6 "annotated container, program cannot load"
	cid=$(cat "$TEST_STATE/cid2")
	wait_until 20 hook_lines "$since" "$cid"
	line=$(hook_lines "$since" "$cid")
	assert_eq "$(printf '%s\n' "$line" | wc -l)" 1 "the hook's lines for that container"
	assert_match "$line" 'not selected, it keeps TCP: .*not a BPF filesystem.*mount' "cause and fix"
}

# A broken /etc/mptcpify/mptcpify.conf: the daemon cannot start, the hook
# still loads the program and selects the container, and says what is wrong.
test_fail_open_broken_config() {
	hook_ready
	on_exit 'rm -rf /etc/mptcpify; mptcpify unload >/dev/null'
	local since cid
	mptcpify unload >/dev/null
	mkdir -p /etc/mptcpify
	printf '[select]\ncomm = iperf3\nnonsense\n' >/etc/mptcpify/mptcpify.conf
	since=$(date +%s)
	assert_eq "$(probe_proto --annotation "$ANNOTATION" --cidfile "$TEST_STATE/cid")" 262 "annotated container, broken file"
	cid=$(cat "$TEST_STATE/cid")
	wait_until 20 hook_lines "$since" "$cid"
	assert_match "$(hook_lines "$since" "$cid")" 'selected.*mptcpify\.conf:3:.*the saved rules were not applied' "hook's line"
}

# Another mptcpify holds the pin directory's lock (a stuck writer): the hook
# waits at most 8 s (--wait, below the hooks.d timeout of 10 s), the
# container starts anyway, and the selection made late does not stay behind
# once the container is gone.
test_fail_open_lock_held() {
	hook_ready
	start_daemon
	local since cid lock t0
	# --no-fork: the lock goes with the process killed below.
	flock --no-fork /sys/fs/bpf/mptcpify sleep 60 &
	lock=$!
	on_exit "kill $lock 2>/dev/null"
	sleep 0.5
	since=$(date +%s)
	t0=$SECONDS
	assert_eq "$(probe_proto --annotation "$ANNOTATION" --cidfile "$TEST_STATE/cid")" 6 "annotated container, lock held"
	log "podman run took $((SECONDS - t0)) s with the lock held"
	cid=$(cat "$TEST_STATE/cid")
	wait_until 20 hook_lines "$since" "$cid"
	assert_match "$(hook_lines "$since" "$cid")" 'not selected within 8\.0 s.*still trying in the background' "hook's line"
	kill "$lock"
	wait_until 30 sh -c "journalctl -q --no-pager -t mptcpify-oci-hook --since @$since | grep -Eq 'container ${cid:0:12}: (not )?selected after the hook stopped waiting'"
	wait_until 20 no_selection_left
}
