# Crashes at the worst moments: the daemon and the CLI killed with SIGKILL
# part-way through loading, pinning, applying rules and writing the
# configuration (MPTCPIFY_TEST_CRASH, loader/fault.h), and 50 daemon
# restarts in a row. After each, the next start must leave exactly one
# program on the hook, applying exactly the rules the file holds.
#
# The daemon runs without systemd here (the vm-systemd suite covers
# Restart= and kill -9 under systemd); its start-up line says when it is
# ready.
# boot: c (one of the groups CI boots side by side: tests/vm/meson.build)

CONF=/etc/mptcpify/mptcpify.conf

# Programs of ours loaded anywhere: an old one still attached, or held by a
# process that should be gone, would count.
our_programs() { bpftool prog show | grep -c 'name mptcpify_socket'; }
# The cgroup tracking programs (mkdir and rmdir; names cut to 15 bytes).
our_trackers() { bpftool prog show | grep -c 'name mptcpify_cgroup'; }
# counts_are LINKS PROGRAMS TRACKERS: what bpftool shows of us right now.
counts_are() {
	[ "$(tracing_links)" = "$1" ] && [ "$(our_programs)" = "$2" ] && [ "$(our_trackers)" = "$3" ]
}
# The comm rules in the maps, sorted, as '"comm":"a" "comm":"b" '.
live_comm_rules() { mptcpify --json list | grep -o '"comm":"[^"]*"' | sort | tr '\n' ' '; }

# write_conf COMM...: the file selects these comm names. Bash builtins
# only (an exec costs ~0.1 s under TCG); no daemon is reading it meanwhile.
write_conf() {
	[ -d /etc/mptcpify ] || mkdir /etc/mptcpify
	printf '[select]\n' >"$CONF"
	printf 'comm = %s\n' "$@" >>"$CONF"
}

DAEMON=
start_daemon() {  # start_daemon LOG: run the daemon in the background
	# Emptied here, not by the job's own '>': that redirection happens
	# whenever the job gets scheduled, and on a loaded machine
	# daemon_ready would meanwhile read the previous daemon's start-up
	# line (the cause of a CI failure: "ready", yet no link pinned).
	: >"$1"
	mptcpify daemon >>"$1" 2>&1 &
	DAEMON=$!
}
daemon_ready() {  # daemon_ready LOG: has it printed its start-up line?
	local l
	while IFS= read -r l; do
		case $l in
		*"loaded and pinned under"* | *"adopted the program pinned under"*) return 0 ;;
		esac
	done <"$1"
	return 1
}
kill_daemon() {
	kill -KILL "$DAEMON" 2>/dev/null
	wait "$DAEMON" 2>/dev/null
	DAEMON=
}

# After a crash: a normal start must bring back one program, one link and
# the file's rules (keepme selected, other not).
check_recovers() {  # check_recovers WHAT
	start_daemon /tmp/recover.log
	wait_until 30 daemon_ready /tmp/recover.log || { cat /tmp/recover.log; fail "$1: the next daemon start did not get ready"; }
	assert_eq 1 "$(tracing_links)" "$1: tracing links after the next start"
	assert_eq 1 "$(our_programs)" "$1: mptcpify programs loaded after the next start"
	assert_eq '"comm":"keepme" ' "$(live_comm_rules)" "$1: live comm rules after the next start"
	assert_eq $MPTCP "$(proto_as keepme -4)" "$1: keepme after the next start"
	assert_eq $TCP "$(proto_as other -4)" "$1: an unselected program after the next start"
	kill_daemon
}

# The daemon killed at each step of a first start: maps pinned but program
# not attached; attached but link not pinned; pinned but no rule applied;
# half of the rules applied.
# timeout: 240
test_daemon_killed_at_each_step_of_loading() {
	need_hook
	local point rc want
	for point in loaded attached pinned applying; do
		mptcpify unload >/dev/null 2>&1
		if [ "$point" = applying ]; then
			# Loaded with an older file's rule, which the new start has
			# to remove: killed half-way, the one after must finish.
			write_conf keepme stale
			expect_exit 0 mptcpify load
		fi
		write_conf keepme
		MPTCPIFY_TEST_CRASH=$point mptcpify daemon >/tmp/crash.log 2>&1
		rc=$?
		assert_eq 137 "$rc" "daemon exit status when killed at '$point' (128 + SIGKILL)"
		case $point in
		loaded|attached) want=0 ;;  # only the dead process held the attachment
		*) want=1 ;;
		esac
		# Nothing of a dead process lingers: at most the pinned program.
		# The kernel frees a dead process's programs after a grace
		# period, not when it dies (on 7.2 the trackers were still
		# listed right after the kill, once).
		wait_until 10 counts_are "$want" "$want" $((2 * want))
		assert_eq "$want" "$(tracing_links)" "tracing links after a kill at '$point'"
		assert_eq "$want" "$(our_programs)" "mptcpify programs after a kill at '$point'"
		assert_eq $((2 * want)) "$(our_trackers)" "cgroup tracking programs after a kill at '$point'"
		check_recovers "killed at '$point'"
	done
}

