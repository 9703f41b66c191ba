#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Print the kernel build tree udrv_stub.ko is built against.
#
#   kmod/kdir.sh [UDRV_VM]
#
# With UDRV_VM (path to tools/udrv-vm): the headers of the kernel the QEMU
# guest boots, /lib/modules/$(udrv-vm --print-kernel --headers)/build.
# Without it (script not there): the newest /lib/modules/*/build that has
# a Makefile.  Exits 1, with the reason on stderr, if there is none.
set -u

vm=${1:-}

if [ -n "$vm" ]; then
	if ! ver=$("$vm" --print-kernel --headers); then
		echo "kdir.sh: $vm --print-kernel --headers failed" >&2
		exit 1
	fi
	case $ver in
	/*) kdir=$ver ;;
	*) kdir=/lib/modules/$ver/build ;;
	esac
	if [ ! -f "$kdir/Makefile" ]; then
		echo "kdir.sh: $kdir/Makefile does not exist" >&2
		exit 1
	fi
	echo "$kdir"
	exit 0
fi

kdir=$(for m in /lib/modules/*/build/Makefile; do
	[ -f "$m" ] && echo "${m%/Makefile}"
done | sort -V | tail -n 1)
if [ -z "$kdir" ]; then
	echo "kdir.sh: no /lib/modules/*/build/Makefile (install linux-headers-amd64)" >&2
	exit 1
fi
echo "$kdir"
