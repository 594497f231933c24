#!/bin/bash
# systemd VM tests: boot a Debian bookworm root (tests/vm/systemd/mkrootfs.sh)
# with systemd as PID 1 on a Debian cloud kernel, under QEMU/TCG, and run
# tests/vm/systemd/cases/*.sh inside it. TAP on stdout.
#
#   run.sh --build-dir DIR --series 6.12 [--group NAME] [--tests GLOB]
#          [--smp N] [--keep-disk] [--timeout SEC] [--test-timeout SEC]
#          [--cache DIR] [--memory MB] [--verbose]
#
#   --build-dir DIR   meson build dir: the test programs
#                     ($MPTCPIFY_TEST_PROGS, colon separated) go into the guest,
#                     with the Debian packages tools/build-packages.sh builds
#                     from this tree (or $MPTCPIFY_DEBS); consoles are saved in
#                     DIR/meson-logs/
#   --series S        kernel series (6.12, 7.2, ...)
#   --group NAME      only the case files of one group (a line "# boot: NAME"
#                     in the file; "a" when it has none): CI boots each group
#                     on its own (tests/vm/systemd/meson.build)
#   --smp N           vCPUs of the guest (default 2)
#   --tests GLOB      run only the tests whose name (NN-topic/name), bare name
#                     or case (NN-topic) matches GLOB (default:
#                     $MPTCPIFY_VM_SYSTEMD_TESTS, for `meson test`)
#   --keep-disk       keep the work dir (overlay disk, consoles) and print it
#   --timeout SEC     host-side limit for one boot (default 600)
#   --test-timeout S  guest-side limit for one test phase (default 300)
#   --verbose         copy the guest console to stderr as it comes
#
# MPTCPIFY_VM_BENCH=1 also runs the cases' bench_* functions (measurements,
# reported on the host as TAP comments; not part of a normal run).
#
# Each run boots a fresh qcow2 overlay of the cached base image (NVMe namespace
# 1, root=PARTUUID) and a small read-only payload disk (namespace 2, found by
# its label: runner, cases, packages, test programs, modules).
# The guest reports on its second serial port only (BOOT, RESULT, DIAG,
# REBOOT and SUITE-DONE lines: see runner.sh).
# A test may ask for a reboot: the host boots the same overlay again and the
# runner resumes it with PHASE=2. A boot that ends without SUITE-DONE or REBOOT
# is retried once, from a fresh overlay. Any BUG:/WARNING:/Oops on a kernel
# console fails the run.
#
# Kernels and modules come from tests/vm/fetch-kernels.sh (shared cache). The
# disks are NVMe namespaces: the NVMe driver is built into Debian's cloud
# kernels (virtio_blk is a module), so no initramfs is needed.
set -uo pipefail

here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
srcroot=$(readlink -f "$here/../../..")
build_dir='' series='' tests=${MPTCPIFY_VM_SYSTEMD_TESTS:-} keep=0 verbose=0 timeout=600 test_timeout=300 mem=1536
group='' smp=2
cache=${MPTCPIFY_VM_CACHE:-${XDG_CACHE_HOME:-/var/tmp}/mptcpify-vm}
max_boots=12

usage() { sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
	case $1 in
	--build-dir) build_dir=$2; shift 2 ;;
	--series) series=$2; shift 2 ;;
	--tests) tests=$2; shift 2 ;;
	--group) group=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--keep-disk) keep=1; shift ;;
	--timeout) timeout=$2; shift 2 ;;
	--test-timeout) test_timeout=$2; shift 2 ;;
	--cache) cache=$2; shift 2 ;;
	--memory) mem=$2; shift 2 ;;
	--verbose) verbose=1; shift ;;
	-h|--help) usage; exit 0 ;;
	*) echo "run.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
	esac
done
[ -n "$series" ] || { echo "run.sh: --series is required" >&2; exit 2; }
case $group in *[!A-Za-z0-9_-]*) echo "run.sh: --group takes letters, digits, '_' and '-'" >&2; exit 2 ;; esac
case $smp in [1-9]) ;; *) echo "run.sh: --smp must be 1 to 9" >&2; exit 2 ;; esac
# Names this boot's files (consoles), so that groups can run side by side.
name=$series${group:+-$group}
export PATH=$PATH:/usr/sbin:/sbin

