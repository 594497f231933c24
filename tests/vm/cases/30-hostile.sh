# Load, privilege and odd mounts (issue 6): the exact outcome each time.
# boot: b (one of the groups CI boots side by side: tests/vm/meson.build)

as_nobody() {
	/usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@"
}

sum_storms() {  # sum_storms KEY FILES...: add up KEY=N over storm outputs
	key=$1; shift
	cat "$@" | sed -n "s/^$key=//p" | awk '{ s += $1 } END { print s + 0 }'
}

# timeout: 120
# vcpus: 2 (8 storms and a rule churn across two CPUs)
test_storm_while_rules_change() {
	need_hook
	expect_exit 0 mptcpify attach --runtime --comm sockloop
	before=$(status_number rewritten_to_mptcp)
	for i in 1 2 3 4 5 6 7 8; do
		"$(prog sockloop)" --storm 10 >"/tmp/storm.$i" 2>&1 &
	done
	# A rule added and removed every 10 ms, next to the storm.
	"$(prog rulechurn)" /sys/fs/bpf/mptcpify 10 10 >/tmp/churn.txt || fail "rulechurn failed"
	n=$(sed -n 's/^changes=//p' /tmp/churn.txt)
	[ "$n" -gt 100 ] || fail "only $n rule changes in 10 s"
	wait
	cat /tmp/storm.*
	errors=$(sum_storms errors /tmp/storm.*)
	mptcp=$(sum_storms mptcp /tmp/storm.*)
	tcp=$(sum_storms tcp /tmp/storm.*)
	total=$(sum_storms sockets /tmp/storm.*)
	echo "rule changes: $n; sockets: $total (mptcp $mptcp, tcp $tcp), errors $errors"
	mptcpify status
	assert_eq 0 "$errors" "socket() errors during the storm"
	[ "$total" -gt 0 ] || fail "no sockets opened"
	# Every socket of the selected program is MPTCP, also where the kernel
	# skipped the primary copy of the hook (backstops took over).
	assert_eq 0 "$tcp" "sockets of the selected program that stayed TCP"
	assert_eq "$total" "$mptcp" "MPTCP = sockets opened"
	hits=$(mptcpify --json list | sed -n 's/.*"comm":"sockloop","hits":\([0-9]*\).*/\1/p')
	assert_eq "$mptcp" "$hits" "the rule's hit counter equals the sockets opened"
	after=$(status_number rewritten_to_mptcp)
	assert_eq "$mptcp" "$((after - before))" "the global counter equals the sockets opened"
}

test_unprivileged_user_cannot_touch_pins() {
	need_hook
	[ -x /usr/bin/setpriv ] || fail "util-linux setpriv missing from the guest"
	expect_exit 0 mptcpify attach --runtime --comm sockprobe
	as_nobody bpftool map dump pinned /sys/fs/bpf/mptcpify/comm_rules >/tmp/o 2>&1 &&
		fail "nobody read the comm map: $(cat /tmp/o)"
	as_nobody bpftool map update pinned /sys/fs/bpf/mptcpify/comm_rules \
		key hex 41 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 value hex 0 0 0 0 0 0 0 0 >/tmp/o 2>&1 &&
		fail "nobody wrote the comm map"
	# The re-pin trick: get a readable pin and pin it again where one may write.
	mkdir -p /sys/fs/bpf/open && chmod 1777 /sys/fs/bpf/open
	as_nobody bpftool map pin pinned /sys/fs/bpf/mptcpify/comm_rules /sys/fs/bpf/open/x >/tmp/o 2>&1 &&
		fail "nobody re-pinned the comm map"
	[ -e /sys/fs/bpf/open/x ] && fail "a re-pinned map appeared"
	out=$(as_nobody mptcpify list 2>&1); rc=$?
	echo "$out"
	assert_eq 3 "$rc" "list as nobody"
	echo "$out" | grep -q "needs root" || fail "list as nobody does not say why"
	return 0
}

test_pin_dir_not_trusted_if_open() {
	need_hook
	mkdir -m 0777 /sys/fs/bpf/mptcpify
	out=$(mptcpify attach --runtime --comm x 2>&1); rc=$?
	echo "$out"
	assert_eq 3 "$rc" "attach into a 0777 pin directory"
	echo "$out" | grep -q "mode 0777, open to other users" || fail "no reason given"
}

