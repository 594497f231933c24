#!/bin/bash
# Host-side checks of the CLI that need no working hook: argument handling,
# --help, validation before anything is loaded, and the "tracing refused"
# error on hosts (like this project's build machines) whose kernel refuses
# BPF tracing programs; and that --help, the man page and the bash
# completion agree on every command of the command table. TAP output.
# Usage: cli-host.sh PATH/TO/mptcpify [MAN/mptcpify.8 [COMPLETION/mptcpify.bash]]
set -u
cli=$1 man8=${2:-} completion=${3:-}
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
# The command table, as the binary prints it (cli.c's texts[]): the first
# word of each line under "Commands:". A new command is checked below
# without touching this file.
commands=$("$cli" --help | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }')
case $(echo $commands) in
*attach*detach*) ok "--help lists the command table ($(echo $commands | wc -w) commands)" ;;
*) not_ok "--help lists the command table" "$("$cli" --help 2>&1)" ;;
esac
for c in $commands; do
	expect "$c --help" 0 "^Usage: mptcpify \[OPTIONS\] $c\( \|$\)" $c --help
done
# --- --help, mptcpify(8) and the completion agree -------------------------------
# The man page is the reference for every option and exit status; --help is
# its summary. For every command of the table: the long options of its
# --help (synopsis and option lines) are the options the man page's
# SYNOPSIS gives it, each is described under COMMANDS, and it has its own
# entry there; the global options, the exit statuses and the commands that
# take --json are the same in both; the completion offers the same
# commands and options.
set_diff() { # A B: lines of A not in B (both: newline-separated words)
	comm -23 <(tr ' ' '\n' <<<"$1" | grep . | sort -u) <(tr ' ' '\n' <<<"$2" | grep . | sort -u) | tr '\n' ' '
}
# same NAME WHAT-A A WHAT-B B: one TAP line; the differences, if any.
same() {
	local only_a only_b
	only_a=$(set_diff "$3" "$5") only_b=$(set_diff "$5" "$3")
	if [ -z "$only_a$only_b" ]; then
		ok "$1"
	elif [ -z "$only_b" ]; then
		not_ok "$1" "in $2 only: $only_a"
	elif [ -z "$only_a" ]; then
		not_ok "$1" "in $4 only: $only_b"
	else
		not_ok "$1" "in $2 only: $only_a" "in $4 only: $only_b"
	fi
}
help_opts() { # CMD: long options of CMD --help, synopsis and option lines
	"$cli" "$1" --help | awk '
		NR == 1 { sub(/^Usage: mptcpify \[OPTIONS\] /, ""); print; next }
		/^Global options/ { exit }
		/^  +-/ { print $1 }' | grep -o -- '--[a-z][a-z-]*' | sort -u
}
global_opts() { # the options under "Global options" of mptcpify --help
	"$cli" --help | awk '/^Global options/ { on = 1; next } on && /^$/ { exit }
		on { for (i = 1; i <= NF && $i ~ /^-/; i++) { sub(/,$/, "", $i); print $i } }' | sort -u
}
# man_facts: the man page read into lines "KIND ARGS": "syn CMD [OPT]" (the
# SYNOPSIS gives CMD, with OPT), "entry NAME" (a tag under COMMANDS),
# "desc OPT" (an option mentioned under COMMANDS), "opt OPT" (a tag under
# OPTIONS), "exit N" (a tag under EXIT STATUS).
man_facts() {
	sed -e 's/\\-/-/g' -e 's/\\&//g' -e 's/\\f[BIRP]//g' "$man8" | awk -v cmds="$(echo $commands)" '
		function flush(   n, w, i, j, nc, no, c, o) {
			n = split(entry, w, /[ \t"()|[\]]+/)
			nc = no = 0
			for (i = 1; i <= n; i++) {
				sub(/\.\.\.$/, "", w[i])
				if (w[i] in iscmd) c[++nc] = w[i]
				else if (w[i] ~ /^--?[a-z][a-z-]*$/) o[++no] = w[i]
			}
			for (i = 1; i <= nc; i++) {
				print "syn", c[i]
				for (j = 1; j <= no; j++) print "syn", c[i], o[j]
			}
			entry = ""
		}
		function options(s,   t) {
			while (match(s, /--[a-z][a-z-]*/)) {
				print "desc", substr(s, RSTART, RLENGTH)
				s = substr(s, RSTART + RLENGTH)
			}
		}
		BEGIN { n = split(cmds, a, " "); for (i = 1; i <= n; i++) iscmd[a[i]] = 1 }
		/^\.SH / {
			if (sec == "SYNOPSIS") flush()
			sec = $0; sub(/^\.SH +/, "", sec); gsub(/"/, "", sec); tag = 0; next
		}
		/^\.TP/ { tag = 1; next }
		{ line = $0; if (line ~ /^\./) sub(/^\.[A-Za-z]+[ \t]*/, "", line) }
		sec == "SYNOPSIS" { if ($0 == ".br") flush(); else entry = entry " " line; next }
		sec == "COMMANDS" && tag { gsub(/"/, "", line); split(line, w, /[ \t]+/); print "entry", w[1]; tag = 0; next }
		sec == "COMMANDS" { options(line); next }
		sec == "OPTIONS" && tag {
			n = split(line, w, /[ \t",]+/)
			for (i = 1; i <= n; i++) if (w[i] ~ /^--?[a-z][a-z-]*$/) print "opt", w[i]
			tag = 0; next
		}
		sec == "EXIT STATUS" && tag { split(line, w, /[ \t]+/); print "exit", w[1]; tag = 0; next }'
}

if [ -z "$man8" ]; then
	skip_test "--help and mptcpify(8) agree" "no man page given"
else
	facts=$(man_facts)
	globals=$(global_opts)
	global_long=$(grep -- '^--' <<<"$globals")
	described=$(awk '$1 == "desc" { print $2 }' <<<"$facts")
	entries=$(awk '$1 == "entry" { print $2 }' <<<"$facts")
	same "every command has its entry under COMMANDS in mptcpify(8)" "the command table" "$commands" \
		"mptcpify(8) COMMANDS" "$entries"
	for c in $commands; do
		if ! grep -qx "syn $c" <<<"$facts"; then
			not_ok "$c: in mptcpify(8)'s SYNOPSIS" "no SYNOPSIS line names $c"
			continue
		fi
		opts=$(help_opts "$c")
		man_opts=$(awk -v c="$c" '$1 == "syn" && $2 == c && NF == 3 { print $3 }' <<<"$facts")
		same "$c: --help and mptcpify(8)'s SYNOPSIS give the same options" \
			"'$c --help'" "$opts" "mptcpify(8) SYNOPSIS" "$(set_diff "$man_opts" "$global_long")"
		undescribed=$(set_diff "$opts" "$described")
		[ -z "$undescribed" ] && ok "$c: each option is described under COMMANDS in mptcpify(8)" ||
			not_ok "$c: each option is described under COMMANDS in mptcpify(8)" "not described: $undescribed"
	done
	same "global options: --help and mptcpify(8)'s OPTIONS agree" "mptcpify --help" "$globals" \
		"mptcpify(8) OPTIONS" "$(awk '$1 == "opt" { print $2 }' <<<"$facts")"
	help_exits=$("$cli" --help | sed -n '/^Exit status:/,$p' | grep -o '\<[0-9]\+ [a-z]' | cut -d' ' -f1)
	same "exit statuses: --help and mptcpify(8)'s EXIT STATUS agree" "mptcpify --help" "$help_exits" \
		"mptcpify(8) EXIT STATUS" "$(awk '$1 == "exit" { print $2 }' <<<"$facts")"
	help_json=$("$cli" --help | sed -n 's/.*--json .*(\(.*\)).*/\1/p' | tr -d ',')
	same "commands with --json: --help and mptcpify(8)'s SYNOPSIS agree" "mptcpify --help" "$help_json" \
		"mptcpify(8) SYNOPSIS" "$(awk '$1 == "syn" && $3 ~ /^(--json|-j)$/ { print $2 }' <<<"$facts")"
fi

if [ -z "$completion" ]; then
	skip_test "the bash completion agrees with --help" "no completion file given"
else
	# What the completion offers for the words given (the last one is being typed).
	offered() {
		bash -c 'complete() { :; }; . "$0" || exit 1; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
			_mptcpify; printf "%s\n" "${COMPREPLY[@]}"' "$completion" "$@" 2>&1
	}
	top=$(offered mptcpify '')
	same "completion offers every command" "the command table" "$commands" \
		"the completion" "$(grep -v -- '^-' <<<"$top")"
	same "completion offers every global option" "mptcpify --help" "$global_long" \
		"the completion" "$(grep -- '^-' <<<"$top")"
	for c in $commands; do
		same "completion: $c's options" "'$c --help'" "$(help_opts "$c")" \
			"the completion" "$(offered mptcpify "$c" - | grep -vx -- --help)"
	done
fi

expect "attach without selector" 2 "give at least one of" attach
expect "audit without selector" 2 "give at least one of" audit
expect "audit of a pattern" 8 "not a pattern" audit --cgroup "system.slice/docker-*.scope"
expect "compat stray argument" 2 "unexpected argument" compat x
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
expect "metrics: stray argument" 2 "unexpected argument 'x'" metrics x
expect "metrics when nothing is loaded" 0 "^mptcpify_loaded 0$" metrics
# The text as Prometheus' own parser reads it, with a program whose name
# needs escaping (quote, backslash, newline, a byte that is not UTF-8)
# holding an MPTCP connection, when this kernel has MPTCP and mptcp_diag.
if ! command -v promtool >/dev/null; then
	skip_test "promtool check metrics" "promtool not installed (Debian package prometheus)"
	skip_test "metrics: a hostile program name, escaped" "promtool not installed"
else
	fifo=$(mktemp -u /tmp/mptcpify-cli-fifo.XXXXXX); mkfifo "$fifo"
	python3 - "$fifo" <<'PY' 2>/dev/null &
import ctypes, socket, sys
ctypes.CDLL(None).prctl(15, b'we"ird\\b\nx\xff', 0, 0, 0)
try:
    l = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
    l.bind(('127.0.0.1', 0)); l.listen()
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
    c.connect(l.getsockname()); a, _ = l.accept()
    state = 'up'
except OSError:
    state = 'no-mptcp'
with open(sys.argv[1], 'w') as f:
    f.write(state + '\n')
with open(sys.argv[1]) as f:
    f.read()
PY
	holder=$!
	read -r state <"$fifo"
	out=$("$cli" metrics 2>&1); rc=$?
	echo done >"$fifo"; wait "$holder"; rm -f "$fifo"
	if check=$(promtool check metrics <<<"$out" 2>&1) && [ "$rc" = 0 ]; then
		ok "promtool check metrics"
	else
		not_ok "promtool check metrics" "exit $rc" "$check" "$out"
	fi
	line='mptcpify_program_connections{comm="we\"ird\\b\nx\\xff",verdict="one_path"} 2'
	if [ "$state" != up ]; then
		skip_test "metrics: a hostile program name, escaped" "no MPTCP sockets on this kernel"
	elif grep -q '^mptcpify_connections_read 0' <<<"$out"; then
		skip_test "metrics: a hostile program name, escaped" "no mptcp_diag on this kernel"
	elif grep -qxF "$line" <<<"$out"; then
		ok "metrics: a hostile program name, escaped"
	else
		not_ok "metrics: a hostile program name, escaped" "no line: $line" "$out"
	fi
fi
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
