#!/bin/bash
# Host-side checks of the CLI that need no working hook: argument handling,
# --help, validation before anything is loaded, and the "tracing refused"
# error on hosts (like this project's build machines) whose kernel refuses
# BPF tracing programs. TAP output. Usage: cli-host.sh PATH/TO/mptcpify
set -u
cli=$1
n=0; failed=0
pins=$(mktemp -d /tmp/mptcpify-cli.XXXXXX); rmdir "$pins"  # must not exist
conf=$(mktemp -d /tmp/mptcpify-conf.XXXXXX)
export MPTCPIFY_PIN_ROOT=/sys/fs/bpf/mptcpify-clitest-$$ MPTCPIFY_CONFIG_DIR=$conf
trap 'rm -rf "$conf"; rmdir "$MPTCPIFY_PIN_ROOT" 2>/dev/null' EXIT

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
skip_test() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

# expect NAME STATUS PATTERN ARGS...: exit status and a stderr/stdout match.
expect() {
	name=$1 want=$2 pattern=$3; shift 3
	out=$("$cli" "$@" 2>&1); rc=$?
	if [ "$rc" != "$want" ]; then
		not_ok "$name" "exit $rc, wanted $want: mptcpify $*" "$out"
	elif ! grep -q -- "$pattern" <<<"$out"; then
		not_ok "$name" "output does not match '$pattern'" "$out"
	else
		ok "$name"
	fi
}

expect "no command is a usage error" 2 "Usage: mptcpify" 
expect "unknown command" 2 "unknown command 'frob'" frob
# The version meson.build declares (MPTCPIFY_EXPECT_VERSION, set by meson),
# the one both packages carry.
expect "--version" 0 "^mptcpify ${MPTCPIFY_EXPECT_VERSION:-[0-9]}$" --version
for c in attach detach exclude list status run monitor load unload enable disable daemon connections oci-hook; do
	expect "$c --help" 0 "Usage: mptcpify \[OPTIONS\] $c" $c --help
done
expect "attach without selector" 2 "give at least one of" attach
expect "stray argument" 2 "unexpected argument 'x' (did you mean --comm x?)" attach x
expect "comm of 16 bytes" 7 "longer than 15 bytes.*'abcdefghijklmno'" attach --comm abcdefghijklmnop
expect "comm with a slash" 7 "invalid comm 'a/b'" attach --comm a/b
expect "empty comm" 7 "invalid comm ''" attach --comm ''
expect "missing cgroup" 8 "No such file" attach --cgroup /sys/fs/cgroup/nonexistent-$$
expect "cgroup with .." 8 "'..' component" attach --cgroup a/../b
expect "non-cgroup directory" 8 "not a cgroup v2 directory" attach --cgroup /tmp
expect ".socket unit" 9 "SocketProtocol=mptcp" attach --unit foo.socket
expect "template unit" 9 "instance" enable foo@.service
expect "monitor --count 0" 2 "positive number" monitor --count 0
expect "run without a command" 2 "give the command" run
expect "monitor --timeout nan" 2 "seconds > 0, not 'nan'" monitor --timeout nan
expect "--remove outside exclude" 2 "--remove goes with exclude" attach --remove --comm x
expect "operand after --" 2 "unexpected argument 'b'" attach --comm a -- b
expect "relative --pin-root" 2 "give an absolute path" --pin-root rel list
expect "connections: unknown option" 2 "see 'mptcpify connections --help'" connections --all
expect "connections: stray argument" 2 "unexpected argument 'x'" connections x
expect "connections: option after an operand" 2 "unexpected argument 'x'" connections x --listening
# The dump itself: an array (maybe empty) and exit 0, or, on a kernel
# without mptcp_diag, exit 13 naming the module.
out=$("$cli" --json connections --listening --selected 2>&1); rc=$?
case $rc in
0) [ "${out:0:1}" = "[" ] && [ "${out: -1}" = "]" ] && ok "connections --json is an array" ||
	not_ok "connections --json is an array" "$out";;
13) grep -q "modprobe mptcp_diag" <<<"$out" && ok "no mptcp_diag: exit 13 naming the module" ||
	not_ok "no mptcp_diag: exit 13 naming the module" "$out";;
*) not_ok "connections --json" "exit $rc" "$out";;
esac
expect "connections text output" "$rc" "PROGRAM\\[PID\\]\\|no MPTCP connections\\|mptcp_diag" connections
# The OCI hook never fails a container: bad input is one line, exit 0.
expect_in() {  # expect_in NAME STATUS PATTERN INPUT ARGS...: as expect, INPUT on stdin
	name=$1 want=$2 pattern=$3 input=$4; shift 4
	out=$(printf '%s' "$input" | "$cli" "$@" 2>&1); rc=$?
	if [ "$rc" != "$want" ]; then
		not_ok "$name" "exit $rc, wanted $want: mptcpify $*" "$out"
	elif ! grep -q -- "$pattern" <<<"$out" || [ "$(wc -l <<<"$out")" != 1 ]; then
		not_ok "$name" "output is not one line matching '$pattern'" "$out"
	else
		ok "$name"
	fi
}
expect_in "oci-hook: not JSON" 0 "not JSON.*no container selected" 'nonsense' oci-hook
expect_in "oci-hook: empty stdin" 0 "not JSON" '' oci-hook
expect_in "oci-hook: no pid" 0 "container abc: the OCI state has no pid (status 'stopped')" \
	'{"id":"abc","status":"stopped"}' oci-hook
expect "oci-hook: bad argument ignored" 0 "ignoring the argument 'x'" oci-hook --wait x </dev/null
expect "list when nothing is loaded" 0 "not loaded" list
expect "list --json when nothing is loaded" 0 '"loaded":false' --json list

# The load itself: refused here, or (on a permissive kernel) it works.
if [ "$(id -u)" != 0 ]; then
	skip_test "tracing refused is reported" "needs root"
else
	out=$("$cli" attach --runtime --comm x 2>&1); rc=$?
	case $rc in
	6) grep -q "refused the BPF tracing program" <<<"$out" &&
		[ ! -e "$MPTCPIFY_PIN_ROOT" ] && [ ! -e "$conf/mptcpify.conf" ] &&
		ok "tracing refused: exit 6, clear message, nothing pinned or written" ||
		not_ok "tracing refused: exit 6, clear message, nothing pinned or written" "$out" "$(ls -la "$MPTCPIFY_PIN_ROOT" 2>&1)";;
	4) skip_test "tracing refused is reported" "this host lacks the hook ($out)";;
	0) "$cli" unload >/dev/null; skip_test "tracing refused is reported" "this host allows tracing programs";;
	*) not_ok "tracing refused is reported" "exit $rc" "$out";;
	esac
	expect "status names the failure" "$rc" "tracing programs\|update_socket_protocol" status
fi
echo "1..$n"
[ $failed = 0 ]
