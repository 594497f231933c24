#!/bin/sh
# Install everything mptcpify needs to build and to run its test suites
# (host unit tests and the QEMU suite) on Debian 12 or newer.
#
# The one setup command: CI runs it as root in a fresh clone; developers run
# it once. Idempotent: when every package is already installed it asks no
# mirror at all, so a second run is fast and works offline.
set -eu

# Build: C toolchain, clang for the BPF object (and libFuzzer for the fuzz
# test), libbpf/bpftool for skeletons.
build_pkgs="gcc libc6-dev clang llvm libclang-rt-dev pkg-config meson ninja-build bpftool
  libbpf-dev libelf-dev zlib1g-dev libsystemd-dev liburing-dev libjson-c-dev"

# VM suite, host side: QEMU (TCG), cpio/gzip/xz for the initramfs, apt's
# keyring for the private kernel download, kmod for depmod on kernel trees.
# python3-yaml: the host check of deploy/kubernetes/*.yaml.
vm_host_pkgs="qemu-system-x86 cpio gzip xz-utils zstd kmod
  debian-archive-keyring ca-certificates debootstrap python3 python3-yaml
  e2fsprogs qemu-utils systemd"

# VM suite, guest side: copied from this machine into the initramfs.
guest_pkgs="busybox-static bash coreutils util-linux findutils procps grep sed iproute2
  iperf3 ncat tcpdump mptcpize strace ethtool socat"

# Packages (tools/build-packages.sh, meson test suite pkg): the Debian
# package build and lintian; rpm's rpmbuild for the RPM spec.
pkg_pkgs="dpkg-dev debhelper fakeroot devscripts lintian rpm cpio"

# Metrics: promtool checks the text of `mptcpify metrics` and of the daemon's
# metrics file (tests/cli/cli-host.sh, the systemd VM suite). Only promtool
# is used: the Prometheus server the package enables is stopped below.
metrics_pkgs="prometheus"

pkgs=$(echo $build_pkgs $vm_host_pkgs $guest_pkgs $pkg_pkgs $metrics_pkgs)

missing=""
for p in $pkgs; do
	# "install ok installed" is the only state that means the files are there.
	st=$(dpkg-query -W -f '${Status}' "$p" 2>/dev/null || true)
	[ "$st" = "install ok installed" ] || missing="$missing $p"
done

if [ -z "$missing" ]; then
	echo "install-deps: all $(echo $pkgs | wc -w) packages already installed"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing:$missing; run as root" >&2
	exit 1
fi

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# --no-install-recommends keeps CI lean; everything needed is listed above.
apt-get install -y -qq --no-install-recommends $missing >/dev/null
case " $missing " in
*" prometheus "*)
	# Installed for promtool: no server scraping in the background.
	if [ -d /run/systemd/system ]; then
		systemctl disable --now prometheus.service >/dev/null 2>&1 || true
	fi ;;
esac
echo "install-deps: done"
