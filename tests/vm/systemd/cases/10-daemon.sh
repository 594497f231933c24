# mptcpify-bpf.service under a real systemd: enable --now, per-service opt-in
# that survives restarts, reload with a broken file, kill -9, stop, reboot.
# The outcome is read from the kernel: `ss -M` lists MPTCP sockets only.
# boot: a (one of the groups CI boots side by side: tests/vm/systemd/meson.build)

SRV_PORT=5301

# A test service: iperf3 listening on PORT. Its listener is MPTCP iff the
# service was selected when it started.
make_service() {  # make_service NAME PORT
	cat >/etc/systemd/system/$1.service <<EOT
[Service]
ExecStart=/usr/bin/iperf3 -s -p $2
EOT
	systemctl daemon-reload
}

# listener_is PORT mptcp|tcp: what the kernel reports for the listener.
listener_kind() {
	if ss -HMln "sport = :$1" | grep -q .; then echo mptcp
	elif ss -Hltn "sport = :$1" | grep -q .; then echo tcp
	else echo none
	fi
}
listening() { [ "$(listener_kind "$1")" != none ]; }


start_daemon() {
	require_mptcpify
	on_exit 'systemctl disable --now mptcpify-bpf.service; rm -rf /etc/mptcpify'
	expect_exit 0 systemctl enable --now mptcpify-bpf.service
	wait_until 60 systemctl is-active -q mptcpify-bpf.service
}

test_enable_now_loads_once() {
	start_daemon
	[ -e /sys/fs/bpf/mptcpify/link ] || fail "no link pinned"
	assert_eq "$(tracing_links)" "$LINKS_LOADED" "tracing links"
	expect_exit 0 mptcpify status
}

test_service_opt_in_survives_restarts() {
	start_daemon
	make_service mptest-a $SRV_PORT
	make_service mptest-b $((SRV_PORT + 1))
	on_exit 'systemctl stop mptest-a mptest-b; mptcpify disable mptest-a.service; rm -f /etc/systemd/system/mptest-[ab].service'
	expect_exit 0 mptcpify enable mptest-a.service
	[ -f /etc/systemd/system/mptest-a.service.d/50-mptcpify.conf ] || fail "drop-in missing"
	for round in 1 2 3; do
		expect_exit 0 systemctl restart mptest-a.service mptest-b.service
		wait_until 30 listening $SRV_PORT
		wait_until 30 listening $((SRV_PORT + 1))
		assert_eq "$(listener_kind $SRV_PORT)" mptcp "opted-in service, start $round"
		assert_eq "$(listener_kind $((SRV_PORT + 1)))" tcp "other service, start $round"
	done
	# The daemon logs each rewritten socket, in the old script's words.
	wait_until 20 sh -c "journalctl -u mptcpify-bpf.service --no-pager | grep -q 'iperf3\[[0-9]*\] mptcpified (AF_INET'"
	expect_exit 0 mptcpify disable mptest-a.service
	expect_exit 0 systemctl restart mptest-a.service
	wait_until 30 listening $SRV_PORT
	assert_eq "$(listener_kind $SRV_PORT)" tcp "after disable"
	# Stale cgroup rules of the stopped starts were removed by ExecStopPost=.
	assert_eq "$(mptcpify --json list | grep -o '"kind":"cgroup"' | wc -l)" 0 "cgroup rules left"
}

test_reload_with_broken_config_keeps_rules() {
	start_daemon
	expect_exit 0 mptcpify attach --comm iperf3
	cp /etc/mptcpify/mptcpify.conf /tmp/good.conf
	printf '[select]\ncomm = iperf3\nnonsense\n' >/etc/mptcpify/mptcpify.conf
	expect_exit 0 systemctl reload mptcpify-bpf.service
	sleep 1
	journalctl -u mptcpify-bpf.service --no-pager | grep -q 'mptcpify.conf:3:' ||
		fail "the journal does not name file:line"
	mptcpify --json list | grep -q '"comm":"iperf3"' || fail "rule lost after a bad reload"
	systemctl is-active -q mptcpify-bpf.service || fail "daemon died on a bad reload"
	# A good edit is applied by reload.
	printf '[select]\ncomm = nginx\n' >/etc/mptcpify/mptcpify.conf
	expect_exit 0 systemctl reload mptcpify-bpf.service
	wait_until 20 sh -c "mptcpify --json list | grep -q '\"comm\":\"nginx\"'"
	mptcpify --json list | grep -q '"comm":"iperf3"' && fail "removed rule still live after reload"
	return 0
}

# restarted_since PID: the daemon runs again, under another main PID.
restarted_since() {
	local pid
	pid=$(systemctl show -P MainPID mptcpify-bpf.service)
	[ "$pid" != 0 ] && [ "$pid" != "$1" ] && systemctl is-active -q mptcpify-bpf.service
}

