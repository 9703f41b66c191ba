#!/bin/sh
# The MMIO accessors must cost nothing: compile mmio_codegen.c at -O2 and
# check that every lib_* function disassembles to exactly the instructions
# of its raw_* twin.  Usage: mmio_codegen.sh CC INCLUDE_DIR SRC
set -eu
cc=$1 inc=$2 src=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
$cc -O2 -std=gnu11 -I"$inc" -c "$src" -o "$tmp/m.o"
objdump -d --no-show-raw-insn "$tmp/m.o" >"$tmp/dis"

body() { # instructions of function $1 up to its ret (not the padding), without addresses
	awk -v f="<$1>:" '$2 == f { on = 1; next } on && /^$/ { exit } on { sub(/^ *[0-9a-f]+:\t/, ""); print; if ($1 == "ret") exit }' "$tmp/dis"
}

fail=0 n=0
for op in read write; do
	for bits in 8 16 32 64; do
		n=$((n + 1))
		body "lib_$op$bits" >"$tmp/lib"
		body "raw_$op$bits" >"$tmp/raw"
		if [ -s "$tmp/lib" ] && cmp -s "$tmp/lib" "$tmp/raw"; then
			echo "ok $n - udrv_$op$bits == raw volatile: $(tr '\n' ';' <"$tmp/lib")"
		else
			echo "not ok $n - udrv_$op$bits differs from raw volatile access"
			diff "$tmp/raw" "$tmp/lib" | sed 's/^/# /'
			fail=1
		fi
	done
done
echo "1..$n"
exit $fail
