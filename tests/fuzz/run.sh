#!/bin/sh
# Fuzz regdump's description parser and range syntax with libFuzzer (clang
# -fsanitize=fuzzer,address,undefined), each for $FUZZ_SECONDS (default 60),
# starting from tests/fuzz/seeds and the shipped maps (copied: the seeds
# stay unchanged).  Crashes land in OUTDIR as crash-*.
# `meson compile -C build fuzz` runs it (OUTDIR: build/fuzz, outside the
# tools/ and tests/ dirs whose executables udrv-vm copies into the guest).
# Usage: run.sh SOURCE_ROOT OUTDIR
set -eu
src=$1
out=$2
secs=${FUZZ_SECONDS:-60}
cc=${FUZZ_CC:-clang}
if ! command -v "$cc" >/dev/null 2>&1; then
	echo "fuzz: $cc not found: apt-get install clang (libFuzzer comes with it)" >&2
	exit 1
fi
mkdir -p "$out"
r=$src/tools/regdump
flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -D_GNU_SOURCE"
# shellcheck disable=SC2086 # flags are words
"$cc" $flags -o "$out/fuzz_map" "$src/tests/fuzz/fuzz_map.c" "$r/map.c" "$r/decode.c" "$r/dump.c"
# shellcheck disable=SC2086
"$cc" $flags -o "$out/fuzz_range" "$src/tests/fuzz/fuzz_range.c" "$r/range.c"
status=0
for t in map range; do
	rm -rf "$out/corpus_$t"
	cp -r "$src/tests/fuzz/seeds/$t" "$out/corpus_$t"
	[ $t = range ] || cp "$r"/maps/*.map "$out/corpus_$t/"
	echo "fuzz: $t for ${secs}s"
	(cd "$out" && "./fuzz_$t" -max_total_time="$secs" -max_len=4096 -print_final_stats=1 \
		"corpus_$t") >"$out/fuzz_$t.log" 2>&1 || status=1
	tail -n 12 "$out/fuzz_$t.log" | grep -E 'stat::number_of_executed_units|Done|ERROR|SUMMARY' || true
done
[ $status = 0 ] && echo "fuzz: no crash" || echo "fuzz: FAILED, see $out/fuzz_*.log and $out/crash-*" >&2
exit $status
