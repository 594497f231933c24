#!/bin/bash
# fuzz-run.sh SECONDS BUILD_DIR SOURCE_DIR NAME:CORPUS:DICT...
#
# Runs every libFuzzer harness at the same time for SECONDS and reports one
# TAP line each: runs done, and "not ok" with the crash file when libFuzzer
# stopped on a crash, a leak, a timeout or a failed check. New inputs go to
# BUILD_DIR/corpus-NAME; the seeds in SOURCE_DIR/corpus/CORPUS are only read.
set -u
secs=$1 build=$2 src=$3
shift 3

echo "1..$#"
declare -A pid log
for spec in "$@"; do
	IFS=: read -r name corpus dict <<<"$spec"
	mkdir -p "$build/corpus-$name"
	rm -f "$build/$name-crash-"* "$build/$name-leak-"* "$build/$name-timeout-"* \
		"$build/$name-oom-"* "$build/$name-slow-unit-"*
	log[$name]=$build/$name.log
	# close_fd_mask=3: the harness's own output (usage errors, help) would
	# dominate the run; libFuzzer's report still reaches the log.
	"$build/$name" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-close_fd_mask=3 -print_final_stats=1 \
		-dict="$src/$dict" -artifact_prefix="$build/$name-" \
		"$build/corpus-$name" "$src/corpus/$corpus" >"${log[$name]}" 2>&1 &
	pid[$name]=$!
done

n=0 bad=0
for spec in "$@"; do
	name=${spec%%:*}
	n=$((n + 1))
	wait "${pid[$name]}"
	rc=$?
	runs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 runs in \2 s/p' "${log[$name]}" | tail -n1)
	corpus=$(ls "$build/corpus-$name" | wc -l)
	artifact=$(ls "$build/$name-"{crash,leak,timeout,oom}-* 2>/dev/null | head -n1)
	if [ "$rc" -eq 0 ] && [ -z "$artifact" ] && [ -n "$runs" ]; then
		echo "ok $n - $name: $runs, 0 crashes, $corpus new corpus files"
	else
		bad=$((bad + 1))
		echo "not ok $n - $name: exit $rc${artifact:+, input $artifact}" \
			"(reproduce: $build/$name-replay ${artifact:-FILE})"
		tail -n 30 "${log[$name]}" | sed 's/^/# /'
	fi
done
[ "$bad" -eq 0 ]
