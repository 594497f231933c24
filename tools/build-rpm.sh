#!/bin/bash
# Build the RPM from packaging/rpm/mptcpify.spec with the rpmbuild at hand.
#
#   tools/build-rpm.sh --tarball mptcpify-V.tar.gz --out DIR
#
# On Fedora/RHEL this is a plain `rpmbuild -ba`. On Debian (rpm from Debian's
# archive) Fedora's macro packages are missing: this script, not the spec,
# defines small stand-ins for %meson*, %_unitdir, %_systemdgeneratordir and the
# %systemd_* scriptlet macros, and passes --nodeps (the BuildRequires name Fedora packages). The
# stand-in scriptlets are NOT Fedora's: the RPM built here proves the spec's
# build, install and file list, not its scriptlets.
set -euo pipefail
here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
src=$(readlink -f "$here/..")
tarball='' out=''
while [ $# -gt 0 ]; do
	case $1 in
	--tarball) tarball=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	*) echo "build-rpm: unknown argument: $1" >&2; exit 2 ;;
	esac
done
[ -f "$tarball" ] && [ -n "$out" ] || { echo "build-rpm: give --tarball FILE and --out DIR" >&2; exit 2; }
command -v rpmbuild >/dev/null || { echo "build-rpm: rpmbuild not found (apt-get install rpm)" >&2; exit 1; }
mkdir -p "$out"
top=$(mktemp -d "${TMPDIR:-/tmp}/mptcpify-rpm.XXXXXX")
trap 'rm -rf "$top"' EXIT
mkdir -p "$top"/{SOURCES,SPECS,BUILD,RPMS,SRPMS,BUILDROOT}
cp "$tarball" "$top/SOURCES/"
# The spec inside the tarball is the one built (its version was set there).
tar -xzf "$tarball" -C "$top" --wildcards --strip-components=3 '*/packaging/rpm/mptcpify.spec'
mv "$top/mptcpify.spec" "$top/SPECS/"

defs=(--define "_topdir $top")
undefined() { [ "$(rpm --eval "%{?$1:yes}")" != yes ]; }
fallbacks=()
if undefined meson; then
	b=rpmbuild-meson
	defs+=(--define "meson meson setup --prefix=%{_prefix} --libdir=%{_libdir} --sysconfdir=%{_sysconfdir} --localstatedir=%{_localstatedir} --buildtype=plain --wrap-mode=nodownload $b"
		--define "meson_build ninja -C $b"
		--define "meson_install DESTDIR=%{buildroot} meson install -C $b --no-rebuild"
		--define "meson_test meson test -C $b --no-rebuild --print-errorlogs")
	fallbacks+=(meson)
fi
if undefined _unitdir; then defs+=(--define "_unitdir /usr/lib/systemd/system"); fallbacks+=(_unitdir); fi
if undefined _systemdgeneratordir; then
	defs+=(--define "_systemdgeneratordir /usr/lib/systemd/system-generators"); fallbacks+=(_systemdgeneratordir)
fi
if undefined _docdir; then defs+=(--define "_docdir %{_datadir}/doc"); fallbacks+=(_docdir); fi
if undefined _tmpfilesdir; then defs+=(--define "_tmpfilesdir /usr/lib/tmpfiles.d"); fallbacks+=(_tmpfilesdir); fi
if undefined tmpfiles_create; then
	defs+=(--define 'tmpfiles_create() systemd-tmpfiles --create %{?*} >/dev/null 2>&1 || :')
	fallbacks+=(tmpfiles_create)
fi
if undefined systemd_post; then
	# Roughly what Fedora's do, with systemctl: presets on first install,
	# disable --now on erase, try-restart on upgrade.
	defs+=(--define 'systemd_post() if [ $1 -eq 1 ]; then systemctl --no-reload preset %{?*} >/dev/null 2>&1 || :; fi'
		--define 'systemd_preun() if [ $1 -eq 0 ]; then systemctl --no-reload disable --now %{?*} >/dev/null 2>&1 || :; fi'
		--define 'systemd_postun_with_restart() systemctl daemon-reload >/dev/null 2>&1 || :; if [ $1 -ge 1 ]; then systemctl try-restart %{?*} >/dev/null 2>&1 || :; fi')
	fallbacks+=(systemd_*)
fi
nodeps=()
if [ -e /etc/debian_version ]; then
	nodeps=(--nodeps)
	# Debian's rpm has no find-debuginfo set-up of Fedora's kind.
	defs+=(--define "debug_package %{nil}")
	fallbacks+=(debug_package)
	# Fedora's doc directory is NAME, Debian's rpm makes it NAME-VERSION.
	if [ "$(rpm --eval '%{_docdir_fmt}')" != '%{NAME}' ]; then
		defs+=(--define '_docdir_fmt %%{NAME}')
		fallbacks+=(_docdir_fmt)
	fi
fi
[ ${#fallbacks[@]} -gt 0 ] && echo "build-rpm: stand-in macros (not Fedora's): ${fallbacks[*]}"
rpmbuild -ba "${nodeps[@]}" "${defs[@]}" "$top/SPECS/mptcpify.spec"
find "$top/RPMS" "$top/SRPMS" -name '*.rpm' -exec cp {} "$out/" \;
echo "build-rpm: $(cd "$out" && ls -1 ./*.rpm | tr '\n' ' ')"
