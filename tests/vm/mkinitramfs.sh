#!/bin/bash
# mkinitramfs.sh — build the test VM's initramfs for one kernel.
#
#   mkinitramfs.sh --kernel-dir DIR --build-dir DIR --out FILE [--script FILE]
#
# The image is two concatenated gzip'd cpio archives (the kernel unpacks
# both, the later one on top):
#   base     busybox, host tools (iproute2, iperf3, ncat, bpftool, tcpdump,
#            bash, util-linux/coreutils helpers), their libraries and the
#            kernel's modules. Slow to make, cached per kernel in the work
#            dir and rebuilt only when an input changes.
#   overlay  /init, /suite (lib.sh, run-suite.sh, cases, the optional
#            script), the built mptcpify CLI and test programs. Rebuilt on
#            every call: it is small, so a code change costs about a second.
#
# Where the built programs come from: MPTCPIFY_CLI (default BUILD/loader/
# mptcpify, skipped when absent) and MPTCPIFY_TEST_PROGS (colon-separated;
# default every executable file in BUILD/tests/progs/). MPTCPIFY_VM_CASES
# names another directory of case files (the rig's own tests use it).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
kdir="" build="" out="" script=""
while [ $# -gt 0 ]; do
	case $1 in
	--kernel-dir) kdir=$2; shift 2 ;;
	--build-dir) build=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--script) script=$2; shift 2 ;;
	*) echo "usage: $0 --kernel-dir DIR --build-dir DIR --out FILE [--script FILE]" >&2; exit 2 ;;
	esac
done
[ -n "$kdir" ] && [ -n "$build" ] && [ -n "$out" ] || { echo "$0: missing argument" >&2; exit 2; }
[ -e "$kdir/release" ] || { echo "$0: $kdir holds no kernel" >&2; exit 1; }

rel=$(cat "$kdir/release")
work=$(dirname "$out")
name=$(basename "$out" .cpio.gz)
mkdir -p "$work"

log() { echo "mkinitramfs: $*" >&2; }

# Host programs for the guest. Missing optional ones are left out with a note;
# missing required ones stop the build.
REQUIRED="/bin/busybox ip ss nstat tc bash iperf3 ncat bpftool tcpdump
  setpriv timeout"
OPTIONAL="env nohup nice xargs setsid unshare nsenter flock taskset strace
  ethtool mptcpize chroot chrt socat"
# GNU versions of tools whose busybox applets lack options tests reach for
# (seq -f, grep -P, sort -V, stat -c, date +%s%N, find -printf...), and
# pgrep/pkill, which this busybox lacks.
OPTIONAL="$OPTIONAL seq sort stat date mktemp grep sed find pgrep pkill"
# Never link these busybox applets: the real tools must be what a name means
# (busybox ip has no "mptcp", busybox setpriv no --reuid...).
NO_APPLET="ip tc ss nc nstat setpriv"
# dlopen()ed, so ldd doesn't see them.
EXTRA_LIBS="/usr/lib/x86_64-linux-gnu/mptcpize /lib/x86_64-linux-gnu/libgcc_s.so.1
  /usr/lib/x86_64-linux-gnu/tc /usr/lib/x86_64-linux-gnu/ossl-modules"

