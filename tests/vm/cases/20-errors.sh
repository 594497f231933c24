# Every error: its one-line message, its exit status, and that nothing changed
# (live rules, pins and the configuration file are compared before and after).
# boot: a (one of the groups CI boots side by side: tests/vm/meson.build)

# What must not change on an error.
snapshot() {
	mptcpify --json list 2>&1
	cat /etc/mptcpify/mptcpify.conf 2>/dev/null
	ls /sys/fs/bpf/mptcpify 2>/dev/null
}

# refuse STATUS PATTERN CMD...: CMD exits STATUS with one stderr line matching
# PATTERN, and the snapshot is unchanged.
refuse() {
	want=$1; pattern=$2; shift 2
	before=$(snapshot)
	"$@" >/tmp/out.txt 2>/tmp/err.txt
	rc=$?
	cat /tmp/err.txt
	assert_eq "$want" "$rc" "exit status of: $*"
	grep -q -- "$pattern" /tmp/err.txt || fail "message of '$*' does not match '$pattern'"
	assert_eq 1 "$(wc -l </tmp/err.txt)" "one line of error"
	assert_eq "$before" "$(snapshot)" "state after: $*"
}

with_rules() {
	has_hook || skip "kernel has no update_socket_protocol (expected on this series)"
	expect_exit 0 mptcpify attach --comm keepme
}

# once: command-line checks, before any BPF call
test_err_usage() {
	refuse 2 "give at least one of" mptcpify attach
	refuse 2 "unknown command" mptcpify frobnicate
	refuse 2 "unexpected argument 'foo'" mptcpify attach foo
	refuse 2 "goes with detach" mptcpify attach --all-rules
}

# once: validation in the CLI
test_err_comm_names() {
	with_rules
	refuse 7 "longer than 15 bytes.*'abcdefghijklmno'" mptcpify attach --comm abcdefghijklmnop
	refuse 7 "invalid comm" mptcpify attach --comm "$(printf 'x%.0s' $(seq 64))"
	refuse 7 "invalid comm ''" mptcpify attach --comm ""
	refuse 7 "invalid comm 'a/b'" mptcpify attach --comm a/b
	refuse 7 "invalid comm" mptcpify attach --comm "$(printf 'a\tb')"
	refuse 7 "invalid comm" mptcpify attach --comm "$(printf 'caf\303')"
	# A good name next to a bad one: nothing is attached at all.
	refuse 7 "invalid comm" mptcpify attach --comm good a/b
	expect_exit 0 mptcpify attach --comm abcdefghijklmno  # exactly 15 bytes
	expect_exit 0 mptcpify attach --comm abcdefghijklmno  # twice: idempotent
	grep -c '^comm = abcdefghijklmno$' /etc/mptcpify/mptcpify.conf | grep -qx 1 ||
		fail "the config holds the name once: $(cat /etc/mptcpify/mptcpify.conf)"
}

# once: validation in the CLI and cgroupfs
test_err_cgroup_paths() {
	with_rules
	mkdir -p /sys/fs/cgroup/testcg
	: >/tmp/regular
	ln -sfn /sys/fs/cgroup/testcg /tmp/cglink
	refuse 8 "No such file" mptcpify attach --cgroup /sys/fs/cgroup/does-not-exist
	refuse 8 "not a directory" mptcpify attach --cgroup /tmp/regular
	refuse 8 "symlink" mptcpify attach --cgroup /tmp/cglink
	refuse 8 "\.\." mptcpify attach --cgroup testcg/../testcg
	refuse 8 "not a cgroup v2 directory" mptcpify attach --cgroup /tmp
	mkdir -p /tmp/cg1 && mount -t cgroup -o none,name=mptcpifytest cgroup /tmp/cg1 2>/dev/null &&
		refuse 8 "cgroup v1" mptcpify attach --cgroup /tmp/cg1
	umount /tmp/cg1 2>/dev/null
	expect_exit 0 mptcpify attach --cgroup testcg
}

# once: validation in the CLI
test_err_units() {
	with_rules
	refuse 9 "socket" mptcpify attach --unit foo.socket
	refuse 9 "template" mptcpify attach --unit foo@.service
	# No systemd in this guest: the unit cannot be resolved.
	refuse 9 "" mptcpify attach --unit nosuch.service
}

# once: the parser
test_err_bad_config_file() {
	with_rules
	mkdir -p /etc/mptcpify
	cp /etc/mptcpify/mptcpify.conf /tmp/good.conf
	printf '[select]\ncomm = ok\nbogus = 1\n' >/etc/mptcpify/mptcpify.conf
	refuse 12 "mptcpify.conf:3:" mptcpify attach --comm other
	cp /tmp/good.conf /etc/mptcpify/mptcpify.conf
}

# once: hash map limits, the same in every kernel here
test_err_map_full() {
	with_rules
	# Fill the comm map to max_entries (16384) with runtime rules: keepme,
	# 15 calls of 1024 names and one of 1023.
	i=0
	while [ $i -lt 16 ]; do
		last=1024; [ $i = 15 ] && last=1023
		names=$(awk -v i=$i -v n=$last 'BEGIN { for (k = 1; k <= n; k++) printf "f%d_%d ", i, k }')
		# Not expect_exit: 1024 "attached" lines a call would flood the
		# console; on failure, show what else the CLI said.
		mptcpify attach --runtime --comm $names >/tmp/fill.out 2>&1
		rc=$?
		[ "$rc" = 0 ] || fail "filling call $i exited $rc: $(grep -v ': attached$' /tmp/fill.out | head -n 3)"
		i=$((i + 1))
	done
	refuse 10 "map is full" mptcpify attach --comm onemore
	mptcpify --json list | grep -q '"comm":"onemore"' && fail "onemore got in"
	grep -q onemore /etc/mptcpify/mptcpify.conf && fail "onemore got into the file"
	return 0
}

test_err_not_root() {
	has_hook || skip "kernel has no update_socket_protocol (expected on this series)"
	[ -x /usr/bin/setpriv ] || fail "util-linux setpriv missing from the guest"
	expect_exit 0 mptcpify attach --comm keepme
	refuse 3 "needs root" /usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all mptcpify attach --comm x
	refuse 3 "root" /usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all mptcpify unload
}

test_err_no_hook() {
	has_hook && skip "this kernel has the hook; the error path runs on 6.1"
	refuse 4 "lacks update_socket_protocol: mptcpify needs Linux >= 6.6" mptcpify attach --comm iperf3
	grep -q "bookworm-backports" /tmp/err.txt || fail "the 6.1 error does not name the fix"
	refuse 4 "needs Linux >= 6.6" mptcpify run -- true
	expect_exit 4 mptcpify status
	[ -e /sys/fs/bpf/mptcpify ] && fail "a pin directory was left behind"
	return 0
}

test_warn_mptcp_disabled() {
	has_hook || skip "kernel has no update_socket_protocol (expected on this series)"
	sysctl -w net.mptcp.enabled=0 >/dev/null
	mptcpify attach --runtime --comm sockprobe 2>/tmp/err.txt
	rc=$?
	sysctl -w net.mptcp.enabled=1 >/dev/null
	assert_eq 0 $rc "attach still succeeds"
	grep -q 'net.mptcp.enabled is 0.*sysctl -w net.mptcp.enabled=1' /tmp/err.txt ||
		fail "no warning: $(cat /tmp/err.txt)"
}