test_bpffs_missing_or_wrong() {
	need_hook
	umount /sys/fs/bpf || fail "cannot unmount bpffs"
	expect_exit 0 mptcpify attach --runtime --comm x
	[ "$(stat -f -c %T /sys/fs/bpf)" = bpf_fs ] || fail "attach did not mount bpffs"
	expect_exit 0 mptcpify unload
	umount /sys/fs/bpf
	mount -t tmpfs tmpfs /sys/fs/bpf
	out=$(mptcpify attach --runtime --comm x 2>&1); rc=$?
	umount /sys/fs/bpf; mount -t bpf bpf /sys/fs/bpf
	echo "$out"
	assert_eq 1 "$rc" "attach with tmpfs on /sys/fs/bpf"
	echo "$out" | grep -q "is not a BPF filesystem" || fail "no reason given"
}

# bpffs mounted with mode=1777: anyone may make directories at its top. A
# pin directory an unprivileged user made first is refused; the one mptcpify
# makes is 0700 and root's whatever the mount's mode.
test_bpffs_mode_1777() {
	need_hook
	umount /sys/fs/bpf || fail "cannot unmount bpffs"
	trap 'umount /sys/fs/bpf; mount -t bpf bpf /sys/fs/bpf' EXIT
	mount -t bpf -o mode=1777 bpf /sys/fs/bpf || fail "cannot mount bpffs with mode=1777"
	as_nobody mkdir /sys/fs/bpf/mptcpify || fail "nobody could not mkdir in a 1777 bpffs"
	out=$(mptcpify attach --runtime --comm x 2>&1); rc=$?
	echo "$out"
	assert_eq 3 "$rc" "attach into a pin directory nobody made"
	echo "$out" | grep -q "owned by uid 65534, not root" || fail "no reason given"
	[ -z "$(ls -A /sys/fs/bpf/mptcpify)" ] || fail "something was pinned into nobody's directory"
	rmdir /sys/fs/bpf/mptcpify
	expect_exit 0 mptcpify attach --runtime --comm x
	assert_eq "700 0" "$(stat -c '%a %u' /sys/fs/bpf/mptcpify)" "pin directory mode and owner"
	as_nobody mkdir /sys/fs/bpf/mptcpify/evil 2>/dev/null && fail "nobody made a directory among the pins"
	expect_exit 0 mptcpify unload
}

# coexist ORDER: another tool's fmod_ret program and ours, attached in ORDER.
coexist() {
	need_hook
	mkdir -p /sys/fs/bpf/other
	cp "$(prog sockprobe)" /tmp/otherprog
	if [ "$1" = other-first ]; then
		expect_exit 0 "$(prog other-fmodret)" /sys/fs/bpf/other/link
		expect_exit 0 mptcpify attach --runtime --comm sockprobe
	else
		expect_exit 0 mptcpify attach --runtime --comm sockprobe
		expect_exit 0 "$(prog other-fmodret)" /sys/fs/bpf/other/link
	fi
	assert_eq 2 "$(tracing_links)" "two tracing links"
	# Ours ends the chain for what it declines only when theirs runs
	# before ours (attached later), never when that would hide sockets
	# from theirs (attached earlier).
	if [ "$1" = other-first ]; then want=false; else want=true; fi
	mptcpify --json status | grep -q "\"ends_at_mptcpify\":$want" ||
		fail "hook chain: expected ends_at_mptcpify $want: $(mptcpify --json status)"
	assert_eq 262 "$("$(prog sockprobe)" -4 | sed -n 's/^protocol=//p')" "ours rewrites sockprobe"
	assert_eq 262 "$(/tmp/otherprog -4 | sed -n 's/^protocol=//p')" "theirs rewrites otherprog"
	cp "$(prog sockprobe)" /tmp/neither
	assert_eq 6 "$(/tmp/neither -4 | sed -n 's/^protocol=//p')" "neither selects this one"
	rm /sys/fs/bpf/other/link
	assert_eq 262 "$("$(prog sockprobe)" -4 | sed -n 's/^protocol=//p')" "ours after theirs left"
	assert_eq 6 "$(/tmp/otherprog -4 | sed -n 's/^protocol=//p')" "otherprog after theirs left"
}

test_second_fmod_ret_program_attached_before() { coexist other-first; }
test_second_fmod_ret_program_attached_after() { coexist ours-first; }

