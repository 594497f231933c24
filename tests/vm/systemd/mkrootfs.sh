#!/bin/bash
# Build (once, cached) the Debian bookworm root file system that the systemd VM
# tests boot with systemd as PID 1.
#
#   mkrootfs.sh [--cache DIR] [--force] [--quiet]
#
# Prints the path of the pristine raw ext4 image (base.img) on stdout. Test runs
# never write to it: tests/vm/systemd/run.sh boots a qcow2 overlay on top of it.
#
# The image lives in ${MPTCPIFY_VM_CACHE:-${XDG_CACHE_HOME:-/var/tmp}/mptcpify-vm}/
# systemd-rootfs/KEY/, KEY being a hash of this script (which holds the package
# list and the guest-side boot stub), so any change here builds a new image.
# The Debian mirror is the one this machine's own apt configuration names
# (override: MPTCPIFY_DEBIAN_MIRROR=URI). Needs root (debootstrap chroots), and
# debootstrap + e2fsprogs on the host.
set -euo pipefail

SUITE=bookworm
# Recommends are not installed: list what the tests need. udev is needed for
# systemd's .device units, dbus for logind (a clean "running" system) and for
# podman's systemd cgroup manager, jq for the tests that read
# `mptcpify --json`. Real podman for the OCI hook's tests (rootful, crun,
# cgroup v2): netavark named so that no CNI plugins come instead; images are
# made in the guest from busybox-static and the test programs (podman import).
PACKAGES=(
	systemd systemd-sysv udev dbus kmod procps iproute2
	libbpf1 libelf1 zlib1g libsystemd0 libjson-c5
	bpftool iperf3 ncat jq
	podman crun conmon netavark busybox-static
)
# Free space left in the image for the tests (journal, files, state).
SLACK_MB=512

self=$(readlink -f "${BASH_SOURCE[0]}")
cache=${MPTCPIFY_VM_CACHE:-${XDG_CACHE_HOME:-/var/tmp}/mptcpify-vm}
force=0
quiet=0
while [ $# -gt 0 ]; do
	case $1 in
	--cache) cache=$2; shift 2 ;;
	--force) force=1; shift ;;
	--quiet) quiet=1; shift ;;
	-h|--help) sed -n '2,/^set -e/p' "$self" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "mkrootfs.sh: unknown argument: $1" >&2; exit 2 ;;
	esac
done

log() { [ "$quiet" = 1 ] || echo "mkrootfs: $*" >&2; }
die() { echo "mkrootfs: error: $*" >&2; exit 1; }

key=$( { cat "$self"; echo "$SUITE ${PACKAGES[*]} $(uname -m)"; } | sha256sum | cut -c1-16)
dir=$cache/systemd-rootfs/$key
img=$dir/base.img

if [ "$force" = 0 ] && [ -s "$img" ] && [ -e "$dir/done" ]; then
	touch "$dir/used" 2>/dev/null || true
	echo "$img"
	exit 0
fi

