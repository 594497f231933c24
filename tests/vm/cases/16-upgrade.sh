# Upgrade across a change of the pinned maps (MPTCPIFY_ABI 2 -> 3): the
# state of the previous version, pinned by tests/progs/abi2-pin (that
# version's own BPF program), is replaced keeping every rule.
# boot: a (one of the groups CI boots side by side: tests/vm/meson.build)

test_upgrade_from_abi2_keeps_every_rule() {
	need_hook
	mkdir -p /sys/fs/cgroup/testup /sys/fs/cgroup/testfilecg /etc/mptcpify
	# The file as the previous version wrote it, and its live state.
	printf '[select]\ncomm = savedcomm\ncomm = nevermp\ncgroup = /sys/fs/cgroup/testfilecg\n[exclude]\ncomm = nevermp\n' \
		>/etc/mptcpify/mptcpify.conf
	"$(prog abi2-pin)" /sys/fs/bpf/mptcpify comm=rtcomm comm=savedcomm:saved comm=nevermp:saved \
		exclude=nevermp:saved cgroup=/sys/fs/cgroup/testup \
		cgroup=/sys/fs/cgroup/testfilecg:saved || fail "could not pin the ABI 2 state"
	assert_eq $MPTCP "$(proto_as rtcomm -4)" "rtcomm under the ABI 2 program"
	assert_eq 1 "$(tracing_links)" "tracing links before the upgrade"
	# Reading only: the old state is named, and how to upgrade it.
	expect_exit 11 mptcpify list
	grep -q "older mptcpify" "$LAST_OUT" || fail "list does not say why"
	# Any changing command upgrades; this one also applies the file.
	expect_exit 0 mptcpify attach --comm another
	assert_eq 1 "$(tracing_links)" "tracing links after the upgrade"
	[ -e /sys/fs/bpf/mptcpify/cgroup_paths ] || fail "the new maps are not pinned"
	ls /sys/fs/bpf/mptcpify
	for c in rtcomm savedcomm another; do
		assert_eq $MPTCP "$(proto_as $c -4)" "comm $c after the upgrade"
	done
	cp "$(prog sockprobe)" /tmp/nevermp
	assert_eq $TCP "$(/tmp/nevermp -4 | sed -n 's/^protocol=//p')" "excluded nevermp"
	assert_eq $MPTCP "$(proto_in /sys/fs/cgroup/testup)" "runtime cgroup rule of ABI 2 (by id)"
	assert_eq $MPTCP "$(proto_in /sys/fs/cgroup/testfilecg)" "the file's cgroup"
	# The file's cgroup is a path rule now: it follows re-creation.
	rmdir /sys/fs/cgroup/testfilecg && mkdir /sys/fs/cgroup/testfilecg
	assert_eq $MPTCP "$(proto_in /sys/fs/cgroup/testfilecg)" "the file's cgroup, re-created"
	mptcpify list
	mptcpify --json list | grep -q '"comm":"rtcomm","hits":[1-9][0-9]*,"saved":false' ||
		fail "rtcomm lost its hits or its runtime mark: $(mptcpify --json list)"
	mptcpify --json list | grep -q '"cgroup":"/sys/fs/cgroup/testfilecg","pattern":false,"live_cgroups":1' ||
		fail "the file's cgroup is not a path rule"
	# Once is enough: a second command finds this ABI's pins.
	expect_exit 0 mptcpify attach --runtime --comm third
	assert_eq 1 "$(tracing_links)" "tracing links after a second command"
	expect_exit 0 mptcpify unload
	assert_eq 0 "$(tracing_links)" "tracing links after unload"
	[ -e /sys/fs/bpf/mptcpify ] && fail "unload left pins: $(ls /sys/fs/bpf/mptcpify)"
	return 0
}
