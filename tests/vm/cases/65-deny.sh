# Remedies (issue 19): deny (never MPTCP, even when asked for), exclude by
# cgroup and unit, and compat = exclude (a program whose option MPTCP
# refused gets TCP from its next socket on, scoped to its name in its own
# cgroup). The reference is the kernel's answer: SO_PROTOCOL as sockprobe
# and sockopts read it, and the errno sockopts got.
# boot: c (one of the groups CI boots side by side: tests/vm/meson.build)

# in_cg CGROUP CMD ARGS...: run CMD inside CGROUP (moved there first).
in_cg() {
	local cg=$1
	shift
	sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$cg" "$@"
}

# proto_named_in CGROUP NAME ARGS...: the protocol a sockprobe named NAME
# gets inside CGROUP.
proto_named_in() {
	local cg=$1 name=$2
	shift 2
	cp "$(prog sockprobe)" "/tmp/$name"
	in_cg "$cg" "/tmp/$name" "$@" | sed -n 's/^protocol=//p'
}

# hits_of KIND TARGET: the hits `list --json` gives that rule.
hits_of() {
	mptcpify --json list | tr '{' '\n' | grep "\"kind\":\"$1\",\"$2\"" |
		sed -n 's/.*"hits":\([0-9]*\).*/\1/p'
}

# A socket asking for IPPROTO_MPTCP gets TCP under deny, and deny wins over
# every rule that selects: attach --all, a comm rule, a cgroup rule.
test_deny_wins_over_every_rule() {
	need_hook
	mkdir -p /sys/fs/cgroup/testsel
	expect_exit 0 mptcpify attach --runtime --comm someone
	assert_eq $MPTCP "$(proto_as denyme -4 --proto mptcp)" "asked for MPTCP, no deny"
	expect_exit 0 mptcpify deny --runtime --comm denyme
	grep -qx "comm denyme: denied" "$LAST_OUT" || fail "deny's answer"
	assert_eq $TCP "$(proto_as denyme -4 --proto mptcp)" "asked for MPTCP, denied (AF_INET)"
	assert_eq $TCP "$(proto_as denyme -6 --proto mptcp --nonblock)" "asked for MPTCP, denied (AF_INET6)"
	assert_eq $MPTCP "$(proto_as other -4 --proto mptcp)" "another name asking for MPTCP"
	expect_exit 0 mptcpify attach --runtime --all
	assert_eq $TCP "$(proto_as denyme -4)" "denied under attach --all"
	assert_eq $MPTCP "$(proto_as other -4)" "another name under attach --all"
	expect_exit 0 mptcpify detach --runtime --all
	expect_exit 0 mptcpify attach --runtime --comm denyme
	assert_eq $TCP "$(proto_as denyme -4)" "denied name with a comm rule"
	expect_exit 0 mptcpify detach --runtime --comm denyme
	expect_exit 0 mptcpify attach --runtime --cgroup /sys/fs/cgroup/testsel
	assert_eq $TCP "$(proto_named_in /sys/fs/cgroup/testsel denyme -4)" "denied name in a selected cgroup"
	assert_eq $MPTCP "$(proto_named_in /sys/fs/cgroup/testsel other -4)" "another name there"
	# 2 asked for MPTCP + 1 under --all + 2 selected = 5 sockets kept TCP.
	assert_eq 5 "$(hits_of deny comm)" "the deny rule's hits"
	assert_eq 5 "$(status_number denied)" "status: denied"
	expect_exit 0 mptcpify deny --runtime --remove --comm denyme
	assert_eq $MPTCP "$(proto_as denyme -4 --proto mptcp)" "asked for MPTCP after deny --remove"
}

# deny --cgroup: a process there (or below) asking for MPTCP gets TCP, a
# selected one stays TCP; the rule follows the path when the cgroup is
# made again; elsewhere nothing changes.
test_deny_by_cgroup_follows_recreation() {
	need_hook
	mkdir -p /sys/fs/cgroup/testden/child /sys/fs/cgroup/testok
	expect_exit 0 mptcpify attach --runtime --all
	expect_exit 0 mptcpify deny --runtime --cgroup /sys/fs/cgroup/testden
	grep -qx "cgroup /sys/fs/cgroup/testden: denied" "$LAST_OUT" || fail "deny's answer"
	assert_eq $TCP "$(proto_named_in /sys/fs/cgroup/testden p1 -4)" "selected, in the denied cgroup"
	assert_eq $TCP "$(proto_named_in /sys/fs/cgroup/testden/child p1 -4 --proto mptcp)" \
		"asked for MPTCP, below the denied cgroup"
	assert_eq $MPTCP "$(proto_named_in /sys/fs/cgroup/testok p1 -4)" "selected, elsewhere"
	rmdir /sys/fs/cgroup/testden/child /sys/fs/cgroup/testden && mkdir /sys/fs/cgroup/testden
	assert_eq $TCP "$(proto_named_in /sys/fs/cgroup/testden p1 -4 --proto mptcp)" \
		"asked for MPTCP, in the denied cgroup made again"
	mptcpify list
	mptcpify --json list | grep -q '"kind":"deny","cgroup":"/sys/fs/cgroup/testden","live_cgroups":1,"hits":3,"saved":false' ||
		fail "list: $(mptcpify --json list)"
}