# TAP helpers. Bail out on infrastructure errors.
n=0 nfail=0
tap_ok() { n=$((n + 1)); echo "ok $n - $*"; }
tap_notok() { n=$((n + 1)); nfail=$((nfail + 1)); echo "not ok $n - $*"; }
tap_skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP ${2:-}"; }
note() { printf '# %s\n' "$*"; }
# Set-up failures still speak TAP, so meson shows why.
bail() {
	echo "not ok $((n + 1)) - $series: $*"
	echo "1..$((n + 1))"
	exit 1
}

for t in qemu-system-x86_64 qemu-img mkfs.ext4; do
	command -v "$t" >/dev/null || bail "$t not found on the host"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/mptcpify-sysvm.XXXXXX")
qpid=''
cleanup() {
	[ -n "$qpid" ] && kill "$qpid" 2>/dev/null
	if [ "$keep" = 1 ]; then
		echo "# kept: $work" >&2
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- kernel ---
kdir=$("$srcroot/tests/vm/fetch-kernels.sh" "$series" 2>"$work/fetch.err" | tail -n1)
if [ ! -f "$kdir/vmlinuz" ]; then
	sed 's/^/#   /' "$work/fetch.err"
	bail "tests/vm/fetch-kernels.sh gave no kernel for $series"
fi
kver=$(cat "$kdir/release")
# The uncompressed ELF (when fetch-kernels.sh keeps one) boots through PVH,
# a few seconds faster under TCG than the bzImage.
kernel=$kdir/vmlinux
[ -e "$kernel" ] || kernel=$kdir/vmlinuz
note "series $series: kernel $kver"

# --------------------------------------------------------------- rootfs ---
t0=$SECONDS
base=$("$here/mkrootfs.sh" --cache "$cache") || bail "mkrootfs.sh failed"
partuuid=$(cat "$(dirname "$base")/partuuid") || bail "no partuuid beside $base"
[ $((SECONDS - t0)) -gt 5 ] && note "root file system built in $((SECONDS - t0)) s"

# --------------------------------------------------------------- payload ---
p=$work/payload
mkdir -p "$p/cases" "$p/modules" "$p/debs/next" "$p/libexec" "$p/share"
cp "$here/runner.sh" "$here/lib.sh" "$p/"
cp "$here"/cases/*.sh "$here"/cases/*.inc "$p/cases/" 2>/dev/null
# Modules, dependencies first (fetch-kernels.sh's modules.load order); the
# runner insmods them in name order on every boot.
i=0
while read -r m; do
	[ -n "$m" ] || continue
	i=$((i + 1))
	b=${m##*/}
	cp "$kdir/modules/lib/modules/$kver/$m" "$p/modules/$(printf %02d $i)-${b%.ko}.ko" ||
		bail "module $m missing from $kdir"
