# The Debian package's life cycle, as an admin lives it: the runner installed
# the package built from this tree on the first boot (dpkg -i); here: enable
# the service, select a program, upgrade to a package one version higher
# while the daemon runs, remove, purge. Last case: it removes the package.
# boot: a (one of the groups CI boots side by side: tests/vm/systemd/meson.build)

pkg_version() { dpkg-query -W -f '${Version}' mptcpify 2>/dev/null; }
rule_saved() { mptcpify --json list | jq -e '[.. | strings | select(. == "iperf3")] | length > 0' >/dev/null; }

test_install_enable_upgrade_remove_purge() {
	require_cmd jq dpkg
	local next after v1 v2 pid1 pid2
	next=$(ls "$PAYLOAD"/debs/next/mptcpify_*.deb 2>/dev/null | head -n1)
	[ -n "$next" ] || fail "no upgrade package on the payload disk"
	[ -s /var/lib/mptcpify-test/after-install ] || fail "the runner did not install the package"
	after=$(cat /var/lib/mptcpify-test/after-install)
	log "right after dpkg -i: $after"
	# Earlier cases enable and stop the service; what counts is the state
	# the runner saw right after installing: neither enabled nor started.
	assert_match "$after" 'enabled=disabled' "unit state after install"
	assert_match "$after" 'active=inactive' "service state after install"
	v1=$(pkg_version)
	assert_eq "$(mptcpify --version)" "mptcpify ${v1%-*}" "installed mptcpify --version"
	[ -x /usr/sbin/mptcpify ] || fail "/usr/sbin/mptcpify not installed"

	on_exit 'systemctl disable --now mptcpify-bpf.service 2>/dev/null; dpkg -P mptcpify >/dev/null 2>&1'
	expect_exit 0 systemctl enable --now mptcpify-bpf.service
	wait_until 60 systemctl is-active -q mptcpify-bpf.service
	expect_exit 0 mptcpify attach --comm iperf3
	assert rule_saved
	assert_eq "$(tracing_links)" "$LINKS_LOADED" "tracing links before the upgrade"
	pid1=$(unit_prop mptcpify-bpf.service MainPID)

	# Upgrade while the daemon runs: restarted, same rules, one program.
	expect_exit 0 dpkg -i "$next"
	v2=$(pkg_version)
	dpkg --compare-versions "$v2" gt "$v1" || fail "upgrade: version $v2 is not above $v1"
	assert_eq "$(mptcpify --version)" "mptcpify ${v2%-*}" "upgraded mptcpify --version"
	wait_until 60 systemctl is-active -q mptcpify-bpf.service
	pid2=$(unit_prop mptcpify-bpf.service MainPID)
	[ "$pid2" != "$pid1" ] || fail "upgrade did not restart the daemon (MainPID $pid1)"
	# The new daemon's program: /proc/PID/exe is the upgraded binary.
	assert_eq "$(readlink /proc/"$pid2"/exe)" /usr/sbin/mptcpify "daemon executable"
	wait_until 30 rule_saved
	assert_eq "$(tracing_links)" "$LINKS_LOADED" "tracing links after the upgrade"
	assert_eq "$(systemctl is-enabled mptcpify-bpf.service)" enabled "unit after the upgrade"

	# Remove: service stopped, hook gone, configuration kept.
	expect_exit 0 dpkg -r mptcpify
	[ ! -e /usr/sbin/mptcpify ] || fail "/usr/sbin/mptcpify left after dpkg -r"
	systemctl is-active -q mptcpify-bpf.service && fail "service still active after dpkg -r"
	assert_eq "$(tracing_links)" 0 "tracing links after dpkg -r"
	[ ! -e /sys/fs/bpf/mptcpify ] || fail "pins left under /sys/fs/bpf/mptcpify: $(ls -A /sys/fs/bpf/mptcpify | tr '\n' ' ')"
	[ -f /etc/mptcpify/mptcpify.conf ] || fail "/etc/mptcpify/mptcpify.conf removed by dpkg -r"
	grep -q iperf3 /etc/mptcpify/mptcpify.conf || fail "the rule is gone from mptcpify.conf after dpkg -r"

	# Purge: the configuration goes too.
	expect_exit 0 dpkg -P mptcpify
	[ ! -e /etc/mptcpify ] || fail "/etc/mptcpify left after dpkg -P"
	[ -z "$(pkg_version)" ] || fail "dpkg still lists mptcpify after dpkg -P"
}