# write_mbr FILE DISK-ID(8 hex) FIRST-SECTOR SECTORS: an MBR with one Linux
# partition (type 0x83); its PARTUUID is DISK-ID-01.
le32() { # N -> printf escapes of its 4 little-endian bytes
	printf '\\x%02x' $(($1 & 255)) $((($1 >> 8) & 255)) $((($1 >> 16) & 255)) $((($1 >> 24) & 255))
}
# shellcheck disable=SC2059 # the formats are built from le32's escapes
write_mbr() {
	local f=$1 id=$((16#$2)) first=$3 count=$4
	{
		printf "$(le32 "$id")"'\0\0'                # 0x1b8: disk signature, 2 zero bytes
		printf '\0\xfe\xff\xff\x83\xfe\xff\xff'     # 0x1be: entry 1, type 0x83
		printf "$(le32 "$first")$(le32 "$count")"
		head -c 48 /dev/zero                        # entries 2-4
		printf '\x55\xaa'
	} | dd of="$f" bs=1 seek=440 conv=notrunc status=none
}

[ "$(id -u)" = 0 ] || die "building the root file system needs root (debootstrap); run once as root or provide a cache"
for t in debootstrap mkfs.ext4; do
	command -v "$t" >/dev/null || PATH=$PATH:/usr/sbin:/sbin command -v "$t" >/dev/null ||
		die "$t not found (apt-get install debootstrap e2fsprogs)"
done
export PATH=$PATH:/usr/sbin:/sbin

# The mirror: the non-security Debian entry of the machine's apt sources.
find_mirror() {
	local f
	if [ -n "${MPTCPIFY_DEBIAN_MIRROR:-}" ]; then echo "$MPTCPIFY_DEBIAN_MIRROR"; return; fi
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		# deb822: stanzas separated by blank lines.
		awk 'BEGIN { RS = ""; FS = "\n" }
		{
			types = ""; uris = ""; suites = ""
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^Types:/) types = $i
				if ($i ~ /^URIs:/) uris = $i
				if ($i ~ /^Suites:/) suites = $i
			}
			if (types ~ /[[:space:]]deb([[:space:]]|$)/ && suites !~ /-security/ &&
			    suites ~ /(bookworm|trixie|sid|stable|testing|unstable)/ && uris != "") {
				sub(/^URIs:[[:space:]]*/, "", uris); split(uris, u, /[[:space:]]+/)
				print u[1]; exit
			}
		}' "$f"
	done | head -n1 | grep . && return
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk '$1 == "deb" && $0 !~ /security/ && $0 ~ /debian/ {
			for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit }
		}' "$f"
	done | head -n1 | grep . && return
	return 1
}
mirror=$(find_mirror) || die "no Debian mirror found in /etc/apt (set MPTCPIFY_DEBIAN_MIRROR)"

mkdir -p "$dir" "$cache/systemd-rootfs/debs"
exec 9>"$dir/lock"
flock 9
if [ "$force" = 0 ] && [ -s "$img" ] && [ -e "$dir/done" ]; then
	echo "$img"     # built by someone else while we waited
	exit 0
fi

