# lib.sh — helpers for the VM test cases (tests/vm/cases/*.sh), sourced by
# run-suite.sh in the guest before each case file. Runs under bash.
#
# A case file defines functions test_NAME; each runs in its own subshell in
# a fresh temporary directory ($T_TMP). Return 0 = PASS; `skip "why"` = SKIP;
# `fail "why"` or any other non-zero return = FAIL. An optional line
# `# timeout: SECONDS` right above the function raises its time limit.
# Background jobs, network namespaces, links in the initial namespace, MPTCP
# endpoints there, pinned BPF state, cgroups under /sys/fs/cgroup/test* and
# files in /tmp are cleaned up by the runner after every test.
#
# Tool names: the image links no busybox applet for ip, tc, ss, nstat, nc,
# setpriv, and /bin/sh is bash, so plain names mean the real programs. The
# functions below pin that down for anyone running under busybox sh (whose
# applets win over PATH: there `ip` would be busybox's). When a tool is an
# ARGUMENT of another program (timeout, xargs, busybox env...), use the
# variables $IP $TC $SS $NSTAT: busybox tools exec their own applets first.

IP=/usr/sbin/ip TC=/usr/sbin/tc SS=/usr/bin/ss NSTAT=/usr/bin/nstat
MPTCPIFY=/usr/sbin/mptcpify
PROGDIR=/usr/libexec/mptcpify-test
ip() { "$IP" "$@"; }
tc() { "$TC" "$@"; }
ss() { "$SS" "$@"; }
nstat() { "$NSTAT" "$@"; }

# Where fail/skip leave their reason for the runner (set per test).
: "${T_STATUS:=/dev/null}"

log() { echo "$*"; }

# fail MSG: the test fails with MSG. Recorded even when called in a
# subshell or a pipeline, where exit only leaves that subshell.
fail() {
	echo "FAIL: $*" >&2
	echo "FAIL $*" >>"$T_STATUS"
	exit 1
}

# skip MSG: the test is skipped; MSG names the missing feature.
skip() {
	echo "SKIP: $*" >&2
	echo "SKIP $*" >>"$T_STATUS"
	exit 77
}

# assert_eq EXPECTED ACTUAL [WHAT]
assert_eq() {
	[ "$1" = "$2" ] || fail "${3:-value}: expected '$1', got '$2'"
}

# expect_exit CODE CMD ARGS...: run CMD, compare its exit status with CODE.
# Output goes to the log, and stays in the file "$LAST_OUT" for greps.
LAST_OUT=${T_TMP:-/tmp}/last.out
expect_exit() {
	local want=$1 rc
	shift
	"$@" >"$LAST_OUT" 2>&1
	rc=$?	# right away: anything in between would overwrite $?
	local cmd="$*"
	sed 's/^/  | /' "$LAST_OUT"
	[ "${#cmd}" -le 160 ] || cmd="${cmd:0:150}... (${#cmd} chars)"
	[ "$rc" = "$want" ] || fail "'$cmd' exited $rc, expected $want"
	return 0
}

# has_hook: true when this kernel is expected to have update_socket_protocol
# (the host says so from the series; 6.1 has not). Tests use it to choose
# between "works" and "refused with exit 4".
has_hook() {
	case ${MPTCPIFY_VM_EXPECT_HOOK:-} in
	1) return 0 ;;
	0) return 1 ;;
	esac
	# Not told (a manual boot): look at the kernel's BTF.
	grep -qa update_socket_protocol /sys/kernel/btf/vmlinux
}

# need_hook: skip a test that needs update_socket_protocol on a kernel
# without it (6.1: expected).
need_hook() {
	has_hook || skip "kernel has no update_socket_protocol (expected on this series)"
}

# Protocol numbers as SO_PROTOCOL reports them.
TCP=6
MPTCP=262

# proto_as NAME ARGS...: the protocol a copy of sockprobe named NAME gets
# (comm rules match the name).
proto_as() {
	local name=$1
	shift
	cp "$(prog sockprobe)" "/tmp/$name"
	"/tmp/$name" "$@" | sed -n 's/^protocol=//p'
}

# proto_in CGROUP: the protocol a sockprobe gets when started inside CGROUP.
proto_in() {
	sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" -4' sh "$1" "$(prog sockprobe)" |
		sed -n 's/^protocol=//p'
}

