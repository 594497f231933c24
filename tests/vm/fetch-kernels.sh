#!/bin/bash
# fetch-kernels.sh SERIES... — make Debian cloud kernels ready for the VM suite.
#
# For each series (6.1, 6.12, 7.2, ...) prints one line on stdout: the
# directory holding
#   vmlinuz        the kernel image
#   release        its release string (uname -r)
#   config         its .config
#   packages       the .deb names and versions it came from
#   modules/       lib/modules/REL/... with the needed modules decompressed
#   modules.load   those modules, dependencies first (insmod order)
#
# Packages come from Debian's archive through a PRIVATE apt configuration
# (own source list, lists, cache): the machine's apt setup is read for the
# mirror URI but never changed. Lists are refreshed at most once a day; a
# kernel already in the cache is used as is when the archive can't be reached.
#
# Environment: MPTCPIFY_VM_CACHE (cache root), MPTCPIFY_VM_OFFLINE=1 (never
# touch the network), MPTCPIFY_DEBIAN_MIRROR (URI, when the machine has no
# Debian source to copy it from).
set -euo pipefail

# Modules the suite needs (dependencies are added from modules.dep). Any of
# them may be built in (modules.builtin); MPTCP itself always is.
MODULES="veth sch_tbf sch_netem inet_diag tcp_diag udp_diag mptcp_diag"
SUITES="bookworm trixie sid"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

CACHE=${MPTCPIFY_VM_CACHE:-${XDG_CACHE_HOME:-/var/tmp}/mptcpify-vm}
APTDIR=$CACHE/apt

log() { echo "fetch-kernels: $*" >&2; }
die() { log "error: $*"; exit 1; }

[ $# -gt 0 ] || die "usage: $0 SERIES... (e.g. 6.12 7.2 6.1)"

# --- the mirror URI, read from the machine's own Debian source --------------
host_codename() {
	local c=""
	[ -r /etc/os-release ] && c=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	echo "${c:-bookworm}"
}

mirror_uri() {
	if [ -n "${MPTCPIFY_DEBIAN_MIRROR:-}" ]; then
		echo "$MPTCPIFY_DEBIAN_MIRROR"; return
	fi
	local code f uri
	code=$(host_codename)
	# deb822: the stanza whose Suites lists the codename itself (not
	# CODE-security, whose URI is a different archive).
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		uri=$(awk -v code="$code" '
			function flush() { if (ok && uri != "" && !done) { print uri; done = 1; exit } ok = 0; uri = "" }
			/^[ \t]*$/ { flush(); next }
			/^[ \t]*#/ { next }
			tolower($1) == "uris:" { uri = $2 }
			tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == code) ok = 1 }
			END { flush() }' "$f")
		[ -n "$uri" ] && { echo "$uri"; return; }
	done
	# One-line form: deb [options] URI SUITE COMPONENTS...
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		uri=$(sed -e 's/\[[^]]*\]//' "$f" | awk -v code="$code" \
			'$1 == "deb" && $3 == code { print $2; exit }')
		[ -n "$uri" ] && { echo "$uri"; return; }
	done
	return 1
}

# --- private apt -------------------------------------------------------------
APT_OPTS=(
	-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=/dev/null
	-o Dir::Etc::sourcelist="$APTDIR/sources.list"
	-o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null
	-o Dir::State::Lists="$APTDIR/lists" -o Dir::Cache="$APTDIR/cache"
	# Some images blank pkgcache (docker-clean): without it every apt-cache
	# call re-parses ~60 MB of lists (3 s). Keep ours in our own cache.
	-o Dir::Cache::pkgcache=pkgcache.bin -o Dir::Cache::srcpkgcache=
	-o APT::Architectures::=amd64 -o APT::Architecture=amd64
	-o Acquire::Languages=none
)
# As root apt hands downloads to the _apt user, which can't write our dirs;
# say so up front instead of getting a warning on every run.
[ "$(id -u)" -eq 0 ] && APT_OPTS+=(-o APT::Sandbox::User=root)

write_sources() {
	local uri s tmp
	uri=$(mirror_uri) || {
		log "no Debian source for $(host_codename) in /etc/apt; set MPTCPIFY_DEBIAN_MIRROR"
		return 1
	}
	tmp=$APTDIR/sources.list.tmp
	: >"$tmp"
	for s in $SUITES; do
		echo "deb [signed-by=$KEYRING] $uri $s main" >>"$tmp"
	done
	# Keep the file (and its mtime) when nothing changed: apt rebuilds its
	# package cache (3 s) when the source list looks newer than the cache.
	if cmp -s "$tmp" "$APTDIR/sources.list"; then
		rm -f "$tmp"
	else
		mv "$tmp" "$APTDIR/sources.list"
	fi
}

