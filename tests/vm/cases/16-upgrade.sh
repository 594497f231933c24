# Upgrade across a change of the pinned maps (MPTCPIFY_ABI 2 ... 6 -> 7):
# the state of each version that shipped, pinned by its own BPF programs
# (tests/progs/abi2-pin ... abi6-pin), is replaced keeping every rule and
# its hits; from ABI 5 also the audit rules and the refusals seen, from
# ABI 6 the deny and exclude rules with their hits.
# boot: a (one of the groups CI boots side by side: tests/vm/meson.build)

# expected_backstops: how many backstop copies this kernel gets (the storm
# test's rule: where a task can be preempted inside the hook). ABI 2 had
# none, so the count before an upgrade is no reference.
expected_backstops() {
	case $MPTCPIFY_VM_SERIES:$(cat /proc/cmdline) in
	6.12:*preempt=full*|7.*) echo 3 ;;
	6.12:*) echo 0 ;;
	*) backstop_links ;;
	esac
}

# hits_of KIND NAME: a rule's hits in `list --json` (KIND comm/exclude:
# NAME is the comm; cgroup: the path).
hits_of() {
	local field=comm
	[ "$1" = cgroup ] && field=cgroup
	mptcpify --json list | tr '{' '\n' | grep "\"kind\":\"$1\",\"$field\":\"$2\"" |
		sed -n 's/.*"hits":\([0-9]*\).*/\1/p'
}