# tracing_links: how many BPF tracing links are attached (ours and others),
# not counting our backstop copies of the hook (backstop_links).
links_of_progs_named() {  # links_of_progs_named REGEX: tracing links whose program matches
	local n=0 id
	for id in $(bpftool link show | sed -n 's/^[0-9]*: tracing  *prog \([0-9]*\).*/\1/p'); do
		bpftool prog show id "$id" 2>/dev/null | head -n 1 | grep -Eq "name ($1)( |$)" && n=$((n + 1))
	done
	echo $n
}
tracing_links() {
	echo $(($(bpftool link show | grep -c '^[0-9]*: tracing') - $(backstop_links) - $(sockopt_links)))
}
backstop_links() { links_of_progs_named 'mptcpify_back[0-9]'; }
# The socket option programs (bpf/compat.bpf.c): live detection (2, always
# attached with the hook) and audit (3, only while an audit rule exists).
sockopt_links() { links_of_progs_named 'mptcpify_(refset|refget|audset|audget|audsol)'; }
audit_links() { links_of_progs_named 'mptcpify_(audset|audget|audsol)'; }

# prog NAME: path of a test program (tests/progs) in the image.
prog() {
	[ -x "$PROGDIR/$1" ] || fail "test program $1 is not in the image"
	echo "$PROGDIR/$1"
}

# need_cli: skip when the image was built without the mptcpify CLI.
need_cli() {
	[ -x "$MPTCPIFY" ] || skip "mptcpify CLI not built into the image"
}

# wait_until SECONDS CMD ARGS...: poll CMD every 0.1 s until it succeeds.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# status_number NAME: the number NAME has in `mptcpify --json status` (a
# global counter, "backstops", a fallback counter...), empty when absent.
status_number() {
	mptcpify --json status | tr ',{' '\n\n' | sed -n "s/^\"$1\":\([0-9]*\).*/\1/p"
}

# --- network namespaces -----------------------------------------------------
# netns_setup [PATHS]: namespaces $NS_CLI and $NS_SRV joined by PATHS (1 or 2)
# veth pairs. Path N is ethN on both sides, client 10.0.N.1/24, server
# 10.0.N.2/24. Guest-only addresses: the VM has no network device at all.
NS_CLI=cli NS_SRV=srv
CLI_ADDR1=10.0.1.1 SRV_ADDR1=10.0.1.2 CLI_ADDR2=10.0.2.1 SRV_ADDR2=10.0.2.2
netns_setup() {
	local paths=${1:-1} n
	ip netns add "$NS_CLI" || fail "ip netns add $NS_CLI"
	ip netns add "$NS_SRV" || fail "ip netns add $NS_SRV"
	for n in $NS_CLI $NS_SRV; do ip -n "$n" link set lo up; done
	for n in $(seq 1 "$paths"); do
		ip link add "eth$n" netns "$NS_CLI" type veth peer name "eth$n" netns "$NS_SRV" ||
			fail "veth pair $n"
		ip -n "$NS_CLI" addr add "10.0.$n.1/24" dev "eth$n"
		ip -n "$NS_SRV" addr add "10.0.$n.2/24" dev "eth$n"
		ip -n "$NS_CLI" link set "eth$n" up
		ip -n "$NS_SRV" link set "eth$n" up
	done
	# Wait for the links to carry traffic (DAD is off for IPv4, but the veth
	# carrier comes up asynchronously).
	wait_until 5 ip netns exec "$NS_CLI" ping -c1 -W1 "$SRV_ADDR1" ||
		fail "no connectivity over path 1"
}

in_cli() { ip netns exec "$NS_CLI" "$@"; }
in_srv() { ip netns exec "$NS_SRV" "$@"; }

# netns_shape RATE: token bucket on every veth of both namespaces, so that
# two paths measurably beat one (vm-facts: 20mbit, burst 32kb, 50ms).
netns_shape() {
	local rate=${1:-20mbit} ns dev
	for ns in $NS_CLI $NS_SRV; do
		for dev in $(ip -n "$ns" -o link show type veth | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'); do
			tc -n "$ns" qdisc replace dev "$dev" root tbf rate "$rate" burst 32kb latency 50ms ||
				fail "tbf on $ns/$dev"
		done
	done
}

# wait_port PORT [NETNS] [SECONDS]: wait for a TCP/MPTCP listener on PORT.
wait_port() {
	local port=$1 ns=${2:-} t=${3:-10}
	_listening() {
		if [ -n "$ns" ]; then
			ip netns exec "$ns" "$SS" -Hltn "sport = :$port" | grep -q .
		else
			ss -Hltn "sport = :$port" | grep -q .
		fi
	}
	wait_until "$t" _listening || fail "nothing listens on port $port${ns:+ in $ns} after ${t}s"
}

# nstat_get COUNTER [NETNS]: absolute value of a counter (0 when absent).
# -a (absolute) and -s (no history file) keep calls independent.
nstat_get() {
	local c=$1 ns=${2:-} v
	if [ -n "$ns" ]; then
		v=$(ip netns exec "$ns" "$NSTAT" -asz "$c" 2>/dev/null)
	else
		v=$(nstat -asz "$c" 2>/dev/null)
	fi
	echo "$v" | awk -v c="$c" '$1 == c { print $2; f = 1 } END { if (!f) print 0 }'
}
