# SPDX-License-Identifier: GPL-2.0-only
# bench-lib.sh: what the guest benchmark scripts share (icount.sh,
# prog-cost.sh, backstops.sh), sourced from /suite/bench in the guest. Brings
# the VM suite's helpers along (tests/vm/lib.sh: status_number, PROGDIR), so
# that a script also works when started as `sh /suite/bench/NAME.sh`.
. /suite/lib.sh

# in_cg DIR CMD...: run CMD inside cgroup DIR.
in_cg() {
	d=$1; shift
	sh -c 'echo $$ >"$1/cgroup.procs"; shift; exec "$@"' sh "$d" "$@"
}

# big_rules COMM_RULES SIBLINGS DIR: attach (at run time) COMM_RULES comm
# rules c1, c2... and SIBLINGS cgroup rules on each of 10 levels of a tree
# under DIR, none of them on the path DIR/a1/.../a10.
big_rules() {
	names="" args="" d=$3
	for i in $(seq "$1"); do names="$names c$i"; done
	mptcpify attach --runtime --comm $names >/dev/null
	for l in 1 2 3 4 5 6 7 8 9 10; do
		for k in $(seq "$2"); do mkdir -p $d/s$k; args="$args --cgroup $d/s$k"; done
		d=$d/a$l
		mkdir -p $d
	done
	mptcpify attach --runtime $args >/dev/null
}
