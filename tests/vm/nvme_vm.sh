#!/bin/sh
# Boot a udrv-vm guest with QEMU's nvme (1b36:0010) backed by a fresh raw
# image, and run COMMAND in it.  The image is a sparse temporary file
# (64 MiB), removed afterwards; --load nvme gives the guest the kernel's
# driver for the cross-checks; valgrind's memcheck files (and ld.so's
# detached symbols, which memcheck needs) are copied in when the host has
# them (valgrind, libc6-dbg).
# Usage: nvme_vm.sh UDRV_VM [UDRV_VM OPTIONS...] -- COMMAND [ARGS...]
set -eu
vm=$1
shift
img=$(mktemp "${TMPDIR:-/tmp}/udrv-nvme.XXXXXX")
trap 'rm -f "$img"' EXIT INT TERM
truncate -s 64M "$img"

set -- --qemu-arg=-drive --qemu-arg="file=$img,if=none,id=nd,format=raw" \
	--qemu-arg=-device --qemu-arg=nvme,serial=udrv,drive=nd \
	--bind 1b36:0010 --load nvme "$@"

vgdir=/usr/libexec/valgrind
ldso=/lib64/ld-linux-x86-64.so.2
if [ -x /usr/bin/valgrind.bin ] && [ -e $vgdir/memcheck-amd64-linux ] &&
	command -v readelf >/dev/null; then
	id=$(readelf -n $ldso | sed -n 's/.*Build ID: *//p')
	dbg=/usr/lib/debug/.build-id/$(echo "$id" | cut -c1-2)/$(echo "$id" | cut -c3-).debug
	if [ -e "$dbg" ]; then
		set -- --file /usr/bin/valgrind.bin --file $vgdir/memcheck-amd64-linux \
			--file $vgdir/vgpreload_core-amd64-linux.so \
			--file $vgdir/vgpreload_memcheck-amd64-linux.so \
			--file $vgdir/default.supp --file "$dbg" "$@"
	else
		echo "# valgrind in the guest skipped: no $dbg (apt-get install libc6-dbg)"
	fi
else
	echo "# valgrind in the guest skipped: no valgrind (apt-get install valgrind)"
fi
"$vm" "$@"
