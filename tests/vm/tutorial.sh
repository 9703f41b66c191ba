#!/bin/sh
# The tutorial's programs (examples/tutorial, docs/tutorial.md), steps 1 to 4,
# in whatever profile udrv-vm booted: each must exit 0 and print the lines
# the tutorial shows; step 1 must report a nonexistent address, a malformed
# one and a missing one, and (uio) step 4 must say how to get huge pages
# when there are none.  In profile none (no driver, the sysfs backend) steps
# 1 and 2 must work and steps 3 and 4 stop at interrupts, naming the drivers
# that have them.  TAP output.
set -u
n=0 fails=0
# prints NAME STATUS WANTED COMMAND...: COMMAND exits with STATUS and prints
# a line containing WANTED (stdout and stderr together).
prints() {
	name=$1 status=$2 wanted=$3
	shift 3
	n=$((n + 1))
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" = "$status" ] && echo "$out" | grep -qF -- "$wanted"; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name (exit $rc, wanted $status and: $wanted)"
		echo "$out" | sed 's/^/# /'
		fails=$((fails + 1))
	fi
}

s=$UDRV_EDU
p=$UDRV_VM_PROFILE
fact12=1
for i in 2 3 4 5 6 7 8 9 10 11 12; do fact12=$((fact12 * i)); done
inverse=$(printf '0x%08x' $((~0x12345678 & 0xffffffff)))
kind=msi
[ "$p" = uio ] && kind=intx # uio_pci_generic has INTx only
backend=$p
[ "$p" = none ] && backend=sysfs

if [ "$p" = none ]; then echo "1..10"; else echo "1..12"; fi
prints "step 1 opens through $backend" 0 "$s: opened through $backend" tutorial_step1 "$s"
prints "step 1 reads the identity" 0 "ident 0x010000ed: edu version 1.0" tutorial_step1 "$s"
prints "step 1 explains a nonexistent address" 1 "no such PCI device" tutorial_step1 0000:00:1f.7
prints "step 1 explains a malformed address" 1 \
	"'zz' is not a PCI address: expected [[domain:]bus:]slot.func" tutorial_step1 zz
prints "step 1 without an address" 2 "usage: tutorial_step1 PCI-ADDRESS" tutorial_step1
prints "step 2 maps BAR0" 0 "BAR0: 1024 KiB mapped" tutorial_step2 "$s"
prints "step 2 liveness" 0 "wrote 0x12345678, read $inverse" tutorial_step2 "$s"
prints "step 2 12! by polling" 0 "12! = $fact12 by polling: ok" tutorial_step2 "$s"
if [ "$p" = none ]; then
	noirq="the sysfs backend delivers no interrupts (bind the device to vfio-pci, udrv_stub or uio_pci_generic)"
	prints "step 3 stops: sysfs has no interrupts" 1 "enabling interrupts: $s: $noirq" \
		tutorial_step3 "$s"
	prints "step 4 stops: sysfs has no interrupts" 1 "enabling interrupts: $s: $noirq" \
		tutorial_step4 "$s"
	echo "# $((n - fails)) passed, $fails failed"
	[ $fails = 0 ]
	exit
fi
prints "step 3 interrupt kind" 0 "interrupts: $kind" tutorial_step3 "$s"
prints "step 3 1! to 12! by interrupt" 0 "each checked: 12! = $fact12" tutorial_step3 "$s"
if [ "$p" = uio ]; then
	echo 0 >/proc/sys/vm/nr_hugepages
	prints "step 4 without huge pages says what to do" 1 "/proc/sys/vm/nr_hugepages" \
		tutorial_step4 "$s"
else
	prints "step 4 interrupt kind" 0 "interrupts: $kind" tutorial_step4 "$s"
fi
# uio_pci_generic DMA buffers are huge pages.
echo 32 >/proc/sys/vm/nr_hugepages
prints "step 4 DMA round trip" 0 "4095 bytes RAM -> device -> RAM by DMA: identical" \
	tutorial_step4 "$s"
echo "# $((n - fails)) passed, $fails failed"
[ $fails = 0 ]
