#!/bin/bash
# meson test `pkg`: build the .deb and the RPM from a clean copy of the
# source tree (tools/build-packages.sh), lintian without errors, the two
# file lists equal. Exit 77 (skip) when the packaging tools are missing.
set -u
src=$1 out=$2
for t in dpkg-buildpackage dh lintian rpmbuild; do
	command -v "$t" >/dev/null || { echo "skip: $t not installed (bash tools/install-deps.sh)"; exit 77; }
done
rm -rf "$out"
exec "$src/tools/build-packages.sh" --out "$out"