# attach killed after writing the new file and before renaming it: the old
# file stays whole, the next writer removes the leftover, and a daemon start
# brings the maps back to what the file says.
# once: the file write
test_cli_killed_while_writing_the_file() {
	need_hook
	local rc
	write_conf keepme
	expect_exit 0 mptcpify load
	cp "$CONF" /tmp/before.conf
	MPTCPIFY_TEST_CRASH=config-written mptcpify attach --comm newone >/tmp/crash.log 2>&1
	rc=$?
	assert_eq 137 "$rc" "attach exit status when killed before its rename"
	cmp -s /tmp/before.conf "$CONF" || { cat "$CONF"; fail "the file changed although the rename never happened"; }
	assert_eq 1 "$(ls -A /etc/mptcpify | grep -c '^\.#mptcpify\.conf\.')" "leftover temporary files"
	# The maps did get newone (they change first); the file is the truth.
	expect_exit 0 mptcpify attach --comm second
	assert_eq 0 "$(ls -A /etc/mptcpify | grep -c '^\.#')" "leftover temporaries after the next write"
	grep -qx 'comm = second' "$CONF" || fail "the next attach did not write its rule"
	! grep -q newone "$CONF" || fail "the killed attach's rule reached the file"
	expect_exit 0 mptcpify detach --comm second
	check_recovers "attach killed before its rename"
}

# 50 kill -9 in a row, the file changing each time: every tenth round starts
# from nothing (so the kill may land while loading), every fifth is killed
# after a random delay whatever it is doing, the others once ready. At the
# end: one link, one program, and only the last file's rules: a rule removed
# from the file before a restart is really gone.
# timeout: 300
# once: the daemon; each series runs test_daemon_killed_at_each_step_of_loading
test_fifty_daemon_restarts() {
	need_hook
	local i before_ready=0 started=$SECONDS
	for i in $(seq 1 50); do
		write_conf keepme "r$i"
		[ $((i % 10)) = 1 ] && mptcpify unload >/dev/null 2>&1
		start_daemon /tmp/d.log
		if [ $((i % 5)) = 0 ] || [ $((i % 10)) = 1 ]; then
			sleep "0.$((RANDOM % 10))"
			daemon_ready /tmp/d.log || before_ready=$((before_ready + 1))
		else
			wait_until 30 daemon_ready /tmp/d.log || { cat /tmp/d.log; fail "round $i: daemon not ready"; }
		fi
		kill_daemon
		# bpftool is slow under TCG: look every tenth round.
		if [ $((i % 10)) = 0 ]; then
			[ "$(tracing_links)" -le 1 ] || fail "round $i: $(tracing_links) tracing links"
		fi
	done
	log "50 restarts in $((SECONDS - started)) s, $before_ready killed before they were ready"
	start_daemon /tmp/d.log
	wait_until 30 daemon_ready /tmp/d.log || fail "the 51st start did not get ready"
	assert_eq 1 "$(tracing_links)" "tracing links after 50 restarts"
	assert_eq 1 "$(our_programs)" "mptcpify programs after 50 restarts"
	assert_eq '"comm":"keepme" "comm":"r50" ' "$(live_comm_rules)" "live comm rules after 50 restarts"
	assert_eq $MPTCP "$(proto_as r50 -4)" "the last file's rule"
	assert_eq $TCP "$(proto_as r49 -4)" "a rule the file dropped before the last restart"
	assert_eq $MPTCP "$(proto_as keepme -4)" "a rule every file had"
	kill_daemon
}

