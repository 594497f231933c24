#!/bin/bash
# check-groups.sh GROUP,GROUP... CASES-DIR: every case file's "# boot:"
# group is one that CI boots (tests/vm/meson.build's vm_groups). A file in
# a group nobody boots would never run, and nothing else would say so.
set -u
groups=",$1," dir=$2 n=0 bad=0
for f in "$dir"/*.sh; do
	n=$((n + 1))
	g=$(sed -n 's/^#[ \t]*boot:[ \t]*\([A-Za-z0-9_-]*\).*/\1/p' "$f" | tail -n 1)
	g=${g:-a}
	case $groups in
	*",$g,"*) echo "ok $n - ${f##*/}: group $g" ;;
	*) echo "not ok $n - ${f##*/}: group '$g' is not booted (vm_groups: ${1})"; bad=1 ;;
	esac
done
echo "1..$n"
exit $bad
