# Cgroup path rules and patterns (issue 10): a rule is a path, and the
# kernel selects each new cgroup that matches inside mkdir(), before any
# process can enter it; rmdir() takes the id away again.
# boot: b (one of the groups CI boots side by side: tests/vm/meson.build)

# live_ids: number of cgroup ids in the hook's cgroup map.
live_ids() { bpftool map dump pinned /sys/fs/bpf/mptcpify/cgroup_rules | grep -c '"key"'; }

# timeout: 300
test_path_rule_survives_recreation() {
	need_hook
	mkdir -p /sys/fs/cgroup/testsvc
	expect_exit 0 mptcpify attach --runtime --cgroup testsvc
	assert_eq $MPTCP "$(proto_in /sys/fs/cgroup/testsvc)" "before the cgroup is re-created"
	for i in $(seq 200); do
		rmdir /sys/fs/cgroup/testsvc || fail "rmdir failed in round $i"
		mkdir /sys/fs/cgroup/testsvc || fail "mkdir failed in round $i"
		# Every 20 rounds a process checks it; the map never grows.
		if [ $((i % 20)) = 0 ]; then
			assert_eq $MPTCP "$(proto_in /sys/fs/cgroup/testsvc)" "after $i re-creations"
			assert_eq 1 "$(live_ids)" "ids in the hook's map after $i re-creations"
		fi
	done
	mptcpify list
	mptcpify --json list | grep -q '"cgroup":"/sys/fs/cgroup/testsvc","pattern":false,"live_cgroups":1' ||
		fail "list does not show the path rule with 1 live cgroup: $(mptcpify --json list)"
	mptcpify list | grep -q removed && fail "list shows a removed cgroup"
	# The hits of the 200 cgroups that are gone still count for the rule.
	hits=$(mptcpify --json list | sed -n 's/.*"cgroup":"\/sys\/fs\/cgroup\/testsvc",[^}]*"hits":\([0-9]*\).*/\1/p')
	assert_eq 11 "$hits" "hits of the path rule (1 + 10 checks)"
	return 0
}

# timeout: 300
test_pattern_selects_new_containers_with_no_window() {
	need_hook
	mkdir -p /sys/fs/cgroup/testctr
	expect_exit 0 mptcpify attach --runtime --cgroup 'testctr/ctr-*.scope'
	mkdir /sys/fs/cgroup/testctr/other.scope
	assert_eq $TCP "$(proto_in /sys/fs/cgroup/testctr/other.scope)" "sibling other.scope"
	mkdir /sys/fs/cgroup/testctr/ctr-.scope
	assert_eq $MPTCP "$(proto_in /sys/fs/cgroup/testctr/ctr-.scope)" "ctr-.scope (empty middle)"
	mkdir /sys/fs/cgroup/testctr/ctr-x.scopex
	assert_eq $TCP "$(proto_in /sys/fs/cgroup/testctr/ctr-x.scopex)" "ctr-x.scopex (suffix differs)"
	n=0
	for i in $(seq 100); do
		# mkdir, then at once a process in it: what a container runtime does.
		d=/sys/fs/cgroup/testctr/ctr-$i$RANDOM.scope
		got=$(mkdir "$d" && proto_in "$d")
		[ "$got" = $MPTCP ] && n=$((n + 1))
		rmdir "$d"
	done
	assert_eq 100 "$n" "new matching cgroups whose first process got MPTCP"
	# Only the two live ctr-.scope and no dead id are left.
	assert_eq 1 "$(live_ids)" "ids left in the hook's map"
	mptcpify --json list | grep -q '"cgroup":"/sys/fs/cgroup/testctr/ctr-\*.scope","pattern":true,"live_cgroups":1' ||
		fail "list does not show the pattern: $(mptcpify --json list)"
}

test_rule_selects_existing_cgroups_and_detach_removes_them() {
	need_hook
	mkdir -p /sys/fs/cgroup/testpods/app-1.scope/inner /sys/fs/cgroup/testpods/app-2.scope \
		/sys/fs/cgroup/testpods/db.scope
	expect_exit 0 mptcpify attach --runtime --cgroup '/sys/fs/cgroup/testpods/app-*'
	assert_eq $MPTCP "$(proto_in /sys/fs/cgroup/testpods/app-1.scope)" "existing app-1.scope"
	assert_eq $MPTCP "$(proto_in /sys/fs/cgroup/testpods/app-1.scope/inner)" "a descendant"
	assert_eq $MPTCP "$(proto_in /sys/fs/cgroup/testpods/app-2.scope)" "existing app-2.scope"
	assert_eq $TCP "$(proto_in /sys/fs/cgroup/testpods/db.scope)" "db.scope"
	assert_eq 2 "$(live_ids)" "ids selected by the pattern"
	expect_exit 0 mptcpify detach --runtime --cgroup '/sys/fs/cgroup/testpods/app-*'
	assert_eq 0 "$(live_ids)" "ids left after detach"
	assert_eq $TCP "$(proto_in /sys/fs/cgroup/testpods/app-1.scope)" "app-1.scope after detach"
	mkdir /sys/fs/cgroup/testpods/app-3.scope
	assert_eq $TCP "$(proto_in /sys/fs/cgroup/testpods/app-3.scope)" "new app-3.scope after detach"
}