test_kill9_then_start_adopts() {
	start_daemon
	expect_exit 0 mptcpify attach --comm iperf3
	local i old n0
	n0=$(systemctl show -P NRestarts mptcpify-bpf.service)
	for i in 1 2 3; do
		old=$(systemctl show -P MainPID mptcpify-bpf.service)
		systemctl kill -s KILL mptcpify-bpf.service
		# The pin keeps the link whether or not a new daemon came up: wait
		# for systemd to have restarted it (a new main PID, active again).
		wait_until 60 restarted_since "$old" ||
			fail "not restarted after kill -9 number $i (MainPID was $old)"
		assert_eq "$(tracing_links)" "$LINKS_LOADED" "tracing links after kill -9 number $i"
	done
	assert_eq $((n0 + 3)) "$(systemctl show -P NRestarts mptcpify-bpf.service)" "restarts counted by systemd"
	mptcpify --json list | grep -q '"comm":"iperf3"' || fail "rule lost"
	iperf3 -s -1 -p $SRV_PORT >/dev/null 2>&1 &
	wait_until 30 listening $SRV_PORT
	assert_eq "$(listener_kind $SRV_PORT)" mptcp "iperf3 after the restarts"
	kill %1 2>/dev/null
	return 0
}

test_stop_unloads() {
	start_daemon
	expect_exit 0 systemctl stop mptcpify-bpf.service
	assert_eq "$(tracing_links)" 0 "tracing links after stop"
	[ -e /sys/fs/bpf/mptcpify ] && fail "pins left after stop"
	return 0
}

# Also the rig's reboot: a real one (new boot id) on the same disk. One
# reboot in the suite: each costs 40-70 s under TCG.
test_reboot_restores_rules() {
	require_mptcpify
	local f=$TEST_STATE/boot_id
	case $PHASE in
	1)
		cat /proc/sys/kernel/random/boot_id >"$f"
		sync
		expect_exit 0 systemctl enable --now mptcpify-bpf.service
		wait_until 60 systemctl is-active -q mptcpify-bpf.service
		expect_exit 0 mptcpify attach --comm iperf3
		reboot_vm
		;;
	2)
		on_exit 'systemctl disable --now mptcpify-bpf.service; rm -rf /etc/mptcpify'
		[ -s "$f" ] || fail "a file written before the reboot is gone"
		[ "$(cat "$f")" != "$(cat /proc/sys/kernel/random/boot_id)" ] ||
			fail "same boot id: the VM did not reboot"
		wait_until 60 systemctl is-active -q mptcpify-bpf.service
		mptcpify --json list | grep -q '"comm":"iperf3"' || fail "rule not restored at boot"
		iperf3 -s -1 -p $SRV_PORT >/dev/null 2>&1 &
		wait_until 30 listening $SRV_PORT
		assert_eq "$(listener_kind $SRV_PORT)" mptcp "iperf3 after reboot"
		kill %1 2>/dev/null
		;;
	esac
	return 0
}

# attach --unit is a path rule (issue 10): the unit is selected again at
# each restart with no drop-in, also while the daemon is stopped.
test_attach_unit_follows_restarts_without_dropin() {
	start_daemon
	make_service mptest-u $((SRV_PORT + 4))
	make_service mptest-v $((SRV_PORT + 5))
	on_exit 'systemctl stop mptest-u mptest-v; rm -f /etc/systemd/system/mptest-[uv].service'
	# Not running yet: the rule is the cgroup the unit will get.
	expect_exit 0 mptcpify attach --unit mptest-u.service
	grep -q '^unit = mptest-u.service' /etc/mptcpify/mptcpify.conf || fail "unit rule not saved"
	[ -e /etc/systemd/system/mptest-u.service.d ] && fail "attach --unit wrote a drop-in"
	for round in 1 2 3; do
		expect_exit 0 systemctl restart mptest-u.service mptest-v.service
		wait_until 30 listening $((SRV_PORT + 4))
		wait_until 30 listening $((SRV_PORT + 5))
		assert_eq "$(listener_kind $((SRV_PORT + 4)))" mptcp "attached unit, start $round"
		assert_eq "$(listener_kind $((SRV_PORT + 5)))" tcp "other unit, start $round"
	done
	mptcpify --json list | grep -q '"cgroup":"/sys/fs/cgroup/system.slice/mptest-u.service","pattern":false,"live_cgroups":1' ||
		fail "list does not show the unit's path rule: $(mptcpify --json list)"
	# The daemon stopped with its pins kept: the kernel alone follows restarts.
	mkdir -p /etc/systemd/system/mptcpify-bpf.service.d
	printf '[Service]\nExecStart=\nExecStart=/usr/sbin/mptcpify daemon --keep-on-stop\n' \
		>/etc/systemd/system/mptcpify-bpf.service.d/keep.conf
	on_exit 'rm -rf /etc/systemd/system/mptcpify-bpf.service.d; systemctl daemon-reload'
	systemctl daemon-reload
	expect_exit 0 systemctl restart mptcpify-bpf.service
	wait_until 60 systemctl is-active -q mptcpify-bpf.service
	expect_exit 0 systemctl stop mptcpify-bpf.service
	[ -e /sys/fs/bpf/mptcpify/link ] || fail "--keep-on-stop removed the link"
	for round in 4 5 6; do
		expect_exit 0 systemctl restart mptest-u.service
		wait_until 30 listening $((SRV_PORT + 4))
		assert_eq "$(listener_kind $((SRV_PORT + 4)))" mptcp "attached unit, daemon stopped, start $round"
	done
	expect_exit 0 mptcpify detach --unit mptest-u.service
	expect_exit 0 systemctl restart mptest-u.service
	wait_until 30 listening $((SRV_PORT + 4))
	assert_eq "$(listener_kind $((SRV_PORT + 4)))" tcp "detached unit"
}