# exclude --cgroup and --unit: not converted, but a program asking for
# MPTCP keeps it (that is deny's job). The unit's cgroup comes from
# systemctl, here a stand-in printing what systemd prints for a unit that
# is not running (this guest has no systemd; the path is then its slice's
# and its name, as for attach --unit).
test_exclude_by_cgroup_and_unit() {
	need_hook
	mkdir -p "$T_TMP/bin" /sys/fs/cgroup/testex /sys/fs/cgroup/testunit.slice
	printf '#!/bin/sh\nprintf "LoadState=loaded\\nControlGroup=\\nSlice=testunit.slice\\n"\n' \
		>"$T_TMP/bin/systemctl"
	chmod +x "$T_TMP/bin/systemctl"
	expect_exit 0 mptcpify attach --runtime --all
	expect_exit 0 env PATH="$T_TMP/bin:$PATH" mptcpify exclude --runtime --cgroup testex --unit fake.service
	grep -qx "unit fake.service: excluded" "$LAST_OUT" || fail "exclude's answer for the unit"
	assert_eq $TCP "$(proto_named_in /sys/fs/cgroup/testex p2 -4)" "selected, in the excluded cgroup"
	assert_eq $MPTCP "$(proto_named_in /sys/fs/cgroup/testex p2 -4 --proto mptcp)" \
		"asked for MPTCP in the excluded cgroup"
	# The unit starts: its cgroup is made, and is excluded from its mkdir() on.
	mkdir /sys/fs/cgroup/testunit.slice/fake.service
	assert_eq $TCP "$(proto_named_in /sys/fs/cgroup/testunit.slice/fake.service p2 -4)" "the unit's new cgroup"
	assert_eq $MPTCP "$(proto_named_in /sys/fs/cgroup/testunit.slice p2 -4)" "next to the unit"
	mptcpify list
	mptcpify --json list | grep -q '"kind":"exclude","cgroup":"/sys/fs/cgroup/testunit.slice/fake.service","live_cgroups":1,"hits":1' ||
		fail "list: $(mptcpify --json list)"
	# Both kinds on one path: deny wins, and removing it leaves the exclude.
	expect_exit 0 mptcpify deny --runtime --cgroup testex
	assert_eq $TCP "$(proto_named_in /sys/fs/cgroup/testex p2 -4 --proto mptcp)" "denied and excluded"
	expect_exit 0 mptcpify deny --runtime --remove --cgroup testex
	assert_eq $MPTCP "$(proto_named_in /sys/fs/cgroup/testex p2 -4 --proto mptcp)" "excluded again"
	assert_eq $TCP "$(proto_named_in /sys/fs/cgroup/testex p2 -4)" "still excluded"
	expect_exit 0 env PATH="$T_TMP/bin:$PATH" mptcpify exclude --runtime --remove --cgroup testex --unit fake.service
	assert_eq $MPTCP "$(proto_named_in /sys/fs/cgroup/testex p2 -4)" "after exclude --remove"
}