# Status: 0 lists are fresh, 1 the refresh failed (old lists may remain).
# Once per run: every series uses the same answer.
LISTS_STATE=""
refresh_lists() {
	[ -n "$LISTS_STATE" ] && return "$LISTS_STATE"
	local stamp=$APTDIR/lists/.updated
	mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial"
	LISTS_STATE=1
	[ "${MPTCPIFY_VM_OFFLINE:-0}" = 1 ] && return 1
	write_sources || return 1
	# Fresh enough: updated less than a day ago, from the same sources.
	if [ -e "$stamp" ] && [ -z "$(find "$stamp" -mmin +1440)" ] &&
	   cmp -s "$APTDIR/sources.list" "$APTDIR/lists/.sources"; then
		LISTS_STATE=0; return 0
	fi
	log "refreshing package lists ($SUITES)"
	# --error-on=any: by default a mirror that can't be reached is only a
	# warning, and the run would go on with no lists at all.
	if apt-get "${APT_OPTS[@]}" -qq --error-on=any update >"$APTDIR/update.log" 2>&1; then
		cp "$APTDIR/sources.list" "$APTDIR/lists/.sources"
		touch "$stamp"
		LISTS_STATE=0; return 0
	fi
	log "apt-get update failed (see $APTDIR/update.log)"
	return 1
}

# Newest "linux-image-SERIES.*-cloud-amd64" ABI name, e.g. 6.12.107+deb13-cloud-amd64.
newest_abi() {
	local series=$1 re
	re="^linux-image-${series//./\\.}\\.[0-9][^ ]*-cloud-amd64\$"
	apt-cache "${APT_OPTS[@]}" pkgnames "linux-image-$series." 2>/dev/null |
		grep -E "$re" | sed 's/^linux-image-//' | sort -V | tail -n 1
}

pkg_version() {
	apt-cache "${APT_OPTS[@]}" show "$1" 2>/dev/null | awk '/^Version:/ { print $2; exit }'
}

# --- extraction ----------------------------------------------------------------
# Copy MODULES and their dependencies, decompressed, from an unpacked tree;
# write modules.load in dependency order.
collect_modules() {
	local root=$1 rel=$2 out=$3 src m
	src=$root/lib/modules/$rel
	[ -d "$src" ] || src=$root/usr/lib/modules/$rel
	[ -d "$src" ] || die "no modules directory for $rel"
	# The packages don't ship modules.dep (postinst runs depmod): make it.
	if [ ! -e "$src/modules.dep" ]; then
		if [ "$src" = "$root/usr/lib/modules/$rel" ] && [ ! -e "$root/lib/modules" ]; then
			mkdir -p "$root/lib" && ln -s ../usr/lib/modules "$root/lib/modules"
		fi
		/sbin/depmod -b "$root" "$rel" || die "depmod failed for $rel"
	fi
	mkdir -p "$out/lib/modules/$rel"
	: >"$out/modules.load"
	# modules.dep lines: "kernel/a/x.ko.xz: kernel/b/dep1.ko.xz kernel/c/dep2.ko.xz"
	# where deps are listed innermost last. Emit deps (reversed) then the module,
	# skipping repeats: a topological order good enough for insmod.
	local order
	order=$(for m in $MODULES; do
		if grep -qE "/${m}\\.ko(\\.[a-z]+)?\$" "$src/modules.builtin" 2>/dev/null; then
			log "$rel: $m is built in"
			continue
		fi
		awk -v m="$m" -F: '
			{ n = split($1, p, "/"); b = p[n]; sub(/\.ko(\.[a-z]+)?$/, "", b)
			  gsub(/-/, "_", b) }
			b == m { k = split($2, d, " "); for (i = k; i >= 1; i--) print d[i]; print $1; found = 1; exit }
			END { if (!found) exit 1 }' "$src/modules.dep" ||
			die "$rel: module $m neither built in nor in modules.dep"
	done | awk '!seen[$0]++')
	for m in $order; do
		local plain=${m%.xz}; plain=${plain%.zst}; plain=${plain%.gz}
		mkdir -p "$out/lib/modules/$rel/$(dirname "$plain")"
		case $m in
		*.xz)  xz -dc "$src/$m" >"$out/lib/modules/$rel/$plain" ;;
		*.zst) zstd -qdc "$src/$m" >"$out/lib/modules/$rel/$plain" ;;
		*.gz)  gzip -dc "$src/$m" >"$out/lib/modules/$rel/$plain" ;;
		*)     cp "$src/$m" "$out/lib/modules/$rel/$plain" ;;
		esac
		echo "$plain" >>"$out/modules.load"
	done
}