tmp=$(mktemp -d "$dir/build.XXXXXX")
disk_id=${key:0:8}
partuuid=$disk_id-01
root=$tmp/root
cleanup() {
	local m
	# debootstrap mounts proc/sys inside the target; never leave them behind.
	awk -v r="$root/" 'index($2, r) == 1 { print $2 }' /proc/mounts | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT

log "debootstrap $SUITE from $mirror (${PACKAGES[*]})"
t0=$(date +%s)
inc=$(IFS=,; echo "${PACKAGES[*]}")
if ! debootstrap --variant=minbase --include="$inc" \
	--cache-dir="$cache/systemd-rootfs/debs" \
	"$SUITE" "$root" "$mirror" >"$tmp/debootstrap.log" 2>&1; then
	tail -n 30 "$tmp/debootstrap.log" >&2
	[ -f "$root/debootstrap/debootstrap.log" ] && tail -n 30 "$root/debootstrap/debootstrap.log" >&2
	die "debootstrap failed"
fi
t1=$(date +%s)
log "debootstrap took $((t1 - t0)) s"

# --- configure the guest (no chroot needed) ---
echo mptcpify-vm >"$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 mptcpify-vm\n::1 localhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
printf 'PARTUUID=%s / ext4 rw,errors=remount-ro 0 0\n' "$partuuid" >"$root/etc/fstab"
# Root without a password: a serial console login helps when debugging a run.
sed -i 's/^root:[^:]*:/root::/' "$root/etc/shadow"
# Never prompt on the console on first boot; same machine id on every boot.
ln -sf /dev/null "$root/etc/systemd/system/systemd-firstboot.service"
[ -s "$root/etc/machine-id" ] || echo "$key$key" >"$root/etc/machine-id"
# Timers and jobs that only cost time in an emulated guest. The image has no
# modules (the runner insmods the series' own): modprobe@ would only fail.
for u in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service \
	fstrim.timer man-db.timer dpkg-db-backup.timer \
	modprobe@configfs.service modprobe@dm_mod.service modprobe@drm.service \
	modprobe@efi_pstore.service modprobe@fuse.service modprobe@loop.service; do
	ln -sf /dev/null "$root/etc/systemd/system/$u"
done
mkdir -p "$root/var/log/journal" "$root/var/lib/mptcpify-test"
# Not a first boot in the ConditionNeedsUpdate sense: no ldconfig, hwdb or
# catalog rebuild on every fresh overlay.
touch "$root/etc/.updated" "$root/var/.updated"

# The test target: everything a normal boot starts (multi-user.target: an enabled
# mptcpify-bpf.service starts as on a real machine), then the runner.
cat >"$root/etc/systemd/system/mptcpify-test.target" <<'UNIT'
[Unit]
Description=mptcpify systemd VM tests
Requires=multi-user.target
After=multi-user.target
Wants=mptcpify-test.service
AllowIsolate=yes
UNIT
# Type=exec: the start job completes at once, so `systemctl is-system-running`
# can reach "running" while the tests run. The runner powers the machine off;
# if it dies without doing so, FailureAction does.
cat >"$root/etc/systemd/system/mptcpify-test.service" <<'UNIT'
[Unit]
Description=mptcpify systemd VM test runner
After=multi-user.target
FailureAction=poweroff-force

[Service]
Type=exec
ExecStart=/usr/local/libexec/mptcpify-test-boot
StandardOutput=journal+console
StandardError=journal+console
TimeoutStartSec=infinity
UNIT
# The stub in the image only mounts the per-run payload disk (the second NVMe
# namespace, read-only) and hands over to the runner it carries, so changing the
# runner or the cases never rebuilds this image.
mkdir -p "$root/usr/local/libexec"
cat >"$root/usr/local/libexec/mptcpify-test-boot" <<'STUB'
#!/bin/sh
p=/run/mptcpify-payload
mkdir -p "$p"
if ! mountpoint -q "$p" && ! mount -o ro LABEL=mptcpify-payload "$p"; then
	stty -F /dev/ttyS1 raw -echo 2>/dev/null
	echo "SUITE-DONE 1 cannot mount the payload disk (LABEL=mptcpify-payload)" >/dev/ttyS1
	exit 1
fi
exec /bin/bash "$p/runner.sh"
STUB
chmod 755 "$root/usr/local/libexec/mptcpify-test-boot"

# --- shrink ---
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
	"$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
	"$root"/usr/share/locale/* "$root"/debootstrap
find "$root/var/log" -type f -delete

used=$(du -sm "$root" | cut -f1)
size=$((used + SLACK_MB))
log "root tree ${used} MB, image ${size} MB"
mkfs.ext4 -q -F -L mptcpify-root -E root_owner=0:0 -d "$root" "$tmp/root.ext4" "${size}M" \
	>"$tmp/mkfs.log" 2>&1 || { cat "$tmp/mkfs.log" >&2; die "mkfs.ext4 failed"; }
# The file system goes in partition 1 of an MBR disk: the kernel finds it by
# root=PARTUUID=... with no initramfs, whatever name the disk gets (NVMe
# namespaces are probed asynchronously: nvme0n1 is not always namespace 1).
truncate -s $(((size + 1) * 1024 * 1024)) "$tmp/base.img"
write_mbr "$tmp/base.img" "$disk_id" 2048 $((size * 2048))
dd if="$tmp/root.ext4" of="$tmp/base.img" bs=1M seek=1 conv=notrunc,sparse status=none
rm -f "$tmp/root.ext4"
mv "$tmp/base.img" "$img"
echo "$partuuid" >"$dir/partuuid"
{
	echo "suite=$SUITE"
	echo "mirror=$mirror"
	echo "packages=${PACKAGES[*]}"
	echo "debootstrap_seconds=$((t1 - t0))"
	echo "tree_mb=$used"
	echo "image_mb=$size"
	echo "partuuid=$partuuid"
	echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} >"$dir/info"
touch "$dir/done" "$dir/used"
log "built $img"
# Images of older versions of this script, unused for a week, go.
find "$cache/systemd-rootfs" -mindepth 2 -maxdepth 2 -name used -mtime +7 -printf '%h\n' |
	while read -r old; do
		[ "$old" = "$dir" ] && continue
		log "removing unused $old"
		rm -rf "$old"
	done
echo "$img"