# once: file locking in the CLI
test_concurrent_clis_lose_nothing() {
	need_hook
	expect_exit 0 mptcpify load
	pids=""
	for i in 1 2 3 4 5 6 7 8; do
		mptcpify attach --comm "par$i" >/dev/null 2>&1 &
		pids="$pids $!"
	done
	for p in $pids; do wait "$p" || fail "a concurrent attach failed"; done
	cat /etc/mptcpify/mptcpify.conf
	for i in 1 2 3 4 5 6 7 8; do
		grep -qx "comm = par$i" /etc/mptcpify/mptcpify.conf || fail "par$i missing from the file"
		mptcpify --json list | grep -q "\"comm\":\"par$i\"" || fail "par$i missing from the maps"
	done
	assert_eq 1 "$(tracing_links)" "tracing links"
}

# The recursion guard (issue 11): on a kernel that can preempt a task inside
# the hook, 8 processes opening sockets as fast as they can on 2 CPUs made
# a fifth of them skip the program. Backstop copies are attached there, and
# not on a kernel that cannot preempt inside it (voluntary, none).
# timeout: 180
# vcpus: 2 (the recursion guard skips a program held on another CPU's task)
test_storm_no_socket_stays_tcp() {
	need_hook
	expect_exit 0 mptcpify attach --runtime --comm sockloop
	mode=$(cat /sys/kernel/debug/sched/preempt 2>/dev/null)
	backstops=$(backstop_links)
	echo "backstop links: $backstops; preemption: ${mode:-debugfs not mounted}; cmdline: $(cat /proc/cmdline)"
	case $MPTCPIFY_VM_SERIES:$(cat /proc/cmdline) in
	6.12:*preempt=full*|7.*) assert_eq 3 "$backstops" "backstops on a preemptible kernel" ;;
	6.12:*) assert_eq 0 "$backstops" "backstops on 6.12 (voluntary preemption)" ;;
	esac
	for i in 1 2 3 4 5 6 7 8; do
		"$(prog sockloop)" --storm 10 >"/tmp/storm.$i" 2>&1 &
	done
	wait
	mptcp=$(sum_storms mptcp /tmp/storm.*)
	tcp=$(sum_storms tcp /tmp/storm.*)
	total=$(sum_storms sockets /tmp/storm.*)
	mptcpify status | grep -E 'missed_by_kernel|backstop'
	missed=$(status_number missed_by_kernel)
	rescued=$(status_number rewritten_by_backstop)
	echo "sockets: $total (mptcp $mptcp, tcp $tcp); primary skipped $missed, backstops rewrote $rescued"
	assert_eq 0 "$(sum_storms errors /tmp/storm.*)" "socket() errors during the storm"
	[ "$total" -ge 20000 ] || fail "only $total sockets in the storm: too few to tell"
	assert_eq 0 "$tcp" "sockets of the selected program that stayed TCP"
	assert_eq "$missed" "$rescued" "sockets the primary missed = sockets the backstops rewrote"
}

# The instruction-count benchmark (tests/bench/icount.sh) still runs and
# prints its table: tiny sizes, not its numbers (benchmarks never gate CI).
# timeout: 300
# once: the script's own working, checked on the first kernel
test_icount_benchmark_runs() {
	need_hook
	ICOUNT_ITERS=300 ICOUNT_REPS=1 ICOUNT_ROUNDS=1 ICOUNT_COMM_RULES=20 ICOUNT_SIBLINGS=2 \
		sh /suite/bench/icount.sh >/tmp/ic.txt 2>&1
	rc=$?
	cat /tmp/ic.txt
	assert_eq 0 "$rc" "icount.sh exit status"
	grep -q "ours, not selected, 11k rules, 10 deep" /tmp/ic.txt || fail "no table"
}

# So does the per-program one (prog-cost.sh): every row has statistics.
# timeout: 200
# once: the script's own working, checked on the first kernel
test_progcost_benchmark_runs() {
	need_hook
	PROGCOST_ITERS=200 PROGCOST_REPS=1 PROGCOST_COMM_RULES=20 PROGCOST_SIBLINGS=2 PROGCOST_SETTLE=0 \
		sh /suite/bench/prog-cost.sh >/tmp/pc.txt 2>&1
	rc=$?
	cat /tmp/pc.txt
	assert_eq 0 "$rc" "prog-cost.sh exit status"
	grep -Eq "ours, selected by cgroup 9 levels up +[0-9]+ +[0-9]+ +[0-9]+\.[0-9]+$" /tmp/pc.txt ||
		fail "no statistics for the selected row"
}