test_saved_path_rule_in_file_and_list() {
	need_hook
	mkdir -p /sys/fs/cgroup/testfile
	expect_exit 0 mptcpify attach --cgroup 'testfile/job@*.service'
	grep -qx 'cgroup = /sys/fs/cgroup/testfile/job@\*.service' /etc/mptcpify/mptcpify.conf ||
		fail "the file does not hold the pattern: $(cat /etc/mptcpify/mptcpify.conf)"
	mkdir /sys/fs/cgroup/testfile/job@1.service
	assert_eq $MPTCP "$(proto_in /sys/fs/cgroup/testfile/job@1.service)" "job@1.service"
	# The daemon's apply of the same file keeps it (reload path).
	expect_exit 0 mptcpify unload
	expect_exit 0 mptcpify load
	assert_eq $MPTCP "$(proto_in /sys/fs/cgroup/testfile/job@1.service)" "after unload + load"
	mkdir /sys/fs/cgroup/testfile/job@2.service
	assert_eq $MPTCP "$(proto_in /sys/fs/cgroup/testfile/job@2.service)" "job@2.service, created after load"
	expect_exit 0 mptcpify detach --cgroup 'testfile/job@*.service'
	grep -q 'job@' /etc/mptcpify/mptcpify.conf && fail "detach left the pattern in the file"
	return 0
}

# once: argument checks, the same on every kernel
test_bad_patterns_refused_nothing_changed() {
	need_hook
	mkdir -p /sys/fs/cgroup/testbad
	expect_exit 0 mptcpify attach --cgroup testbad
	before_list=$(mptcpify --json list)
	before_conf=$(cat /etc/mptcpify/mptcpify.conf)
	long=$(printf 'x%.0s' $(seq 130))/$(printf 'y%.0s' $(seq 130))
	expect_exit 8 mptcpify attach --cgroup "testbad/$long"
	grep -q "longer than 254 bytes" "$LAST_OUT" || fail "no reason for the long path: $(cat "$LAST_OUT")"
	for bad in 'testbad/*/x' 'testbad/**' 'testbad/a*b*c' 'testbad/a?' 'testbad/[ab]' \
		"testbad/$long*" "testbad/$(printf 'p%.0s' $(seq 70))*" '*/x'; do
		expect_exit 8 mptcpify attach --cgroup "$bad"
		[ "$(wc -l <"$LAST_OUT")" = 1 ] || fail "more than one line for '$bad'"
	done
	grep -q "last path component" "$LAST_OUT" || fail "no reason for '*/x': $(cat "$LAST_OUT")"
	expect_exit 8 mptcpify attach --cgroup 'testnosuchdir/ctr-*'
	assert_eq "$before_list" "$(mptcpify --json list)" "list after refused patterns"
	assert_eq "$before_conf" "$(cat /etc/mptcpify/mptcpify.conf)" "the file after refused patterns"
	# The file is checked the same way: a bad pattern there is refused whole.
	mkdir -p /etc/mptcpify/conf.d
	printf '[select]\ncgroup = testbad/**\n' >/etc/mptcpify/conf.d/bad.conf
	expect_exit 0 mptcpify unload
	expect_exit 12 mptcpify load
	grep -q "'\*\*'" "$LAST_OUT" || fail "the file's error does not name '**'"
	rm /etc/mptcpify/conf.d/bad.conf
}

# timeout: 120
test_patterns_per_directory_bounded() {
	need_hook
	mkdir -p /sys/fs/cgroup/testmany
	for i in 1 2 3 4 5 6 7 8; do
		expect_exit 0 mptcpify attach --runtime --cgroup "testmany/p$i-*"
	done
	expect_exit 8 mptcpify attach --runtime --cgroup "testmany/p9-*"
	grep -q "8 patterns already share" "$LAST_OUT" || fail "no reason given"
	assert_eq 8 "$(mptcpify --json list | grep -o '"pattern":true' | wc -l)" "patterns kept"
}

# The hook only looks at the depths that hold rules: each depth must still
# be seen, from below and only there.
test_rules_at_several_depths() {
	need_hook
	mkdir -p /sys/fs/cgroup/testd1/x/y/z/w /sys/fs/cgroup/testd3a/b/c/d/e /sys/fs/cgroup/testd3a/q
	expect_exit 0 mptcpify attach --runtime --cgroup testd1 --cgroup testd3a/b/c
	assert_eq $MPTCP "$(proto_in /sys/fs/cgroup/testd1/x/y/z/w)" "5 deep, rule at depth 1"
	assert_eq $MPTCP "$(proto_in /sys/fs/cgroup/testd3a/b/c/d/e)" "5 deep, rule at depth 3"
	assert_eq $MPTCP "$(proto_in /sys/fs/cgroup/testd3a/b/c)" "at the depth-3 rule itself"
	assert_eq $TCP "$(proto_in /sys/fs/cgroup/testd3a/b)" "above the depth-3 rule"
	assert_eq $TCP "$(proto_in /sys/fs/cgroup/testd3a/q)" "beside the depth-3 rule"
	expect_exit 0 mptcpify detach --runtime --cgroup testd1
	assert_eq $TCP "$(proto_in /sys/fs/cgroup/testd1/x/y/z/w)" "after detaching depth 1"
	assert_eq $MPTCP "$(proto_in /sys/fs/cgroup/testd3a/b/c/d/e)" "depth 3 after detaching depth 1"
	# run's cgroup is selected by id: its depth counts too.
	got=$(mptcpify run -- sh -c "$(prog sockprobe) -4" | sed -n 's/^protocol=//p')
	assert_eq $MPTCP "$got" "mptcpify run next to path rules"
}