# Saved deny rules: in the file, kept across unload and load, and across
# daemon restarts (kill -9 and SIGTERM, which unloads).
# timeout: 120
test_deny_kept_across_reload_and_daemon_restarts() {
	need_hook
	mptcpify unload >/dev/null 2>&1
	rm -rf /etc/mptcpify
	mkdir -p /sys/fs/cgroup/testkeep
	expect_exit 0 mptcpify attach --all
	expect_exit 0 mptcpify deny --comm keptdeny --cgroup /sys/fs/cgroup/testkeep
	cat /etc/mptcpify/mptcpify.conf
	grep -qx 'deny = comm:keptdeny' /etc/mptcpify/mptcpify.conf || fail "deny comm not saved"
	grep -qx 'deny = cgroup:/sys/fs/cgroup/testkeep' /etc/mptcpify/mptcpify.conf || fail "deny cgroup not saved"
	expect_exit 0 mptcpify unload
	expect_exit 0 mptcpify load
	assert_eq $TCP "$(proto_as keptdeny -4 --proto mptcp)" "denied name after unload and load"
	assert_eq $TCP "$(proto_named_in /sys/fs/cgroup/testkeep p3 -4)" "denied cgroup after unload and load"
	mptcpify --json list | grep -q '"kind":"deny","comm":"keptdeny","hits":1,"saved":true' ||
		fail "list: $(mptcpify --json list)"
	expect_exit 0 mptcpify unload
	: >/tmp/d.log
	mptcpify daemon >>/tmp/d.log 2>&1 &
	d=$!
	wait_until 30 grep -q "loaded and pinned under" /tmp/d.log || fail "daemon not ready: $(cat /tmp/d.log)"
	grep -q "^deny: 1 comm, 1 cgroup, 0 unit rules" /tmp/d.log || fail "the daemon's start-up lines: $(cat /tmp/d.log)"
	assert_eq $TCP "$(proto_as keptdeny -4 --proto mptcp)" "denied under the daemon"
	kill -KILL $d; wait $d 2>/dev/null
	: >/tmp/d.log
	mptcpify daemon >>/tmp/d.log 2>&1 &
	d=$!
	wait_until 30 grep -q "adopted the program pinned under" /tmp/d.log || fail "daemon not ready after kill -9"
	assert_eq $TCP "$(proto_named_in /sys/fs/cgroup/testkeep p3 -4 --proto mptcp)" "denied cgroup after kill -9"
	kill -TERM $d; wait $d
	[ -e /sys/fs/bpf/mptcpify ] && fail "the daemon did not unload"
	: >/tmp/d.log
	mptcpify daemon >>/tmp/d.log 2>&1 &
	d=$!
	wait_until 30 grep -q "loaded and pinned under" /tmp/d.log || fail "daemon not ready after stop"
	assert_eq $TCP "$(proto_as keptdeny -4)" "denied name after a stop and start"
	assert_eq $MPTCP "$(proto_as other -4)" "the rest under --all"
	kill -TERM $d; wait $d
}

# compat = exclude: after the refused MD5 option, the probe's next socket is
# TCP and MD5 works on it; a process of the same name in another cgroup
# keeps MPTCP; an unprivileged process of that name (in its own cgroup,
# unable to join the service's) cannot exclude root's service; the daemon
# logs it; a reload clears it.
# timeout: 120
test_compat_exclude_scoped_and_cleared_by_reload() {
	need_hook
	mptcpify unload >/dev/null 2>&1
	rm -rf /etc/mptcpify
	mkdir -p /etc/mptcpify /sys/fs/cgroup/testsvc /sys/fs/cgroup/testother /sys/fs/cgroup/testuser
	printf '[select]\ncomm = optprobe\n[compat]\ncompat = exclude\n' >/etc/mptcpify/mptcpify.conf
	cp "$(prog sockopts)" /tmp/optprobe
	: >/tmp/d.log
	mptcpify daemon >>/tmp/d.log 2>&1 &
	d=$!
	wait_until 30 grep -q "loaded and pinned under" /tmp/d.log || fail "daemon not ready: $(cat /tmp/d.log)"
	# An unprivileged process named like the service, in a cgroup of its own
	# (it cannot join the service's), meets the refusal first.
	chmod 755 /tmp/optprobe
	/usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups \
		sh -c 'echo $$ >/sys/fs/cgroup/testsvc/cgroup.procs' 2>/dev/null &&
		fail "an unprivileged process joined the service's cgroup"
	in_cg /sys/fs/cgroup/testuser /usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups \
		/tmp/optprobe -4 TCP_MD5SIG >/tmp/user.out
	cat /tmp/user.out
	grep -qx 'socket=listener protocol=262' /tmp/user.out || fail "the unprivileged probe was not converted"
	grep -qx 'socket=unconnected protocol=6' /tmp/user.out || fail "the unprivileged probe's own next socket"
	# Root's service: converted, refused, then TCP with MD5 working.
	in_cg /sys/fs/cgroup/testsvc /tmp/optprobe -4 TCP_MD5SIG >/tmp/svc.out
	cat /tmp/svc.out
	assert_eq "socket=listener protocol=262
set TCP_MD5SIG error=ENOPROTOOPT
socket=unconnected protocol=6
set TCP_MD5SIG ok" "$(cat /tmp/svc.out)" "the service's sockets and MD5"
	assert_eq 6 "$(in_cg /sys/fs/cgroup/testsvc /tmp/optprobe -4 TCP_NODELAY | sed -n 's/^socket=listener protocol=//p')" \
		"the service's later sockets"
	assert_eq 262 "$(in_cg /sys/fs/cgroup/testother /tmp/optprobe -4 TCP_NODELAY | sed -n 's/^socket=listener protocol=//p')" \
		"the same name in another cgroup"
	mptcpify list
	mptcpify list | grep -q "^  optprobe\[[0-9]*\] in /sys/fs/cgroup/testsvc: setsockopt(SOL_TCP, TCP_MD5SIG) ENOPROTOOPT; 3 sockets kept TCP since$" ||
		fail "list does not show the service's exclusion"
	mptcpify --json list | grep -q '"compat":"exclude"' || fail "list --json: compat mode"
	mptcpify --json list | grep -q '"comm":"optprobe","cgroup":"/sys/fs/cgroup/testuser",[^}]*"option":"TCP_MD5SIG"' ||
		fail "list --json: the unprivileged one"
	wait_until 5 grep -q "^optprobe\[[0-9]*\] in /sys/fs/cgroup/testsvc: TCP from its next socket on (compat = exclude): setsockopt(SOL_TCP, TCP_MD5SIG) refused on MPTCP$" /tmp/d.log ||
		fail "the daemon did not log it: $(cat /tmp/d.log)"
	# A reload forgets it: MPTCP again, until the next refusal.
	kill -HUP $d
	wait_until 10 grep -q "configuration reloaded" /tmp/d.log || fail "no reload"
	mptcpify --json list | grep -q '"auto_excluded":\[\]' || fail "the reload kept the exclusions"
	assert_eq 262 "$(in_cg /sys/fs/cgroup/testsvc /tmp/optprobe -4 TCP_NODELAY | sed -n 's/^socket=listener protocol=//p')" \
		"the service after the reload"
	# compat = report: a refusal changes nothing.
	printf '[select]\ncomm = optprobe\n' >/etc/mptcpify/mptcpify.conf
	kill -HUP $d
	wait_until 10 sh -c '[ $(grep -c "configuration reloaded" /tmp/d.log) -ge 2 ]' || fail "no second reload"
	assert_eq 2 "$(in_cg /sys/fs/cgroup/testsvc /tmp/optprobe -4 TCP_MD5SIG | grep -c 'protocol=262')" \
		"both sockets MPTCP with compat = report"
	kill -TERM $d; wait $d
	cat /tmp/d.log
	assert_eq 2 "$(grep -c 'TCP from its next socket on (compat = exclude)' /tmp/d.log)" "log lines (the service and the unprivileged one)"
}

