# Containers opt in with real podman (4.3.1, crun, cgroup v2, systemd's
# cgroup manager, rootful): the packaged hooks.d file runs `mptcpify
# oci-hook` for containers annotated io.mptcpify.enable=true, the packaged
# CDI spec for --device mptcpify.io/mptcp=enable. The answer is the kernel's:
# the probe in the container prints SO_PROTOCOL of its first socket
# (262 = MPTCP, 6 = TCP). No registry: the image is made here from
# busybox-static and the static probe (podman import).
# A `podman run` costs about 3 s under TCG: loops are sized to that.

# boot: b (one of the groups CI boots side by side: tests/vm/systemd/meson.build)

. "$PAYLOAD/cases/containers.inc"

test_annotation_selects_only_that_container() {
	hook_ready
	start_daemon
	local since cid
	since=$(date +%s)
	assert_eq "$(probe_proto --annotation "$ANNOTATION" --cidfile "$TEST_STATE/cid")" 262 "annotated container"
	cid=$(cat "$TEST_STATE/cid")
	assert_eq "$(probe_proto)" 6 "container without the annotation"
	assert_eq "$(probe_proto --annotation io.mptcpify.enable=false)" 6 "container annotated false"
	wait_until 20 hook_lines "$since" "$cid"
	assert_match "$(hook_lines "$since" "$cid")" 'selected, its TCP sockets are MPTCP \(cgroup /machine\.slice/libpod-[0-9a-f]{64}\.scope/container\)$' "hook's line"
	# The hook ran once: for the annotated container only.
	assert_eq "$(journalctl -q --no-pager -t mptcpify-oci-hook --since "@$since" | wc -l)" 1 "hook lines"
	wait_until 20 no_selection_left
}

# 20 in a row: the probe's socket() is each container's first action, so
# each 262 says the cgroup was selected before the container's program ran
# (no window); and each container's selection goes with it (nothing piles
# up). 20 runs are about a minute of TCG.
test_twenty_annotated_in_a_row() {
	hook_ready
	start_daemon
	local i p
	for i in $(seq 20); do
		p=$(probe_proto --annotation "$ANNOTATION")
		assert_eq "$p" 262 "annotated container $i of 20"
		wait_until 20 no_ids_left
	done
	assert_eq "$(container_rules)" 0 "container rules in list after 20 containers"
}

# list, monitor-like log lines and connections name the container.
test_container_id_in_list_log_and_connections() {
	hook_ready
	start_daemon
	local cid short since out
	ncat -lk --no-shutdown 127.0.0.1 $PORT >/dev/null 2>&1 &
	on_exit "kill $! 2>/dev/null"
	wait_until 20 sh -c "ss -Hltn 'sport = :$PORT' | grep -q ."
	since=$(date +%s)
	cid=$(podman run -d --network host --annotation "$ANNOTATION" "$IMG" \
		/sockprobe --connect 127.0.0.1:$PORT --hold 120) || fail "podman run -d failed"
	on_exit "podman rm -f -t 0 $cid >/dev/null 2>&1"
	short=${cid:0:12}
	wait_until 30 sh -c "podman logs $cid | grep -q connected"
	assert_eq "$(podman logs "$cid" | sed -n 's/^protocol=//p')" 262 "held container's socket"
	out=$(mptcpify list)
	log "$out"
	assert_match "$out" "^container +$short /sys/fs/cgroup/machine\.slice/libpod-$cid\.scope/container +1  \(runtime\)$" "list"
	assert_eq "$(mptcpify --json list | jq -r '.rules[] | select(.kind == "container") | .container_id')" "$cid" "list --json container_id"
	out=$(mptcpify connections)
	log "$out"
	assert_match "$out" "^sockprobe\[[0-9]+\] .*127\.0\.0\.1:$PORT .*\(container $short\)" "connections"
	assert_eq "$(mptcpify --json connections | jq -r '.[] | select(.remote == "127.0.0.1:'$PORT'") | .container_id')" "$cid" "connections --json container_id"
	# The daemon's log line for the container's socket.
	wait_until 20 sh -c "journalctl -q --no-pager -u mptcpify-bpf.service --since @$since | grep -q 'mptcpified (AF_INET, container $short)'"
	expect_exit 0 podman rm -f -t 0 "$cid"
	wait_until 20 no_selection_left
}

# The README's pattern rule with real podman: every container MPTCP, a
# process outside them TCP. No hook involved (it passes without one).
test_pattern_rule_every_podman_container() {
	podman_ready
	start_daemon
	systemctl start machine.slice
	expect_exit 0 mptcpify attach --cgroup 'machine.slice/libpod-*.scope'
	assert_eq "$(probe_proto)" 262 "container 1, no annotation"
	assert_eq "$(probe_proto)" 262 "container 2, no annotation"
	assert_eq "$(/usr/libexec/mptcpify-test/sockprobe | sed -n 's/^protocol=//p')" 6 "a process outside containers"
	expect_exit 0 mptcpify detach --cgroup 'machine.slice/libpod-*.scope'
	assert_eq "$(probe_proto)" 6 "container after detach"
}

