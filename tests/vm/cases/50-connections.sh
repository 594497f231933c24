# connections and the path checks of status: what became of the MPTCP
# sockets of selected programs, read from the kernel (sock_diag), checked
# against ss -M and the nstat counters the kernel keeps independently.
# boot: d (one of the groups CI boots side by side: tests/vm/meson.build)

# conn_json [ARGS...]: `mptcpify --json connections` with one object a line.
conn_json() {
	mptcpify --json connections "$@" >/tmp/conn.json || fail "connections --json exited $?"
	sed 's/^\[//; s/\]$//; s/},{/}\n{/g' /tmp/conn.json
}

# json_field KEY: the value of KEY in one object a line (strings unquoted).
json_field() { sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p"; }


# The keys mptcpify(8) documents as stable, in every object.
assert_keys() {
	local line key
	while read -r line; do
		for key in '"comm":"' '"pid":[0-9]' '"subflows":[0-9]' '"fallback":\(true\|false\)' \
			'"local":"' '"remote":"' '"state":"' '"netns":[0-9]'; do
			grep -q "$key" <<<"$line" || fail "no $key in $line"
		done
	done
}

# Two paths with a signal endpoint: the client joins the second one.
mp_setup() {
	netns_setup 2
	for ns in $NS_CLI $NS_SRV; do
		ip -n "$ns" mptcp limits set subflow 2 add_addr_accepted 2 || fail "limits in $ns"
	done
	[ "${1:-signal}" = signal ] &&
		{ ip -n "$NS_SRV" mptcp endpoint add "$SRV_ADDR2" dev eth2 signal || fail "endpoint"; }
	return 0
}

# Client and server are both ncat, selected by one comm rule. The server
# must not half-close (vm-facts: --no-shutdown), and starts after attach.
start_ncat_pair() {
	in_srv ncat -l -k --no-shutdown 4321 </dev/null >/dev/null &
	wait_port 4321 "$NS_SRV"
	sleep 120 | in_cli ncat "$SRV_ADDR1" 4321 >/dev/null &
	wait_until 10 sh -c "ip netns exec $NS_CLI $SS -HM state established | grep -q ." ||
		fail "no established MPTCP connection in $NS_CLI"
}

test_two_paths_two_subflows() {
	need_hook
	mp_setup signal
	expect_exit 0 mptcpify attach --runtime --comm ncat
	start_ncat_pair
	joined() { [ "$(nstat_get MPTcpExtMPJoinAckRx "$NS_SRV")" = 1 ]; }
	wait_until 10 joined ||
		fail "the second subflow did not join (MPJoinAckRx $(nstat_get MPTcpExtMPJoinAckRx "$NS_SRV"))"
	# The kernel's own count, independently: ss shows the added subflow.
	in_cli ss -HMi state established | tee /tmp/ss.txt
	grep -q 'subflows:1' /tmp/ss.txt || fail "ss -Mi shows no added subflow"
	conn_json >/tmp/objs.txt
	cat /tmp/objs.txt
	assert_eq 2 "$(grep -c '"comm":"ncat"' /tmp/objs.txt)" "ncat connections (client and server)"
	assert_keys </tmp/objs.txt
	assert_eq "2 2" "$(json_field subflows </tmp/objs.txt | tr '\n' ' ' | sed 's/ $//')" "subflows"
	assert_eq "false false" "$(json_field fallback </tmp/objs.txt | tr '\n' ' ' | sed 's/ $//')" "fallback"
	assert_eq "comm comm" "$(json_field selected_by </tmp/objs.txt | tr '\n' ' ' | sed 's/ $//')" "selected_by"
	assert_eq ESTABLISHED "$(json_field state </tmp/objs.txt | sort -u)" "state"
	grep -q "\"local\":\"$CLI_ADDR1:[0-9]*\",\"remote\":\"$SRV_ADDR1:4321\"" /tmp/objs.txt ||
		fail "client's addresses not shown"
	# Both in other namespaces than ours, each its own.
	assert_eq 2 "$(json_field netns </tmp/objs.txt | sort -u | wc -l)" "two network namespaces"
	expect_exit 0 mptcpify connections
	grep -q '^ncat\[[0-9]*\] *comm .*ESTABLISHED *2 *MPTCP, 2 subflows' "$LAST_OUT" || fail "text line"
	grep -q '^  ncat: 2 MPTCP, 0 fell back, 0 one path$' "$LAST_OUT" || fail "text summary"
	# --selected keeps them; a program no rule selects is left out.
	conn_json --selected | grep -c '"comm":"ncat"' | grep -qx 2 || fail "--selected dropped ncat"
}

test_plain_tcp_server_fallback() {
	need_hook
	expect_exit 0 mptcpify attach --runtime --comm ncat
	# Not selected: a copy of ncat under another name, a plain TCP server.
	cp "$(command -v ncat)" /tmp/plainsrv
	/tmp/plainsrv -l -k --no-shutdown 4322 </dev/null >/dev/null &
	wait_port 4322
	before=$(status_number MPTcpExtMPCapableFallbackSYNACK)
	[ -n "$before" ] || fail "status --json has no MPTcpExtMPCapableFallbackSYNACK"
	sleep 120 | ncat 127.0.0.1 4322 >/dev/null &
	wait_until 10 sh -c "$SS -HM state established | grep -q ." || fail "client socket is not MPTCP"
	conn_json >/tmp/objs.txt
	cat /tmp/objs.txt
	assert_eq 1 "$(grep -c . /tmp/objs.txt)" "one MPTCP connection (the server's is TCP)"
	assert_keys </tmp/objs.txt
	assert_eq ncat "$(json_field comm </tmp/objs.txt)" "comm"
	assert_eq true "$(json_field fallback </tmp/objs.txt)" "fallback"
	assert_eq 1 "$(json_field subflows </tmp/objs.txt)" "subflows"
	assert_eq fallback "$(json_field verdict </tmp/objs.txt)" "verdict"
	assert_eq "127.0.0.1:4322" "$(json_field remote </tmp/objs.txt)" "remote"
	# The kernel's counter, read by nstat and shown by status, moved by one.
	assert_eq $((before + 1)) "$(nstat_get MPTcpExtMPCapableFallbackSYNACK)" "nstat"
	assert_eq $((before + 1)) "$(status_number MPTcpExtMPCapableFallbackSYNACK)" "status"
	expect_exit 0 mptcpify status
	grep -q '^warn  mptcp fallbacks .*MPTcpExtMPCapableFallbackSYNACK' "$LAST_OUT" || fail "status text"
	expect_exit 0 mptcpify connections
	grep -q 'fell back to TCP$' "$LAST_OUT" || fail "text verdict"
	grep -q '^  ncat: 0 MPTCP, 1 fell back, 0 one path$' "$LAST_OUT" || fail "text summary"
}

test_no_endpoints_one_path() {
	need_hook
	mp_setup none
	expect_exit 0 mptcpify attach --runtime --comm ncat
	start_ncat_pair
	sleep 1  # time for a join, had there been an address to join
	assert_eq 0 "$(nstat_get MPTcpExtMPJoinSynRx "$NS_SRV")" "no join attempted"
	conn_json >/tmp/objs.txt
	cat /tmp/objs.txt
	assert_keys </tmp/objs.txt
	assert_eq "1 1" "$(json_field subflows </tmp/objs.txt | tr '\n' ' ' | sed 's/ $//')" "subflows"
	assert_eq "false false" "$(json_field fallback </tmp/objs.txt | tr '\n' ' ' | sed 's/ $//')" "fallback"
	assert_eq one_path "$(json_field verdict </tmp/objs.txt | sort -u)" "verdict"
	expect_exit 0 mptcpify connections
	grep -q '^  ncat: 0 MPTCP, 0 fell back, 2 one path$' "$LAST_OUT" || fail "text summary"
	# status, in the server's namespace and in ours (neither has endpoints).
	in_srv "$MPTCPIFY" --json status >/tmp/st.json
	grep -q '"check":"mptcp endpoints","result":"warn","detail":"none[^"]*one path only' /tmp/st.json ||
		fail "status in $NS_SRV: no one-path warning: $(cat /tmp/st.json)"
	grep -q '"mptcp_endpoints":\[\]' /tmp/st.json || fail "endpoints not an empty array"
	expect_exit 0 mptcpify status
	grep -q '^warn  mptcp endpoints .*one path only' "$LAST_OUT" || fail "status text: no warning"
	grep -q 'fix: ip mptcp endpoint add ADDR dev IF subflow|signal' "$LAST_OUT" || fail "no fix"
	# With an endpoint, the warning goes and the endpoint is listed.
	ip -n "$NS_SRV" mptcp endpoint add "$SRV_ADDR2" dev eth2 signal
	in_srv "$MPTCPIFY" --json status >/tmp/st.json
	grep -q '"check":"mptcp endpoints","result":"ok"' /tmp/st.json || fail "still warns: $(cat /tmp/st.json)"
	grep -q "\"mptcp_endpoints\":\[{\"address\":\"$SRV_ADDR2\",\"id\":[0-9]*,\"flags\":\"signal\",\"dev\":\"eth2\"}\]" /tmp/st.json ||
		fail "endpoint not listed: $(cat /tmp/st.json)"
	# Limits at 0: the other warning.
	ip -n "$NS_SRV" mptcp limits set subflow 0 add_addr_accepted 0
	in_srv "$MPTCPIFY" --json status >/tmp/st.json
	grep -q '"check":"mptcp limits","result":"warn"' /tmp/st.json || fail "limits 0 not warned"
	grep -q '"mptcp_limits":{"subflows":0,"add_addr_accepted":0}' /tmp/st.json || fail "limits json"
}

# timeout: 240
test_processes_exiting_during_read() {
	need_hook
	expect_exit 0 mptcpify attach --runtime --comm sockprobe ncat
	ncat -l -k --no-shutdown 4323 </dev/null >/dev/null &
	wait_port 4323
	# Short-lived selected clients, some in a namespace that comes and goes.
	( while :; do "$(prog sockprobe)" -4 --connect 127.0.0.1:4323 --hold 0.05 >/dev/null 2>&1; done ) &
	( while :; do
		ip netns add churn 2>/dev/null
		ip netns exec churn "$(prog sockprobe)" -4 --hold 0.05 >/dev/null 2>&1
		ip netns del churn 2>/dev/null
	done ) &
	bad=0
	for i in $(seq 50); do
		mptcpify --json connections >/tmp/c.json 2>/tmp/c.err; rc=$?
		[ "$rc" = 0 ] || { bad=$((bad + 1)); log "run $i: exit $rc: $(cat /tmp/c.err)"; }
		[ -s /tmp/c.err ] && { bad=$((bad + 1)); log "run $i: stderr: $(cat /tmp/c.err)"; }
		# Every object is whole: a sockprobe or ncat, never a mixed-up line.
		sed 's/^\[//; s/\]$//; s/},{/}\n{/g' /tmp/c.json | grep . | while read -r line; do
			grep -q '"comm":"\(sockprobe\|ncat\)","pid":[0-9]*,' <<<"$line" || fail "odd object: $line"
		done
		mptcpify connections >/dev/null 2>/tmp/c.err || { bad=$((bad + 1)); log "text run $i failed"; }
	done
	assert_eq 0 "$bad" "failed or noisy runs out of 100"
	# The loop did connect (the test exercised exiting MPTCP sockets).
	[ "$(nstat_get MPTcpExtMPCapableACKRX)" -gt 20 ] || fail "few connections: $(nstat_get MPTcpExtMPCapableACKRX)"
}

test_without_mptcp_diag() {
	need_cli
	grep -q '^mptcp_diag ' /proc/modules || skip "mptcp_diag is not a loaded module here"
	rmmod mptcp_diag || skip "mptcp_diag cannot be unloaded"
	mptcpify connections >/tmp/out.txt 2>&1; rc=$?
	insmod "/lib/modules/$(uname -r)/$(grep mptcp_diag "/lib/modules/$(uname -r)/modules.load")" ||
		fail "could not load mptcp_diag again"
	cat /tmp/out.txt
	assert_eq 13 "$rc" "exit status without mptcp_diag"
	assert_eq 1 "$(grep -c . /tmp/out.txt)" "one line"
	grep -q 'modprobe mptcp_diag' /tmp/out.txt || fail "the module is not named"
}

test_unprivileged_user() {
	need_hook
	expect_exit 0 mptcpify attach --runtime --comm ncat
	ncat -l -k --no-shutdown 4324 </dev/null >/dev/null &
	wait_port 4324
	sleep 120 | ncat 127.0.0.1 4324 >/dev/null &
	wait_until 10 sh -c "$SS -HM state established | grep -q ." || fail "no MPTCP connection"
	# Root's processes are hidden from nobody: nothing shown, a note why.
	/usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups "$MPTCPIFY" --json connections \
		>/tmp/out.json 2>/tmp/err.txt; rc=$?
	cat /tmp/out.json /tmp/err.txt
	assert_eq 0 "$rc" "exit status as nobody"
	assert_eq "[]" "$(cat /tmp/out.json)" "what nobody sees"
	grep -q 'could not be read by this user.*run as root' /tmp/err.txt || fail "no note on stderr"
}