tool_path() {
	case $1 in /*) [ -x "$1" ] && echo "$1"; return ;; esac
	PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v "$1" || true
}

# The image has merged /usr like the host: /lib/x/y is stored as usr/lib/x/y.
# Always spell it so, never through the base's lib -> usr/lib link: the
# overlay has no such link, and a real lib/ in it would replace the base's
# link when the kernel unpacks the overlay on top, hiding /lib/modules (the
# guest then boots with no veth and no diag modules).
usr_path() {
	case $1 in /bin/*|/sbin/*|/lib/*|/lib64/*) echo "/usr$1" ;; *) echo "$1" ;; esac
}

# Copy a file to its (merged /usr) path under ROOT, following symlinks.
put() {
	local root=$1 src=$2 dst
	dst=$(usr_path "${3:-$2}")
	mkdir -p "$root$(dirname "$dst")"
	cp -L --preserve=mode "$src" "$root$dst"
	echo "$dst" >>"$root.files"
}

# Every shared library FILE needs, the dynamic loader included.
libs_of() {
	local f=$1
	# ldd fails on static binaries: nothing to copy then.
	ldd "$f" 2>/dev/null | awk '
		/not found/ { print "MISSING " $1; next }
		{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }' || true
}

# put_with_libs ROOT FILE [DEST] [SKIPLIST]: FILE and its libraries, except
# those listed in SKIPLIST (the base image's, for the overlay).
put_with_libs() {
	local root=$1 src=$2 dst=${3:-$2} skip=${4:-/dev/null} l
	put "$root" "$src" "$dst"
	for l in $(libs_of "$src"); do
		case $l in MISSING) log "error: $src needs a library that is not installed"; exit 1 ;; esac
		grep -qxF "$(usr_path "$l")" "$root.files" "$skip" 2>/dev/null && continue
		put "$root" "$l"
	done
}

skeleton() {
	local root=$1 d
	# Merged /usr like Debian: one place per file, and ldd's /lib paths work.
	mkdir -p "$root"/usr/{bin,sbin,lib,lib64} "$root"/{proc,sys,dev,run,tmp,root,etc,mnt,var}
	for d in bin sbin lib lib64; do ln -s "usr/$d" "$root/$d"; done
	ln -s ../run "$root/var/run"
	mkdir -p "$root/var/tmp"
	chmod 1777 "$root/tmp" "$root/var/tmp"
	# tcpdump drops privileges to "tcpdump"; setpriv tests use "nobody".
	cat >"$root/etc/passwd" <<-'EOF'
	root:x:0:0:root:/root:/bin/bash
	nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
	tcpdump:x:100:101::/nonexistent:/usr/sbin/nologin
	EOF
	cat >"$root/etc/group" <<-'EOF'
	root:x:0:
	nogroup:x:65534:
	tcpdump:x:101:
	EOF
	printf '127.0.0.1 localhost\n::1 localhost\n' >"$root/etc/hosts"
	printf 'passwd: files\ngroup: files\nhosts: files\n' >"$root/etc/nsswitch.conf"
	: >"$root/etc/fstab"
}

build_base() {
	local root=$1 t p a applets
	rm -rf "$root" "$root.files"
	skeleton "$root"
	: >"$root.files"
	for t in $REQUIRED $OPTIONAL; do
		p=$(tool_path "$t")
		if [ -z "$p" ]; then
			case " $(echo $REQUIRED) " in
			*" $t "*) log "error: $t not installed (run tools/install-deps.sh)"; exit 1 ;;
			esac
			log "note: $t not installed, left out"
			continue
		fi
		put_with_libs "$root" "$p"
	done
	for p in $EXTRA_LIBS; do
		[ -e "$p" ] || continue
		if [ -d "$p" ]; then
			for a in "$p"/*; do put_with_libs "$root" "$a"; done
		else
			put_with_libs "$root" "$p"
		fi
	done
	# /bin/sh is bash: busybox ash runs its own applets before PATH, so a
	# `sh -c "ip ..."` in a test would get busybox's ip.
	ln -s bash "$root/usr/bin/sh"
	# A loader cache: without one, ld.so probes a dozen tls/ and x86_64/
	# directories for each library of each exec, and tests exec a lot.
	mkdir -p "$root/etc"
	ldconfig -r "$root" 2>/dev/null || log "note: ldconfig failed, image has no loader cache"
	# busybox applets for everything the host tools don't cover.
	applets=$(/bin/busybox --list-full)
	for a in $applets; do
		t=${a##*/}
		case " $NO_APPLET busybox " in *" $t "*) continue ;; esac
		[ -e "$root/usr/bin/$t" ] || [ -e "$root/usr/sbin/$t" ] || [ -L "$root/usr/bin/$t" ] && continue
		case $a in
		sbin/*|usr/sbin/*) ln -s /usr/bin/busybox "$root/usr/sbin/$t" ;;
		*) ln -s busybox "$root/usr/bin/$t" ;;
		esac
	done
	# Kernel modules, decompressed by fetch-kernels.sh, plus their load order.
	mkdir -p "$root/usr/lib/modules"
	cp -a "$kdir/modules/lib/modules/$rel" "$root/usr/lib/modules/"
	cp "$kdir/modules.load" "$root/usr/lib/modules/$rel/modules.load"
	mkdir -p "$root/etc/mptcpify-vm"
	cp "$kdir/packages" "$root/etc/mptcpify-vm/kernel-packages"
}

# Base image cache key: this script, the kernel, and every host tool's
# identity (path, size, mtime): a package upgrade on the host rebuilds it.
base_key() {
	{
		sha1sum "$0"
		cat "$kdir/release" "$kdir/packages" "$kdir/modules.load"
		for t in $REQUIRED $OPTIONAL; do
			p=$(tool_path "$t"); [ -n "$p" ] && stat -Lc '%n %s %Y' "$p"
		done
	} | sha1sum | cut -d' ' -f1
}

pack() { # DIR OUT: newc cpio owned by root, gzip'd
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
		gzip -1 >"$2.tmp"
	mv "$2.tmp" "$2"
}

# One base per kernel, shared by every boot of it (several may build their
# images at once: the first builds, the others wait for it).
base=$work/base-$rel.cpio.gz
key=$(base_key)
exec 8>"$base.lock"
flock 8
if [ ! -e "$base" ] || [ "$(cat "$base.key" 2>/dev/null)" != "$key" ]; then
	log "building base image for $rel"
	build_base "$work/base-$rel"
	pack "$work/base-$rel" "$base"
	cp "$work/base-$rel.files" "$base.files"
	echo "$key" >"$base.key"
	rm -rf "$work/base-$rel" "$work/base-$rel.files"
fi
exec 8>&-

# --- overlay: what changes with the code -------------------------------------
ov=$work/$name.overlay
rm -rf "$ov" "$ov.files"
mkdir -p "$ov/suite/cases" "$ov/usr/sbin" "$ov/usr/libexec/mptcpify-test"
: >"$ov.files"
install -m 0755 "$HERE/init" "$ov/init"
install -m 0644 "$HERE/lib.sh" "$ov/suite/lib.sh"
install -m 0755 "$HERE/run-suite.sh" "$ov/suite/run-suite.sh"
for f in "${MPTCPIFY_VM_CASES:-$HERE/cases}"/*.sh; do
	[ -e "$f" ] && install -m 0644 "$f" "$ov/suite/cases/"
done
[ -n "$script" ] && install -m 0755 "$script" "$ov/suite/script.sh"
# The benchmark scripts, for the test that checks they still run.
mkdir -p "$ov/suite/bench"
install -m 0755 "$HERE/../bench/icount.sh" "$ov/suite/bench/icount.sh"
install -m 0755 "$HERE/../bench/prog-cost.sh" "$ov/suite/bench/prog-cost.sh"
install -m 0644 "$HERE/../bench/bench-lib.sh" "$ov/suite/bench/bench-lib.sh"

cli=${MPTCPIFY_CLI:-$build/loader/mptcpify}
if [ -x "$cli" ]; then
	put_with_libs "$ov" "$cli" /usr/sbin/mptcpify "$base.files"
else
	log "note: no mptcpify CLI at $cli, image has none"
fi
if [ -n "${MPTCPIFY_TEST_PROGS:-}" ]; then
	IFS=: read -ra progs <<<"$MPTCPIFY_TEST_PROGS"
else
	progs=()
	for f in "$build"/tests/progs/*; do
		[ -f "$f" ] && [ -x "$f" ] && progs+=("$f")
	done
fi
for f in "${progs[@]}"; do
	[ -n "$f" ] && put_with_libs "$ov" "$f" "/usr/libexec/mptcpify-test/$(basename "$f")" "$base.files"
done

for d in bin sbin lib lib64; do
	[ -e "$ov/$d" ] && { log "error: overlay has /$d, which would replace the base's link to usr/$d"; exit 1; }
done
pack "$ov" "$work/$name.overlay.cpio.gz"
rm -rf "$ov" "$ov.files"
cat "$base" "$work/$name.overlay.cpio.gz" >"$out.tmp"
mv "$out.tmp" "$out"