# upgrade_from ABI: the state of that ABI, pinned by its own programs, with
# hits counted by them, is replaced by this version's in place: every rule
# with its hits and its saved mark, the file's cgroup as a path rule (ABI 2
# had cgroup ids only: its runtime one stays an id rule), the old programs
# and backstops detached, the new ones attached, ending the chain.
upgrade_from() {
	local abi=$1 i extra=
	need_hook
	mkdir -p /sys/fs/cgroup/testup /sys/fs/cgroup/testfilecg /etc/mptcpify
	printf '[select]\ncomm = savedcomm\ncomm = nevermp\ncgroup = /sys/fs/cgroup/testfilecg\n[exclude]\ncomm = nevermp\n' \
		>/etc/mptcpify/mptcpify.conf
	# ABI 5 had audit rules (a runtime one here: only the pins hold it).
	[ "$abi" -ge 5 ] && extra="audit=auditme comm=refuser"
	# ABI 6 had deny and exclude rules: a deny name (selected too, so that
	# it counts), a deny and an exclude cgroup under a selected one.
	if [ "$abi" -ge 6 ]; then
		mkdir -p /sys/fs/cgroup/testup/denied /sys/fs/cgroup/testup/excluded
		extra="$extra comm=denyme deny=denyme denycg=/sys/fs/cgroup/testup/denied"
		extra="$extra exclcg=/sys/fs/cgroup/testup/excluded"
	fi
	"$(prog abi$abi-pin)" /sys/fs/bpf/mptcpify comm=rtcomm comm=savedcomm:saved comm=nevermp:saved \
		exclude=nevermp:saved cgroup=/sys/fs/cgroup/testup \
		cgroup=/sys/fs/cgroup/testfilecg:saved $extra || fail "could not pin the ABI $abi state"
	assert_eq 1 "$(tracing_links)" "socket hook links of ABI $abi"
	# Hits counted by the old programs: 3 rtcomm, 2 in testup, 1 exclude.
	for i in 1 2 3; do
		assert_eq $MPTCP "$(proto_as rtcomm -4)" "rtcomm under the ABI $abi program"
	done
	for i in 1 2; do
		assert_eq $MPTCP "$(proto_in /sys/fs/cgroup/testup)" "testup under the ABI $abi program"
	done
	assert_eq $TCP "$(proto_as nevermp -4)" "excluded nevermp under the ABI $abi program"
	if [ "$abi" -ge 6 ]; then
		# Hits: 2 denyme, 2 in denied, 1 in excluded.
		for i in 1 2; do
			assert_eq $TCP "$(proto_as denyme -4)" "denied denyme under the ABI $abi program"
			assert_eq $TCP "$(proto_in /sys/fs/cgroup/testup/denied)" "denied cgroup under ABI $abi"
		done
		assert_eq $TCP "$(proto_in /sys/fs/cgroup/testup/excluded)" "excluded cgroup under ABI $abi"
	fi
	if [ "$abi" -ge 5 ]; then
		# A refusal seen by ABI 5's detection, on a converted socket.
		cp "$(prog sockopts)" /tmp/refuser
		/tmp/refuser -4 TCP_MD5SIG | tee /tmp/old-refusal.out
		grep -q 'protocol=262' /tmp/old-refusal.out || fail "the probe was not MPTCP"
		assert_eq 3 "$(audit_links)" "audit links of ABI 5 with an audit rule"
	fi
	expect_exit 11 mptcpify list
	grep -q "older mptcpify" "$LAST_OUT" || fail "list does not say why"
	# Any changing command upgrades; this one also applies the file.
	expect_exit 0 mptcpify attach --comm another
	ls /sys/fs/bpf/mptcpify
	assert_eq 1 "$(tracing_links)" "socket hook links after the upgrade"
	assert_eq "$(expected_backstops)" "$(backstop_links)" "backstops after the upgrade"
	# Loaded programs: the hook and its trackers, the old ones freed (the
	# kernel may take a moment after the last link goes).
	wait_until 10 sh -c '[ "$(bpftool prog show | grep -c "name mptcpify_socket")" = 1 ] &&
		[ "$(bpftool prog show | grep -c "name mptcpify_cgroup")" = 2 ]' ||
		fail "programs loaded after the upgrade: $(bpftool prog show | grep 'name mptcpify')"
	for p in cgroup_paths name_filter name_hits event_mask comm_deny veto_paths cgroup_vetoes auto_exclude audit_comms; do
		[ -e /sys/fs/bpf/mptcpify/$p ] || fail "pin $p missing after the upgrade"
	done
	mptcpify list
	assert_eq 3 "$(hits_of comm rtcomm)" "rtcomm's hits, kept"
	assert_eq 2 "$(hits_of cgroup /sys/fs/cgroup/testup)" "testup's hits, kept"
	assert_eq 1 "$(hits_of exclude nevermp)" "the exclude's hits, kept"
	mptcpify --json list | grep -q '"comm":"rtcomm","hits":3,"saved":false' ||
		fail "rtcomm lost its runtime mark"
	mptcpify --json list | grep -q '"comm":"savedcomm","hits":0,"saved":true' ||
		fail "savedcomm lost its saved mark"
	for c in rtcomm savedcomm another; do
		assert_eq $MPTCP "$(proto_as $c -4)" "comm $c after the upgrade"
	done
	cp "$(prog sockprobe)" /tmp/nevermp
	assert_eq $TCP "$(/tmp/nevermp -4 | sed -n 's/^protocol=//p')" "excluded nevermp"
	assert_eq $MPTCP "$(proto_in /sys/fs/cgroup/testup)" "runtime cgroup rule of ABI $abi"
	assert_eq $MPTCP "$(proto_in /sys/fs/cgroup/testfilecg)" "the file's cgroup"
	rmdir /sys/fs/cgroup/testfilecg && mkdir /sys/fs/cgroup/testfilecg
	assert_eq $MPTCP "$(proto_in /sys/fs/cgroup/testfilecg)" "the file's cgroup, re-created"
	assert_eq 4 "$(hits_of comm rtcomm)" "rtcomm's hits, counting on"
	assert_eq 3 "$(hits_of cgroup /sys/fs/cgroup/testup)" "testup's hits, counting on"
	assert_eq 2 "$(hits_of exclude nevermp)" "the exclude's hits, counting on"
	if [ "$abi" -ge 6 ]; then
		for i in 1 2 3; do
			assert_eq $TCP "$(proto_as denyme -4)" "denied denyme after the upgrade"
		done
		assert_eq $TCP "$(proto_in /sys/fs/cgroup/testup/denied)" "denied cgroup after the upgrade"
		assert_eq $TCP "$(proto_in /sys/fs/cgroup/testup/excluded)" "excluded cgroup after the upgrade"
		mptcpify --json list | grep -q '"kind":"deny","comm":"denyme","hits":5,"saved":false' ||
			fail "the deny name or its hits were lost: $(mptcpify --json list)"
		mptcpify --json list | grep -q '"kind":"deny","cgroup":"/sys/fs/cgroup/testup/denied","live_cgroups":1,"hits":3,' ||
			fail "the deny cgroup rule or its hits were lost: $(mptcpify --json list)"
		mptcpify --json list | grep -q '"kind":"exclude","cgroup":"/sys/fs/cgroup/testup/excluded","live_cgroups":1,"hits":2' ||
			fail "the exclude cgroup rule or its hits were lost: $(mptcpify --json list)"
		# The mkdir() tracker still knows the deny path.
		rmdir /sys/fs/cgroup/testup/denied && mkdir /sys/fs/cgroup/testup/denied
		assert_eq $TCP "$(proto_in /sys/fs/cgroup/testup/denied)" "denied cgroup, re-created"
	fi
	if [ "$abi" -ge 5 ]; then
		mptcpify --json list | grep -q '"kind":"audit","comm":"auditme","saved":false' ||
			fail "the runtime audit rule was lost: $(mptcpify --json list)"
		assert_eq 3 "$(audit_links)" "audit links after the upgrade"
		# Two refused calls per run of the probe (a listener, a socket
		# not yet connected).
		mptcpify --json list | grep -q '"comm":"refuser",[^}]*"option":"TCP_MD5SIG",[^}]*"count":2,' ||
			fail "the refusal seen before the upgrade was lost: $(mptcpify --json list)"
		# The new programs record on, under the same key.
		/tmp/refuser -4 TCP_MD5SIG >/dev/null
		mptcpify --json list | grep -q '"comm":"refuser",[^}]*"option":"TCP_MD5SIG",[^}]*"count":4,' ||
			fail "the refusal does not count on after the upgrade: $(mptcpify --json list)"
	fi
	mptcpify --json status | grep -q '"ends_at_mptcpify":true' ||
		fail "the upgraded hook does not end the chain: $(mptcpify --json status)"
	expect_exit 0 mptcpify attach --runtime --comm third
	assert_eq 1 "$(tracing_links)" "tracing links after a second command"
	expect_exit 0 mptcpify unload
	assert_eq 0 "$(tracing_links)" "tracing links after unload"
	assert_eq 0 "$(sockopt_links)" "socket option links after unload"
	rmdir /sys/fs/cgroup/testup/denied /sys/fs/cgroup/testup/excluded 2>/dev/null
	[ -e /sys/fs/bpf/mptcpify ] && fail "unload left pins: $(ls /sys/fs/bpf/mptcpify)"
	rm -f /tmp/refuser /tmp/nevermp
	return 0
}

# The older layouts' conversions do not depend on the kernel: run where the
# suite's first series runs (each costs 13-23 s under TCG). The upgrade from
# the last ABI that shipped runs on every kernel, with the backstops each
# kernel gets.
# once: a map layout conversion in user space
test_upgrade_from_abi2_keeps_every_rule() { upgrade_from 2; }
# once: a map layout conversion in user space
test_upgrade_from_abi3_keeps_every_rule_and_hit() { upgrade_from 3; }
# once: a map layout conversion in user space
test_upgrade_from_abi4_keeps_every_rule_and_hit() { upgrade_from 4; }
# once: a map layout conversion in user space
test_upgrade_from_abi5_keeps_every_rule_audit_and_refusal() { upgrade_from 5; }
test_upgrade_from_abi6_keeps_every_rule_deny_and_exclude() { upgrade_from 6; }
