#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build udrv_stub.ko out of the source tree (used by kmod/meson.build and
# scripts/kmod-check; tests/vm/meson.build builds tests/vm/fault with it).
#
#   kmod/build.sh [--copy-to=FILE] SRC_DIR OUT_DIR KDIR [make arguments, e.g. W=1 C=1]
#
# Copies the sources from SRC_DIR into OUT_DIR (only files whose content
# changed, so Kbuild's own dependency tracking keeps working) and runs
# make -C KDIR M=OUT_DIR modules there.  The output, which is long, goes to
# OUT_DIR/build.log and is shown only if the build fails.  --copy-to also
# copies the module built (udrv_stub.ko, or the one SRC_DIR's Kbuild makes)
# to FILE.
set -eu

copy_to=
case ${1:-} in
--copy-to=*) copy_to=${1#--copy-to=}; shift ;;
esac

if [ $# -lt 3 ]; then
	echo "usage: $0 [--copy-to=FILE] SRC_DIR OUT_DIR KDIR [make args]" >&2
	exit 2
fi
src=$1
out=$2
kdir=$3
shift 3

mkdir -p "$out"
out=$(cd "$out" && pwd)

for f in "$src"/*.c "$src"/*.h "$src"/Kbuild "$src"/Makefile; do
	[ -f "$f" ] || continue
	dst=$out/${f#"$src"/}
	cmp -s "$f" "$dst" || cp "$f" "$dst"
done
# The UAPI header shared with libudrv (<linux/udrv_stub.h>), if SRC_DIR is
# kmod/ of the source tree: into the copy's include/uapi, where Kbuild looks.
for f in "$src"/../include/uapi/linux/*.h; do
	[ -f "$f" ] || continue
	mkdir -p "$out/include/uapi/linux"
	dst=$out/include/uapi/linux/${f##*/}
	cmp -s "$f" "$dst" || cp "$f" "$dst"
done

log=$out/build.log
if ! make -C "$kdir" M="$out" "$@" modules >"$log" 2>&1; then
	cat "$log" >&2
	echo "build.sh: building udrv_stub.ko against $kdir failed" >&2
	exit 1
fi
if [ -n "$copy_to" ]; then
	set -- "$out"/*.ko
	if [ $# != 1 ] || [ ! -f "$1" ]; then
		echo "build.sh: expected one module in $out, found: $*" >&2
		exit 1
	fi
	cp "$1" "$copy_to"
fi