done <"$kdir/modules.load"
if [ -n "$build_dir" ]; then
	[ -d "$build_dir" ] || bail "no build dir $build_dir"
	build_dir=$(cd "$build_dir" && pwd)
	# mptcpify goes in as a Debian package, installed with dpkg on the first
	# boot: the tests run against the installed files. A second package, one
	# patch version higher, is the upgrade the package test installs.
	# MPTCPIFY_DEBS=DIR uses DIR/mptcpify_*.deb and DIR/next/ instead.
	if [ -n "${MPTCPIFY_DEBS:-}" ]; then
		cp "$MPTCPIFY_DEBS"/mptcpify_*.deb "$p/debs/" || bail "no mptcpify_*.deb in $MPTCPIFY_DEBS"
		cp "$MPTCPIFY_DEBS"/next/mptcpify_*.deb "$p/debs/next/" || bail "no mptcpify_*.deb in $MPTCPIFY_DEBS/next"
	else
		ver=$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" "$srcroot/meson.build" | head -n1)
		next=${ver%.*}.$((${ver##*.} + 1))
		# Built once per state of the tree and kept in the build dir: the
		# groups, booted side by side, share them (the first builds, the
		# others wait on the lock). The key hashes what build-packages.sh
		# copies: the files git tracks or could track.
		debs=$build_dir/vm-systemd-debs
		mkdir -p "$debs"
		key=$(cd "$srcroot" && git ls-files -z --cached --others --exclude-standard |
			xargs -0 sha1sum 2>/dev/null | sha1sum | cut -c1-16)
		exec 8>"$debs/lock"
		flock 8
		if [ ! -e "$debs/$key/done" ]; then
			rm -rf "$debs"/*/
			t0=$SECONDS
			for v in "$ver" "$next"; do
				d=$debs/$key/$v
				args=(--no-rpm --no-lintian --out "$d")
				[ "$v" = "$ver" ] || args+=(--version "$v")
				if ! "$srcroot/tools/build-packages.sh" "${args[@]}" >"$work/pkg-$v.log" 2>&1; then
					tail -n 20 "$work/pkg-$v.log" | sed 's/^/#   /'
					bail "tools/build-packages.sh ${args[*]} failed (bash tools/install-deps.sh installs the packaging tools)"
				fi
			done
			: >"$debs/$key/done"
			note "packages $ver and $next built in $((SECONDS - t0)) s"
		fi
		exec 8>&-
		cp "$debs/$key/$ver"/mptcpify_"$ver"-*.deb "$p/debs/" &&
			cp "$debs/$key/$next"/mptcpify_"$next"-*.deb "$p/debs/next/" ||
			bail "no packages in $debs/$key"
	fi
	if [ -n "${MPTCPIFY_TEST_PROGS:-}" ]; then
		IFS=: read -r -a progs <<<"$MPTCPIFY_TEST_PROGS"
		for f in "${progs[@]}"; do [ -x "$f" ] && cp "$f" "$p/libexec/"; done
	elif [ -d "$build_dir/tests/progs" ]; then
		find "$build_dir/tests/progs" -maxdepth 1 -type f -perm -u+x \
			-exec cp {} "$p/libexec/" \;
	fi
fi
# For cases that need a configuration to start from.
cp "$srcroot"/systemd/*.example "$p/share/" 2>/dev/null
# promtool (Debian's prometheus package; a static binary) checks the metrics
# file the daemon writes (cases/50-metrics.sh); without it that test skips.
if command -v promtool >/dev/null; then
	mkdir -p "$p/libexec" && cp "$(command -v promtool)" "$p/libexec/"
fi
{
	printf 'SERIES=%q\n' "$series"
	printf 'KVER=%q\n' "$kver"
	printf 'TESTS=%q\n' "$tests"
	printf 'GROUP=%q\n' "$group"
	printf 'TEST_TIMEOUT=%q\n' "$test_timeout"
	printf 'DEBUG=%q\n' "${MPTCPIFY_VM_DEBUG:-0}"
	printf 'BENCH=%q\n' "${MPTCPIFY_VM_BENCH:-0}"
} >"$p/config"
note "payload: $(cd "$p" && find debs libexec share -type f | sort | tr '\n' ' ')"
pmb=$(( $(du -sm "$p" | cut -f1) + 16 ))
mkfs.ext4 -q -F -O ^has_journal -L mptcpify-payload -E root_owner=0:0 -d "$p" \
	"$work/payload.img" "${pmb}M" >/dev/null || bail "mkfs.ext4 of the payload failed"

# ------------------------------------------------------------------ boot ---
consoles=()
boot_once() { # overlay tag -> rc of qemu; files console.TAG, results.TAG
	local ov=$1 tag=$2
	: >"$work/results.$tag"
	consoles+=("$work/console.$tag")
	: >"$work/console.$tag"
	local tpid=''
	if [ "$verbose" = 1 ]; then
		tail -n +1 -F "$work/console.$tag" 2>/dev/null | tr -d '\r' >&2 &
		tpid=$!
	fi
	timeout -k 10 "$timeout" qemu-system-x86_64 \
		-accel tcg -cpu max,-cx16 -smp "$smp" -m "$mem" \
		-nodefaults -no-user-config -display none -no-reboot -nic none \
		-kernel "$kernel" \
		-append "root=PARTUUID=$partuuid rootfstype=ext4 rootwait rw console=ttyS0 panic=-1 systemd.unit=mptcpify-test.target systemd.show_status=error ${MPTCPIFY_VM_APPEND:-}" \
		-drive "if=none,id=root,file=$ov,format=qcow2,cache=unsafe" \
		-drive "if=none,id=payload,file=$work/payload.img,format=raw,readonly=on" \
		-device nvme,id=nvme0,serial=mptcpify \
		-device nvme-ns,bus=nvme0,drive=root,nsid=1 \
		-device nvme-ns,bus=nvme0,drive=payload,nsid=2 \
		-serial "file:$work/console.$tag" -serial "file:$work/results.$tag" \
		</dev/null >"$work/qemu.$tag.log" 2>&1 &
	qpid=$!
	wait "$qpid"
	local rc=$?
	qpid=''
	[ -n "$tpid" ] && { sleep 0.2; kill "$tpid" 2>/dev/null; wait "$tpid" 2>/dev/null; }
	return $rc
}

results=() times=()
suite_done=''
attempt_all() { # attempt number; fills results[], suite_done
	local a=$1 ov b tag rc line kind rest start
	ov=$work/overlay.$a.qcow2
	results=() times=() suite_done=''
	qemu-img create -q -f qcow2 -b "$base" -F raw "$ov" || bail "qemu-img create failed"
	for ((b = 1; b <= max_boots; b++)); do
		tag=$a.$b
		start=$SECONDS
		boot_once "$ov" "$tag"
		rc=$?
		local rebooted=''
		while IFS= read -r line; do
			line=${line%$'\r'}
			kind=${line%% *}; rest=${line#* }
			case $kind in
			BOOT) note "boot $tag: kernel ${rest#* }" ;;
			RESULT) results+=("$rest") ;;
			DIAG) results+=("DIAG $rest") ;;
			INFO) note "$rest" ;;
			TIME) times+=("${rest% *}=${rest##* }s") ;;
			REBOOT) rebooted=$rest ;;
			SUITE-DONE) suite_done=${rest%% *} ;;
			esac
		done <"$work/results.$tag"
		note "boot $tag: $((SECONDS - start)) s, qemu status $rc$([ "$rc" = 124 ] && echo ' (host timeout)')"
		[ -n "$suite_done" ] && return 0
		if [ -n "$rebooted" ]; then
			note "boot $tag: reboot requested by ${rebooted% *} (phase ${rebooted##* })"
			continue
		fi
		note "boot $tag: no SUITE-DONE; console tail:"
		tail -n 25 "$work/console.$tag" | tr -d '\r' | sed 's/^/#   /'
		return 1
	done
	note "more than $max_boots boots: giving up"
	return 1
}

start_all=$SECONDS
if ! attempt_all 1; then
	note "retrying once from a fresh disk"
	attempt_all 2
fi

for r in "${results[@]}"; do
	case $r in
	DIAG\ *) note "  ${r#DIAG }"; continue ;;
	esac
	# Not $name: that names this boot's files and its line below.
	status=${r%% *}; rest=${r#* }
	test_name=${rest%% *}; why=${rest#"$test_name"}; why=${why# }
	case $status in
	PASS) tap_ok "$series $test_name" ;;
	SKIP) tap_skip "$series $test_name" "$why" ;;
	*) tap_notok "$series $test_name${why:+: $why}" ;;
	esac
done
if [ -n "$suite_done" ]; then
	tap_ok "$series suite completed"
else
	tap_notok "$series suite completed (no SUITE-DONE after a retry)"
fi

# Kernel console: printk lines ("[   1.234567] ...", possibly after a login
# prompt) only, less the "[   1.234567] name[pid]: ..." lines journald copies
# there, so a program that prints the word WARNING does not count.
bad=$(cat "${consoles[@]}" 2>/dev/null | tr -d '\r' |
	grep -E '\[ *[0-9]+\.[0-9]+\] ' | grep -vE '\[ *[0-9]+\.[0-9]+\] [^ ]+\[[0-9]+\]: ' |
	grep -E 'BUG:|WARNING:|Oops|Kernel panic|general protection fault|Call Trace:' | head -n 20)
if [ -z "$bad" ]; then
	tap_ok "$series kernel console clean (${#consoles[@]} boots)"
else
	tap_notok "$series kernel console clean"
	printf '%s\n' "$bad" | sed 's/^/#   /'
fi
# Every test's time and the boots' total, for tests/run-all.sh's summary.
for t in "${times[@]}"; do
	v=${t##*=}
	note "time: systemd/${t%=*} ${v%s}"
done
if [ -n "$build_dir" ] && mkdir -p "$build_dir/meson-logs" 2>/dev/null; then
	rm -f "$build_dir/meson-logs/vm-systemd-$name"-console.*.log
	for c in "${consoles[@]}"; do
		tr -d '\r' <"$c" >"$build_dir/meson-logs/vm-systemd-$name-${c##*/}.log"
	done
	note "consoles: $build_dir/meson-logs/vm-systemd-$name-console.*.log"
fi
note "series $series${group:+, group $group}: $((SECONDS - start_all)) s in the VM"
note "boot-time: systemd-$name $((SECONDS - start_all)) s in ${#consoles[@]} boot(s), -smp $smp, limit ${timeout} s each"
echo "1..$n"
[ "$nfail" = 0 ]