# once: malformed names, paths and values: one line, the exit status attach
# uses, nothing changed.
test_deny_bad_input() {
	need_cli
	rm -rf /etc/mptcpify
	mkdir -p /etc/mptcpify
	printf '[select]\ncomm = keep\n' >/etc/mptcpify/mptcpify.conf
	cp /etc/mptcpify/mptcpify.conf /tmp/conf.before
	expect_exit 7 mptcpify deny --comm waytoolongprocessname
	grep -q "'waytoolongproce': deny that" "$LAST_OUT" || fail "no hint for a long name"
	expect_exit 7 mptcpify exclude --comm 'a/b'
	expect_exit 8 mptcpify deny --cgroup 'system.slice/docker-*.scope'
	grep -q "not a pattern" "$LAST_OUT" || fail "pattern refusal does not say why"
	expect_exit 8 mptcpify exclude --cgroup 'machine.slice/libpod-*.scope'
	expect_exit 8 mptcpify deny --cgroup /sys/fs/cgroup/does/not/exist
	expect_exit 8 mptcpify deny --cgroup /sys/fs/cgroup
	grep -q "cgroup root" "$LAST_OUT" || fail "the root is not named"
	expect_exit 8 mptcpify exclude --cgroup ../etc
	expect_exit 9 mptcpify deny --unit 'no such.service'
	expect_exit 9 mptcpify exclude --unit foo.socket
	expect_exit 2 mptcpify deny
	expect_exit 2 mptcpify deny --all
	expect_exit 2 mptcpify exclude --own-cgroup
	[ "$(wc -l <"$LAST_OUT")" -le 2 ] || fail "more than one line for a usage error"
	cmp -s /tmp/conf.before /etc/mptcpify/mptcpify.conf || fail "the file changed"
	[ -e /sys/fs/bpf/mptcpify ] && fail "bad input loaded the program"
	mkdir -p /etc/mptcpify/conf.d
	for bad in 'compat = sometimes' 'deny = everything' 'deny = cgroup:a/*.scope'; do
		printf '[compat]\n%s\n' "$bad" >/etc/mptcpify/conf.d/bad.conf
		expect_exit 12 mptcpify load
		grep -q 'bad.conf:2: invalid ' "$LAST_OUT" || fail "no FILE:LINE for '$bad'"
		[ "$(wc -l <"$LAST_OUT")" = 1 ] || fail "more than one line for '$bad'"
	done
	printf '[exclude]\nunit = a.socket\n' >/etc/mptcpify/conf.d/bad.conf
	expect_exit 12 mptcpify load
	[ -e /sys/fs/bpf/mptcpify/link ] && fail "a bad file loaded the program"
	return 0
}
