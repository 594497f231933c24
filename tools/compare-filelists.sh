#!/bin/bash
# Check that the .deb and the RPM install the same files.
#
#   tools/compare-filelists.sh PKG.deb PKG.rpm
#
# Regular files and symlinks only (directories are owned differently by the
# two formats), after the differences that are each distribution's rule:
# Debian 12's unit directory /lib/systemd/system is /usr/lib/systemd/system
# (merged /usr), man pages and long docs are compressed or not (.gz dropped),
# Debian's changelog.Debian, copyright and lintian overrides have no RPM
# counterpart, and RPM's /usr/lib/.build-id links have no Debian one (the
# dbgsym package holds those).
# Exit 0 when the lists match, 1 with a diff when not.
set -euo pipefail
[ $# = 2 ] || { echo "usage: compare-filelists.sh PKG.deb PKG.rpm" >&2; exit 2; }
deb=$1 rpm=$2
norm() {
	sed -E 's|^\./|/|; s|^/lib/|/usr/lib/|; s|\.gz$||' |
		grep -vE '^/usr/share/lintian/overrides/mptcpify$|^/usr/share/doc/mptcpify/(changelog\.Debian|copyright)$|^/usr/lib/\.build-id(/|$)' |
		sort -u
}
dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { print $6 }' | norm >"${TMPDIR:-/tmp}/deb-files.$$"
rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$rpm" 2>/dev/null |
	awk '$1 !~ /^d/ { print $2 }' | norm >"${TMPDIR:-/tmp}/rpm-files.$$"
trap 'rm -f "${TMPDIR:-/tmp}"/deb-files.$$ "${TMPDIR:-/tmp}"/rpm-files.$$' EXIT
if diff -u --label "$(basename "$deb")" --label "$(basename "$rpm")" \
	"${TMPDIR:-/tmp}/deb-files.$$" "${TMPDIR:-/tmp}/rpm-files.$$"; then
	echo "compare-filelists: same $(wc -l <"${TMPDIR:-/tmp}/deb-files.$$") files in both"
else
	echo "compare-filelists: the packages differ (- only in the .deb, + only in the RPM)" >&2
	exit 1
fi