# An upgrade killed at each step: old link pinned and its maps not; new
# maps pinned and filled, new programs attached but not pinned; everything
# pinned. The next command finishes it, with every rule. From ABI 6, the
# last that shipped: with a path rule and a deny cgroup rule (only the
# cgroup trackers use their path maps), an audit rule (only the socket
# option programs use its maps), which the next command finds through those
# programs' pins, and a deny name (its map changed layout). What upgrade() does
# at each step does not depend on the old layout (that is migrated_read's
# job, proven from every ABI by 16-upgrade), so one old ABI is enough here.
# timeout: 240
test_upgrade_killed_at_each_step() {
	need_hook
	local point
	for point in upgrading loaded attached pinned; do
		mptcpify unload >/dev/null 2>&1
		rm -rf /etc/mptcpify
		mkdir -p /sys/fs/cgroup/testkill/denied
		"$(prog abi6-pin)" /sys/fs/bpf/mptcpify comm=keepme comm=nevermp exclude=nevermp \
			cgroup=/sys/fs/cgroup/testkill audit=auditme comm=denyme deny=denyme \
			denycg=/sys/fs/cgroup/testkill/denied >/dev/null ||
			fail "could not pin the ABI 6 state"
		MPTCPIFY_TEST_CRASH=$point mptcpify attach --runtime --comm added >/tmp/crash.log 2>&1
		assert_eq 137 "$?" "attach killed at '$point' during the upgrade"
		expect_exit 0 mptcpify attach --runtime --comm second
		assert_eq 1 "$(tracing_links)" "tracing links after a kill at '$point'"
		wait_until 10 sh -c '[ "$(bpftool prog show | grep -c "name mptcpify_socket")" = 1 ]' ||
			fail "socket programs after a kill at '$point': $(our_programs)"
		assert_eq 2 "$(our_trackers)" "cgroup tracking programs after a kill at '$point'"
		assert_eq $MPTCP "$(proto_as keepme -4)" "keepme after a kill at '$point'"
		assert_eq $MPTCP "$(proto_as second -4)" "second after a kill at '$point'"
		assert_eq $TCP "$(proto_as nevermp -4)" "excluded nevermp after a kill at '$point'"
		assert_eq $MPTCP "$(proto_in /sys/fs/cgroup/testkill)" "path rule after a kill at '$point'"
		assert_eq $TCP "$(proto_as denyme -4)" "deny name after a kill at '$point'"
		assert_eq $TCP "$(proto_in /sys/fs/cgroup/testkill/denied)" \
			"deny cgroup rule after a kill at '$point'"
		rmdir /sys/fs/cgroup/testkill/denied /sys/fs/cgroup/testkill
		mkdir -p /sys/fs/cgroup/testkill/denied
		assert_eq $MPTCP "$(proto_in /sys/fs/cgroup/testkill)" \
			"path rule's cgroup made again after a kill at '$point'"
		assert_eq $TCP "$(proto_in /sys/fs/cgroup/testkill/denied)" \
			"deny rule's cgroup made again after a kill at '$point'"
		mptcpify --json list | grep -q '"kind":"audit","comm":"auditme"' ||
			fail "the audit rule was lost after a kill at '$point': $(mptcpify --json list)"
		assert_eq 3 "$(audit_links)" "audit links after a kill at '$point'"
	done
}

# Each reader of events (the daemon, every monitor) has a ring buffer of
# its own: all of them see every socket. A reader killed with -9 leaves
# its slot, which the next reader takes.
# timeout: 180
test_daemon_and_monitors_each_see_every_event() {
	need_hook
	mptcpify unload >/dev/null 2>&1
	rm -rf /etc/mptcpify
	start_daemon /tmp/daemon.log
	wait_until 60 daemon_ready /tmp/daemon.log
	expect_exit 0 mptcpify attach --runtime --comm evtprobe
	cp "$(prog sockprobe)" /tmp/evtprobe
	# A monitor killed at once: its slot is left behind, owner dead.
	mptcpify monitor --timeout 60 >/dev/null &
	dead=$!
	wait_until 20 sh -c '[ "$(bpftool map dump pinned /sys/fs/bpf/mptcpify/event_readers | grep -c "\"pid\": [1-9]")" -ge 2 ]'
	kill -KILL $dead; wait $dead 2>/dev/null
	for m in 1 2 3 4 5 6 7; do
		mptcpify monitor --count 50 --timeout 90 >/tmp/mon.$m 2>&1 &
	done
	# The daemon and 7 monitors: 8 slots, one of them the dead monitor's.
	wait_until 30 sh -c '[ "$(bpftool map dump pinned /sys/fs/bpf/mptcpify/event_readers | grep -c "\"pid\": [1-9]")" = 8 ]'
	expect_exit 1 mptcpify monitor --count 1 --timeout 1
	grep -q "8 readers of events already" "$LAST_OUT" || fail "a 9th reader was not refused clearly"
	for i in $(seq 50); do
		assert_eq $MPTCP "$(/tmp/evtprobe -4 | sed -n 's/^protocol=//p')" "socket $i"
	done
	wait_until 60 sh -c '[ "$(cat /tmp/mon.* | grep -c "^evtprobe\[")" = 350 ]'
	for m in 1 2 3 4 5 6 7; do
		assert_eq 50 "$(grep -c '^evtprobe\[[0-9]*\] mptcpified' /tmp/mon.$m)" "events seen by monitor $m"
	done
	# The daemon logs 20 lines per 5 s and counts the rest, in a line it
	# prints with the first event of the next window.
	sleep 6
	assert_eq $MPTCP "$(/tmp/evtprobe -4 | sed -n 's/^protocol=//p')" "socket 51"
	wait_until 30 sh -c '[ "$(grep -c "evtprobe\[[0-9]*\] mptcpified" /tmp/daemon.log)" = 21 ]'
	cat /tmp/daemon.log
	logged=$(grep -c 'evtprobe\[[0-9]*\] mptcpified' /tmp/daemon.log)
	more=$(sed -n 's/^\([0-9]*\) more sockets mptcpified.*/\1/p' /tmp/daemon.log | awk '{ s += $1 } END { print s + 0 }')
	assert_eq 51 "$((logged + more))" "events the daemon saw (logged + counted)"
	kill_daemon
}
