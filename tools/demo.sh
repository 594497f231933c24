#!/bin/bash
# Try mptcpify on any machine, whatever its own kernel: configure and build
# what is needed (./build, or $BUILD_DIR), then play the vendor guide's
# scenario (tests/vm/demo.sh) in a QEMU guest running Debian's 6.12 cloud
# kernel, with the guest's console on screen. The host's kernel is not used,
# so a host that refuses BPF tracing programs, or is older than 6.6, works.
#
#   bash tools/install-deps.sh     # once: build and VM packages (apt, root)
#   bash tools/demo.sh
#
# The kernel is downloaded once through a private apt configuration and
# cached (tests/vm/fetch-kernels.sh). The run ends with the guide's check:
# the MPTcpExtMPCapable* counters at 2 with mptcpify and at 0 after
# `mptcpify detach`. Exit status 0 when the check holds.
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
build=${BUILD_DIR:-build}
case ${1:-} in
-h|--help) sed -n '2,/^set -eu/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
'') ;;
*) echo "demo: unknown argument: $1 (see --help)" >&2; exit 2 ;;
esac
for t in meson ninja qemu-system-x86_64; do
	command -v "$t" >/dev/null ||
		{ echo "demo: $t not found: run 'bash tools/install-deps.sh' (as root) first" >&2; exit 1; }
done
if [ ! -e "$build/build.ninja" ]; then
	echo "demo: configuring $build (meson setup)"
	meson setup "$build" >"${TMPDIR:-/tmp}/mptcpify-demo-setup.log" 2>&1 ||
		{ cat "${TMPDIR:-/tmp}/mptcpify-demo-setup.log" >&2; echo "demo: meson setup failed" >&2; exit 1; }
fi
# The demo target (tests/vm/meson.build) builds the CLI and the test
# programs, then boots the guest through tests/vm/run.sh --script.
exec meson compile -C "$build" demo
