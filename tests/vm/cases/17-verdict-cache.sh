# SPDX-License-Identifier: GPL-2.0-only
# The hook's shortcuts (bpf/mptcpify.bpf.c, "Deciding cheaply"): a verdict
# cached per cgroup and the name filter must never outlive the rules they
# were made under.
# boot: b (one of the groups CI boots side by side: tests/vm/meson.build)

walks() { status_number cgroup_walks; }

# A cgroup whose "not selected" verdict is cached is selected as soon as
# attach returns, and left again as soon as detach returns; the same for a
# rule on its parent. Each probe is a new process in that cgroup. Nothing
# races here (each probe starts after the CLI returned), so more rounds
# prove nothing more: with the generation bump left out of config_write(),
# every one of 20 rounds on 6.12 got TCP after attach.
# timeout: 120
test_cached_cgroup_verdict_follows_rules() {
	need_hook
	cg=/sys/fs/cgroup/vc/leaf
	mkdir -p $cg /sys/fs/cgroup/vc-other
	expect_exit 0 mptcpify attach --runtime --cgroup /sys/fs/cgroup/vc-other
	bad=0
	for i in $(seq 20); do
		[ "$(proto_in $cg)" = $TCP ] || { bad=$((bad + 1)); echo "round $i: selected before attach"; }
		[ "$(proto_in $cg)" = $TCP ] || bad=$((bad + 1))
		if [ $((i % 2)) = 0 ]; then rule=$cg; else rule=/sys/fs/cgroup/vc; fi
		mptcpify attach --runtime --cgroup $rule >/dev/null || fail "attach $rule"
		[ "$(proto_in $cg)" = $MPTCP ] || { bad=$((bad + 1)); echo "round $i: TCP after attach $rule"; }
		mptcpify detach --runtime --cgroup $rule >/dev/null || fail "detach $rule"
	done
	assert_eq 0 "$bad" "probes with a stale verdict in 20 rounds"
}

# The cache is what makes the hook cheap: 220 sockets in one cgroup (200
# and sockloop's warm-up), with 1,000 rules around and no change, walk the
# cgroup's ancestors at most one time; a rule change costs one more walk.
# Fails if the cache is bypassed.
test_cgroup_verdict_is_cached() {
	need_hook
	mkdir -p /sys/fs/cgroup/vcc/a/b/c /sys/fs/cgroup/vcc-sel
	args=""
	for k in $(seq 1000); do args="$args --comm n$k"; done
	expect_exit 0 mptcpify attach --runtime $args --cgroup /sys/fs/cgroup/vcc-sel
	sh -c 'echo $$ >/sys/fs/cgroup/vcc/a/b/c/cgroup.procs; exec "$0" --iters 1 --reps 1' \
		"$(prog sockloop)" >/dev/null
	before=$(walks)
	out=$(sh -c 'echo $$ >/sys/fs/cgroup/vcc/a/b/c/cgroup.procs; exec "$0" --iters 200 --reps 1' \
		"$(prog sockloop)")
	assert_eq $TCP "$(echo "$out" | sed -n 's/^protocol=//p')" "unselected loop"
	after=$(walks)
	echo "cgroup walks: $before before, $after after 220 sockets"
	[ $((after - before)) -le 1 ] || fail "$((after - before)) walks for 220 sockets in one cgroup"
	expect_exit 0 mptcpify attach --runtime --cgroup /sys/fs/cgroup/vcc/a
	assert_eq $MPTCP "$(proto_in /sys/fs/cgroup/vcc/a/b/c)" "after a rule on an ancestor"
}

# Names: the filter in front of the name maps. A 15-byte name (the kernel's
# limit) among 2,000 rules is selected; once removed, it is not, while the
# other 1,999 stay; a name that differs only past byte 15 cannot be told
# apart by the kernel and is selected like the rule.
test_name_filter_follows_rules() {
	need_hook
	args=""
	for k in $(seq 1999); do args="$args --comm name$k"; done
	mptcpify attach --runtime $args --comm fifteen-bytes-x >/dev/null || fail "attach 2000 names"
	assert_eq $MPTCP "$(proto_as fifteen-bytes-x -4)" "15-byte name among 2000 rules"
	assert_eq $MPTCP "$(proto_as fifteen-bytes-xyz -4)" "longer name, same first 15 bytes"
	assert_eq $MPTCP "$(proto_as name1234 -4)" "another of the 2000"
	assert_eq $TCP "$(proto_as fifteen-bytes-y -4)" "a name one byte off"
	expect_exit 0 mptcpify detach --runtime --comm fifteen-bytes-x
	assert_eq $TCP "$(proto_as fifteen-bytes-x -4)" "after its rule is removed"
	assert_eq $MPTCP "$(proto_as name1999 -4)" "the others stay"
	expect_exit 0 mptcpify exclude --runtime --comm name1999
	assert_eq $TCP "$(proto_as name1999 -4)" "an exclude goes through the filter too"
}