# Download and unpack one series into $CACHE/kernels/SERIES (atomically).
install_kernel() {
	local series=$1 abi=$2 dest=$3 tmp pkgs p rel vmlinuz
	tmp=$(mktemp -d "$CACHE/kernels/.tmp-$series.XXXXXX")
	trap "rm -rf '$tmp'" EXIT   # runs in a subshell: see ensure_series
	# 7.x splits the kernel (linux-binary) from its modules (linux-modules)
	# and from modules.builtin and config (linux-base); older series ship
	# all of it in linux-image.
	if [ -n "$(pkg_version "linux-binary-$abi")" ]; then
		pkgs="linux-binary-$abi linux-modules-$abi linux-base-$abi"
	else
		pkgs="linux-image-$abi"
	fi
	log "$series: downloading $pkgs"
	mkdir -p "$tmp/debs" "$tmp/root" "$tmp/out"
	(cd "$tmp/debs" && apt-get "${APT_OPTS[@]}" -qq download $pkgs) >&2 ||
		die "$series: apt-get download $pkgs failed"
	for p in "$tmp"/debs/*.deb; do dpkg -x "$p" "$tmp/root"; done
	vmlinuz=$(find "$tmp/root" -type f \( -path '*/boot/vmlinuz-*' -o -path '*/modules/*/vmlinuz' \) | head -n 1)
	[ -n "$vmlinuz" ] || die "$series: no vmlinuz in $pkgs"
	rel=""
	for p in "$tmp"/root/lib/modules/*/ "$tmp"/root/usr/lib/modules/*/; do
		[ -d "$p" ] && { rel=$(basename "$p"); break; }
	done
	[ -n "$rel" ] || die "$series: no modules directory in $pkgs"
	cp "$vmlinuz" "$tmp/out/vmlinuz"
	# The kernel's .config, for whoever wonders what a guest can do.
	for p in "$tmp/root/boot/config-$rel" "$tmp/root/usr/lib/modules/$rel/config"; do
		[ -e "$p" ] && cp "$p" "$tmp/out/config"
	done
	echo "$rel" >"$tmp/out/release"
	for p in $pkgs; do echo "$p $(pkg_version "$p")"; done >"$tmp/out/packages"
	collect_modules "$tmp/root" "$rel" "$tmp/out/modules"
	mv "$tmp/out/modules/modules.load" "$tmp/out/modules.load"
	rm -rf "$dest.old"
	[ -e "$dest" ] && mv "$dest" "$dest.old"
	mv "$tmp/out" "$dest"
	rm -rf "$dest.old"
	log "$series: ready: $rel ($(wc -l <"$dest/modules.load") modules)"
}

ensure_series() {
	local series=$1 dest=$CACHE/kernels/$1 abi want
	# No archive: a cached kernel is as good as it gets (and is what an
	# offline machine wants); without one, the old lists may still do.
	if ! refresh_lists && [ -e "$dest/release" ]; then
		log "$series: offline, using cached $(cat "$dest/release")"
		echo "$dest"; return
	fi
	abi=$(newest_abi "$series")
	if [ -z "$abi" ]; then
		[ -e "$dest/release" ] || die "$series: no linux-image-$series.*-cloud-amd64 in $SUITES (lists in $APTDIR)"
		log "$series: no longer in the archive, using cached $(cat "$dest/release")"
		echo "$dest"; return
	fi
	# Same ABI name and version as cached (and the same cache layout, bumped
	# when this script starts keeping something new): nothing to do.
	want="layout4 linux-image-$abi $(pkg_version "linux-image-$abi")"
	if [ -e "$dest/release" ] && [ "$(cat "$dest/want" 2>/dev/null)" = "$want" ]; then
		echo "$dest"; return
	fi
	# A subshell with its own set -e, so that any failure inside stops the
	# install (an "if" would disable set -e) but not this script.
	local rc=0
	set +e
	(set -e; install_kernel "$series" "$abi" "$dest")
	rc=$?
	set -e
	if [ "$rc" -eq 0 ]; then
		echo "$want" >"$dest/want"
	else
		[ -e "$dest/release" ] || exit 1
		log "$series: download failed, using cached $(cat "$dest/release")"
	fi
	echo "$dest"
}

mkdir -p "$CACHE/kernels" "$APTDIR"
# One fetcher at a time: parallel meson tests share the lists and the cache.
exec 9>"$CACHE/.lock"
flock 9
for s in "$@"; do
	case $s in
	[0-9]*.[0-9]*) ensure_series "$s" ;;
	*) die "bad series '$s' (want MAJOR.MINOR)" ;;
	esac
done
