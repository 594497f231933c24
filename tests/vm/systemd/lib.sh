# Helpers for the systemd VM test cases (sourced by every test process).
#
# A case file tests/vm/systemd/cases/NN-topic.sh defines functions test_<name>.
# Each test runs in its own bash process (lib.sh and the case file sourced
# first): return 0 = PASS, `skip "why"` = SKIP, `fail "why"` (or any other
# non-zero status) = FAIL. `fail` and `skip` also work from a subshell or a
# pipeline: they leave a marker the runner reads.
#
# Set by the runner for each test:
#   PHASE        1 on the first run; N+1 after the test called `reboot_vm` N times
#   TEST_NAME    NN-topic/name
#   TEST_STATE   a directory on the root disk, kept across reboots, for this test
#   TEST_SERIES  kernel series (6.12, 7.2)
#   PAYLOAD      the read-only payload disk (runner, cases, binaries, modules)
#   MPTCPIFY     path of the freshly built CLI (/usr/sbin/mptcpify), if any
#
# Reboot: phase 1 prepares, calls `reboot_vm`; the machine reboots on the same
# disk and the same test function runs again with PHASE=2:
#   test_survives_reboot() {
#       case $PHASE in
#       1) systemctl enable mptcpify-bpf.service; reboot_vm ;;
#       2) systemctl is-active -q mptcpify-bpf.service || fail "not started at boot" ;;
#       esac
#   }

: "${TEST_MARKS:?lib.sh is sourced by runner.sh for each test}"
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH

log() { printf '%s\n' "$*" >&2; }

fail() {
	printf '%s\n' "${*:-failed}" >"$TEST_MARKS/fail"
	log "FAIL: ${*:-failed}"
	exit 1
}

skip() {
	printf '%s\n' "${*:-skipped}" >"$TEST_MARKS/skip"
	log "SKIP: ${*:-skipped}"
	exit 0
}

# Ask the runner to reboot the VM and run this test again with PHASE+1.
reboot_vm() {
	: >"$TEST_MARKS/reboot"
	log "requesting a reboot (phase $PHASE -> $((PHASE + 1)))"
	exit 0
}

# Commands run when the test process exits (PASS, FAIL or SKIP alike), last
# registered first. Not run when the test asks for a reboot: phase 2 cleans up.
_on_exit_cmds=()
on_exit() { _on_exit_cmds=("$*" "${_on_exit_cmds[@]}"); }
_run_on_exit() {
	local c
	[ -e "$TEST_MARKS/reboot" ] && return 0
	for c in "${_on_exit_cmds[@]}"; do
		eval "$c" || log "cleanup failed: $c"
	done
}
trap _run_on_exit EXIT
trap 'exit 143' TERM

# expect_exit CODE CMD ARGS...: run CMD, fail unless it exits with CODE. Its
# output goes to the test log; the status is taken right after the command.
expect_exit() {
	local want=$1 rc
	shift
	"$@"
	rc=$?
	[ "$rc" = "$want" ] || fail "'$*' exited $rc, expected $want"
	return 0
}

# assert CMD ARGS...: fail unless CMD succeeds.
assert() {
	"$@" || fail "assertion failed: $*"
}

# assert_eq ACTUAL EXPECTED [WHAT]
assert_eq() {
	[ "$1" = "$2" ] || fail "${3:-value}: got '$1', expected '$2'"
}

# assert_match STRING REGEX [WHAT] (extended regex, grep -E)
assert_match() {
	printf '%s\n' "$1" | grep -qE -- "$2" || fail "${3:-value}: '$1' does not match /$2/"
}

# wait_until SECONDS CMD ARGS...: poll CMD every 0.2 s until it succeeds; fails
# the test on timeout. Time in an emulated guest runs slow: be generous.
wait_until() {
	local t=$1 end
	shift
	end=$((SECONDS + t))
	until "$@"; do
		[ "$SECONDS" -lt "$end" ] || fail "timed out after ${t}s waiting for: $*"
		sleep 0.2
	done
}

# require_cmd NAME...: skip when a tool is missing from the image.
require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "$c not installed in the guest"
	done
}

# require_mptcpify: skip until the CLI exists in the build.
require_mptcpify() {
	[ -x "${MPTCPIFY:-}" ] || skip "mptcpify was not built"
}

# unit_prop UNIT PROPERTY: print one property value (systemctl show --value).
unit_prop() {
	systemctl show --value -p "$2" "$1"
}

# tracing_links: how many tracing links the kernel has (bpftool 7.1 prints
# "tracing" twice per link: only the "N: tracing" lines count).
tracing_links() { bpftool link show | grep -c '^[0-9]*: tracing'; }
# How many tracing links one loaded mptcpify holds: the one place to change
# when the BPF side attaches more than one program (backstop copies). The
# hook, and the two fexit programs that watch refused socket options.
LINKS_LOADED=3

# report TEXT: a line for the host's output (a TAP comment), for the numbers
# a bench_* function measures.
report() { printf 'INFO %s: %s\n' "$TEST_NAME" "$*" >/dev/ttyS1; }