test_cdi_device() {
	hook_ready
	start_daemon
	local out
	[ -L /run/cdi/mptcpify.json ] || fail "the package did not link its CDI spec into /run/cdi"
	out=$(podman run --rm --network none --device mptcpify.io/mptcp=enable "$IMG" \
		sh -c 'echo "MPTCPIFY=$MPTCPIFY"; exec /sockprobe')
	log "$out"
	assert_match "$out" '^MPTCPIFY=enabled$' "the CDI device's env edit"
	assert_eq "$(printf '%s\n' "$out" | sed -n 's/^protocol=//p')" 262 "container with the CDI device"
}

# median: of the numbers on stdin.
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
ms_of() { local t0; t0=$(date +%s%N); "$@" >/dev/null 2>&1; echo $((($(date +%s%N) - t0) / 1000000)); }
hook_once() { mptcpify oci-hook <"$TEST_STATE/state.json"; }

# What the hook adds to a container's start: 20 starts with the annotation
# and 20 without, interleaved, same boot, the program loaded by the daemon
# (as on a host that uses it); and the hook alone, fed the state of a
# process in a scratch cgroup. A measurement (MPTCPIFY_VM_BENCH=1), not a
# test: TCG wall-clock times.
bench_startup_cost() {
	hook_ready
	start_daemon
	local i with='' without='' alone='' pid cg=/sys/fs/cgroup/mptcpify-bench-hook
	for i in 1 2; do  # warm-up: the first runs of a boot cost more
		probe_proto --annotation "$ANNOTATION" >/dev/null
		probe_proto >/dev/null
	done
	for i in $(seq 20); do
		with="$with $(ms_of probe_proto --annotation "$ANNOTATION")"
		without="$without $(ms_of probe_proto)"
	done
	mkdir "$cg"
	sleep 600 &
	pid=$!
	on_exit "kill $pid; rmdir $cg"
	echo "$pid" >"$cg/cgroup.procs"
	printf '{"ociVersion":"1.0.2","id":"%064d","status":"created","pid":%d,"bundle":"/"}' 0 "$pid" >"$TEST_STATE/state.json"
	for i in $(seq 20); do
		alone="$alone $(ms_of hook_once)"
	done
	log "with: $with"
	log "without: $without"
	log "hook alone: $alone"
	report "podman run --rm, median of 20: $(printf '%s\n' $with | median) ms with the annotation, $(printf '%s\n' $without | median) ms without (kernel $(uname -r))"
	report "mptcpify oci-hook alone (program loaded, cgroup already selected after the first), median of 20: $(printf '%s\n' $alone | median) ms"
	report "all runs, with: $with; without: $without; alone: $alone"
}

# The README's walk-through, as a user types it, with this run's output
# (MPTCPIFY_VM_BENCH=1; read it from the test log).
bench_readme_transcript() {
	hook_ready
	on_exit 'podman rm -f -t 0 web >/dev/null 2>&1; systemctl disable --now mptcpify-bpf.service; rm -rf /etc/mptcpify; mptcpify unload >/dev/null'
	ncat -lk --no-shutdown 127.0.0.1 $PORT >/dev/null 2>&1 &
	on_exit "kill $! 2>/dev/null"
	local c
	while IFS= read -r c; do
		printf '# %s\n' "$c"
		bash -c "$c" 2>&1 | grep -v 'CNI config'
		sleep 1
	done <<EOT
systemctl enable --now mptcpify-bpf
podman run --rm --network none --annotation io.mptcpify.enable=true $IMG | grep protocol
podman run --rm --network none $IMG | grep protocol
journalctl -t mptcpify-oci-hook -o cat -n 1
podman run -d --name web --network host --annotation io.mptcpify.enable=true $IMG /sockprobe --connect 127.0.0.1:$PORT --hold 120
mptcpify list
mptcpify connections
journalctl -u mptcpify-bpf -o cat -n 1
podman rm -f -t 0 web
mptcpify list
podman run --rm --network none --device mptcpify.io/mptcp=enable $IMG sh -c 'echo MPTCPIFY=\$MPTCPIFY; /sockprobe | grep protocol'
systemctl stop mptcpify-bpf
podman run --rm --network none --annotation io.mptcpify.enable=true $IMG | grep protocol
journalctl -t mptcpify-oci-hook -o cat -n 1
EOT
}
