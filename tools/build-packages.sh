#!/bin/bash
# Build the Debian package (and the RPM, when rpmbuild is there) from a clean
# copy of the tree, run lintian, print the sizes.
#
#   tools/build-packages.sh [--out DIR] [--no-rpm] [--no-lintian] [--version V]
#
#   --out DIR      where the packages go (default: pkg-out/ in the tree)
#   --no-rpm       build the .deb only
#   --no-lintian   skip lintian (the VM suite's builds: the pkg suite lints)
#   --version V    package version V instead of meson.build's (for upgrade
#                  tests: a copy's debian/changelog and meson.build get V)
#
# The copy holds the files git tracks plus the ones not yet committed (not the
# ignored ones: no build/ directory leaks in). Needs dpkg-dev, debhelper and
# the Build-Depends (tools/install-deps.sh), lintian; rpm for the RPM.
# Exit status: 0 when every package built and lintian reported no error.
set -euo pipefail

here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
src=$(readlink -f "$here/..")
out=$src/pkg-out rpm=1 lint=1 version=''
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=$2; shift 2 ;;
	--no-rpm) rpm=0; shift ;;
	--no-lintian) lint=0; shift ;;
	--version) version=$2; shift 2 ;;
	-h|--help) sed -n '2,/^set -eu/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "build-packages: unknown argument: $1" >&2; exit 2 ;;
	esac
done
die() { echo "build-packages: error: $*" >&2; exit 1; }
for t in dpkg-buildpackage dh git $([ "$lint" = 1 ] && echo lintian); do
	command -v "$t" >/dev/null || die "$t not found (bash tools/install-deps.sh)"
done

mkdir -p "$out"
out=$(readlink -f "$out")
work=$(mktemp -d "${TMPDIR:-/tmp}/mptcpify-pkg.XXXXXX")
trap 'rm -rf "$work"' EXIT

# meson.build's version is the one version; debian/changelog must agree.
mver=$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" "$src/meson.build" | head -n1)
[ -n "$mver" ] || die "no version in meson.build"
dver=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
[ "${dver%-*}" = "$mver" ] ||
	die "debian/changelog says $dver, meson.build $mver: add a changelog entry (dch -v $mver-1)"

copy=$work/mptcpify-${version:-$mver}
mkdir -p "$copy"
(cd "$src" && git ls-files -z --cached --others --exclude-standard |
	xargs -0 -I{} sh -c '[ -e "{}" ] && printf "%s\0" "{}"' | cpio -0 -pdm --quiet "$copy")
[ -f "$copy/debian/control" ] || die "the copy has no debian/control"

if [ -n "$version" ]; then
	sed -i "s/^\( *version *: *\)'$mver'/\1'$version'/" "$copy/meson.build"
	(cd "$copy" && DEBEMAIL="mptcpify developers <mptcpify-devel@example.org>" \
		dch -b -v "$version-1" --distribution unstable "Test build of version $version." >/dev/null 2>&1) ||
		die "dch failed"
	sed -i "s/^\(Version: *\)$mver\$/\1$version/" "$copy/packaging/rpm/mptcpify.spec"
	mver=$version
fi
rver=$(sed -n 's/^Version: *//p' "$copy/packaging/rpm/mptcpify.spec")
[ "$rver" = "$mver" ] || die "packaging/rpm/mptcpify.spec says $rver, meson.build $mver"
# The RPM's source: the clean copy, before the Debian build writes into it.
tar -czf "$work/mptcpify-$mver.tar.gz" -C "$work" "mptcpify-$mver"

t0=$SECONDS
echo "build-packages: dpkg-buildpackage -us -uc -b in $copy"
if ! (cd "$copy" && dpkg-buildpackage -us -uc -b) >"$work/deb.log" 2>&1; then
	tail -n 40 "$work/deb.log" >&2
	cp "$work/deb.log" "$out/deb-build.log"
	die "dpkg-buildpackage failed (log: $out/deb-build.log)"
fi
cp "$work/deb.log" "$out/deb-build.log"
deb_s=$((SECONDS - t0))
changes=$(ls "$work"/mptcpify_*_*.changes)
for f in "$work"/mptcpify_*.deb "$work"/mptcpify-dbgsym_*.deb "$changes" "$work"/*.buildinfo; do
	[ -e "$f" ] && cp "$f" "$out/"
done
deb=$(ls "$out"/mptcpify_"$mver"-*_*.deb | tail -n1)

rc=0
if [ "$lint" = 1 ]; then
	echo "build-packages: lintian $(basename "$changes")"
	# --fail-on error: warnings are listed (each kept one has an override).
	lintian --fail-on error --display-info "$changes" | tee "$out/lintian.txt" || rc=1
	[ -s "$out/lintian.txt" ] || echo "build-packages: lintian: no tags"
fi

rpmfile=''
if [ "$rpm" = 1 ]; then
	if command -v rpmbuild >/dev/null; then
		t1=$SECONDS
		if "$here/build-rpm.sh" --tarball "$work/mptcpify-$mver.tar.gz" --out "$out" >"$work/rpm.log" 2>&1; then
			rpmfile=$(ls -t "$out"/mptcpify-"$mver"-*.rpm 2>/dev/null | grep -v '\.src\.rpm$' | head -n1)
			echo "build-packages: rpm built in $((SECONDS - t1)) s"
			"$here/compare-filelists.sh" "$deb" "$rpmfile" || rc=1
		else
			tail -n 30 "$work/rpm.log" >&2
			rc=1
		fi
		cp "$work/rpm.log" "$out/rpm-build.log"
	else
		echo "build-packages: rpmbuild not found: no RPM (apt-get install rpm)"
	fi
fi

echo "build-packages: .deb built in $deb_s s; in $out:"
for f in "$deb" $rpmfile; do
	printf '  %-48s %8s bytes, %s installed\n' "$(basename "$f")" "$(stat -c %s "$f")" \
		"$(case $f in
			*.deb) echo "$(dpkg-deb -f "$f" Installed-Size) KiB" ;;
			*.rpm) echo "$(( $(rpm -qp --qf '%{SIZE}' "$f" 2>/dev/null) / 1024 )) KiB" ;;
		esac)"
done
exit $rc
