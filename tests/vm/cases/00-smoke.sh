# 00-smoke.sh — the rig tests itself: if one of these fails, the results of
# every other case file on this boot are suspect.
# boot: a (one of the groups CI boots side by side: tests/vm/meson.build)

test_modules_loaded() {
	local m n
	while read -r m; do
		n=$(basename "$m" .ko)
		[ -d "/sys/module/$n" ] || fail "module $n (from modules.load) is not loaded"
	done <"/lib/modules/$(uname -r)/modules.load"
	# MPTCP itself is built in on every Debian kernel.
	[ -d /proc/sys/net/mptcp ] || fail "no /proc/sys/net/mptcp: kernel without MPTCP"
}

test_mounts() {
	awk '$2 == "/sys/fs/bpf" && $3 == "bpf" { f = 1 } END { exit !f }' /proc/mounts ||
		fail "bpffs not mounted on /sys/fs/bpf"
	awk '$2 == "/sys/fs/cgroup" && $3 == "cgroup2" { f = 1 } END { exit !f }' /proc/mounts ||
		fail "cgroup2 not mounted on /sys/fs/cgroup"
	[ -e /sys/kernel/btf/vmlinux ] || fail "no kernel BTF"
}

# The names ip, tc, ss, nstat must mean iproute2 however a test calls them:
# directly, from `sh -c`, or through another program's exec.
test_real_iproute2() {
	local t p
	for t in ip tc ss nstat; do
		p=$(type -P "$t") || fail "$t not in PATH"
		case $(readlink -f "$p") in *busybox*) fail "$t in PATH is busybox" ;; esac
	done
	expect_exit 0 ip mptcp limits show
	expect_exit 0 sh -c 'ip mptcp endpoint show'
	expect_exit 0 env ip -V
	grep -q iproute2 "$LAST_OUT" || fail "env ip -V is not iproute2"
	expect_exit 0 timeout 5 ip mptcp limits show
}

test_nstat() {
	local v
	v=$(nstat_get IpExtInOctets)
	case $v in ''|*[!0-9]*) fail "nstat_get gave '$v'" ;; esac
	# A counter that exists only with MPTCP support.
	nstat -asz 'MPTcpExtMPCapableSYNRX' | grep -q MPTcpExtMPCapableSYNRX ||
		fail "nstat shows no MPTcpExt counters"
}

test_mptcp_sysctl() {
	assert_eq 1 "$(cat /proc/sys/net/mptcp/enabled)" net.mptcp.enabled
}

test_veth_ping() {
	netns_setup 2
	in_cli ping -c1 -W2 "$SRV_ADDR1" >/dev/null || fail "ping over path 1"
	in_cli ping -c1 -W2 "$SRV_ADDR2" >/dev/null || fail "ping over path 2"
	assert_eq 1 "$(in_srv cat /proc/sys/net/mptcp/enabled)" "net.mptcp.enabled in a new netns"
}

# An MPTCP connection without mptcpify (mptcpd's LD_PRELOAD wrapper): proves
# the guest kernel, the counters and ss's mptcp_diag view all work.
test_mptcp_with_mptcpize() {
	command -v mptcpize >/dev/null || skip "mptcpize (mptcpd) not installed on the host"
	netns_setup 1
	in_srv mptcpize run ncat -l -k --no-shutdown 4321 >/dev/null </dev/null &
	wait_port 4321 "$NS_SRV"
	# The client's stdin stays open: the connection lives until the runner
	# kills it after the test.
	sleep 60 | in_cli mptcpize run ncat "$SRV_ADDR1" 4321 >/dev/null &
	wait_until 10 sh -c "ip netns exec $NS_SRV ss -HM state established | grep -q ." ||
		fail "ss -M shows no established MPTCP socket (mptcp_diag)"
	assert_eq 1 "$(nstat_get MPTcpExtMPCapableSYNRX "$NS_SRV")" MPTcpExtMPCapableSYNRX
	in_cli ss -Hnti "dport = :4321" | grep -q tcp-ulp-mptcp ||
		fail "ss -nti shows no tcp-ulp-mptcp subflow"
}

# The host's has_hook expectation agrees with the kernel's BTF.
test_hook_expectation() {
	local real=0
	grep -qa update_socket_protocol /sys/kernel/btf/vmlinux && real=1
	[ -n "${MPTCPIFY_VM_EXPECT_HOOK:-}" ] || fail "host passed no mptcpify.expect_hook"
	assert_eq "$MPTCPIFY_VM_EXPECT_HOOK" "$real" "update_socket_protocol in BTF"
}

# Results travel on their own channel: a test can neither reach it nor
# forge results by printing them. run.sh reads only the channel, so the
# lines below must not show up as results (a "not ok" would).
test_results_channel_is_private() {
	[ -e /proc/self/fd/7 ] && fail "the result channel fd is open in tests"
	echo "RESULT FAIL 00-smoke/forged printed on the console, must not count"
	echo "SUITE-DONE 99"
	grep -q "mptcpify.nonce=" /proc/cmdline || fail "no nonce on the kernel command line"
}

# lib.sh itself: exit codes are captured, fail in a subshell still counts.
test_lib_helpers() {
	expect_exit 0 true
	expect_exit 3 bash -c 'echo out; exit 3'
	assert_eq out "$(cat "$LAST_OUT")" "expect_exit output"
	local st=$T_TMP/inner
	(T_STATUS=$st; fail "inner") 2>/dev/null
	assert_eq 1 "$?" "fail exit status"
	grep -qx "FAIL inner" "$st" || fail "fail did not record its reason"
	(T_STATUS=$st; skip "why") 2>/dev/null
	assert_eq 77 "$?" "skip exit status"
	[ -x /usr/libexec/mptcpify-test ] || [ -d /usr/libexec/mptcpify-test ] || fail "no test program dir"
}
