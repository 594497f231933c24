#!/bin/sh
# Run by the DaemonSet's init container (mptcpify-daemonset.yaml): copies
# mptcpify with the libraries it needs into HOST/opt/mptcpify, so that the
# node runs it whatever its own libraries, and puts the hooks.d file where
# the node's CRI-O reads it.
#   install-on-node.sh HOST
set -eu
host=$1
dest=$host/opt/mptcpify
mkdir -p "$dest/sbin" "$dest/lib"
cp /usr/sbin/mptcpify "$dest/sbin/mptcpify.new"
# Every library, and the dynamic loader, as ldd lists them.
ldd /usr/sbin/mptcpify | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
	while read -r lib; do cp -L "$lib" "$dest/lib/"; done
loader=$(ldd /usr/sbin/mptcpify | awk '$1 ~ /^\// { print $1 }' | head -n1)
[ -n "$loader" ] || { echo "install-on-node: no dynamic loader in ldd's output" >&2; exit 1; }
cat >"$dest/mptcpify.new" <<WRAPPER
#!/bin/sh
exec /opt/mptcpify/lib/${loader##*/} --library-path /opt/mptcpify/lib /opt/mptcpify/sbin/mptcpify "\$@"
WRAPPER
chmod 755 "$dest/mptcpify.new" "$dest/sbin/mptcpify.new"
# Renamed into place: a hook running meanwhile sees the old or the new file.
mv "$dest/sbin/mptcpify.new" "$dest/sbin/mptcpify"
mv "$dest/mptcpify.new" "$dest/mptcpify"
cp /etc/mptcpify-oci-hook/mptcpify.json "$host/usr/share/containers/oci/hooks.d/.mptcpify.json.new"
mv "$host/usr/share/containers/oci/hooks.d/.mptcpify.json.new" \
	"$host/usr/share/containers/oci/hooks.d/mptcpify.json"
echo "install-on-node: hook in place: $("$dest/mptcpify" --version)"
