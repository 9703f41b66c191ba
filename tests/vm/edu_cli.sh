#!/bin/sh
# The edu example driver end to end, in whatever profile udrv-vm booted:
# identity, factorial by polling and by interrupt, 1000 interrupts counted,
# DMA round trips of several sizes and offsets, and its argument errors.
# TAP output.
set -u
n=0 fails=0
check() { # check NAME COMMAND...: passes when COMMAND exits 0
	name=$1
	shift
	n=$((n + 1))
	if out=$("$@" 2>&1); then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		echo "$out" | sed 's/^# /#/; s/^/# /'
		fails=$((fails + 1))
	fi
}
fails_with() { # fails_with NAME TEXT COMMAND...: COMMAND must fail and print TEXT
	name=$1 text=$2
	shift 2
	n=$((n + 1))
	if out=$("$@" 2>&1); then
		echo "not ok $n - $name (succeeded)"
		fails=$((fails + 1))
	elif echo "$out" | grep -qF -- "$text"; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		echo "$out" | sed 's/^/# /'
		fails=$((fails + 1))
	fi
}

# uio_pci_generic DMA buffers are huge pages.
echo 32 >/proc/sys/vm/nr_hugepages
s=$UDRV_EDU
echo "1..12"
check "info" edu -s "$s" info
check "fact 12 by polling" edu -s "$s" fact 12
check "fact 13 by interrupt" edu -s "$s" fact 13 --irq
check "1000 interrupts" sh -c "edu -s $s irq --count 1000 | grep -qx '1000 interrupts raised, 1000 received'"
check "dma 4095 bytes at offset 0" edu -s "$s" dma --size 4095 --count 3
check "dma 1 byte at the end of 2 pages" edu -s "$s" dma --size 1 --offset 8191
check "dma 777 bytes at offset 1001, by interrupt" edu -s "$s" dma --size 777 --offset 1001 --irq
fails_with "dma size 4096 refused" "--size: 1 to 4095 bytes" edu -s "$s" dma --size 4096
fails_with "fact without N" "fact takes one number" edu -s "$s" fact
fails_with "unknown command" "unknown command" edu -s "$s" frobnicate
fails_with "bad backend" "--backend: vfio, uio, stub or sysfs" edu -s "$s" -b nvme info
fails_with "no such device" "no such PCI device" edu -s 0000:00:1f.7 info
echo "# $((n - fails)) passed, $fails failed"
[ $fails = 0 ]
