#!/bin/sh
# VFIO's two ways besides type1 (issue #21), on the debug kernel (the only
# one with CONFIG_IOMMUFD, CONFIG_VFIO_DEVICE_CDEV and CONFIG_VFIO_NOIOMMU):
#   vfio_modes.sh iommufd   profile vfio: edu (and an nvme) on vfio-pci behind
#                           the IOMMU, reached through /dev/iommu + the cdev
#   vfio_modes.sh noiommu   profile none, vfio.enable_unsafe_noiommu_mode=1,
#                           no IOMMU: this script binds edu to vfio-pci
# In both, with no option in the programs: udrv-bind --status and edu info
# name the mode, edu's factorial by MSI, 1000 interrupts, DMA round trips,
# and the vm_access, vm_irq, vm_dma tests and the tutorial in profile vfio;
# iommufd also NVMe identify.  TAP output.
set -u
mode=$1
n=0 fails=0
check() { # check NAME COMMAND...: passes when COMMAND exits 0
	name=$1
	shift
	n=$((n + 1))
	if out=$("$@" 2>&1); then
		echo "ok $n - $name"
		echo "$out" | grep '^# ' | sed 's/^# /#   /'
	else
		echo "not ok $n - $name"
		echo "$out" | sed 's/^# /#/; s/^/# /'
		fails=$((fails + 1))
	fi
}
prints() { # prints NAME TEXT COMMAND...: COMMAND exits 0 and prints TEXT
	name=$1 text=$2
	shift 2
	n=$((n + 1))
	if out=$("$@" 2>&1) && echo "$out" | grep -qF -- "$text"; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name (wanted: $text)"
		echo "$out" | sed 's/^/# /'
		fails=$((fails + 1))
	fi
}

s=$UDRV_EDU
echo 32 >/proc/sys/vm/nr_hugepages
case $mode in
iommufd) echo "1..15" ;;
noiommu) echo "1..14" ;;
*) echo "Bail out! usage: vfio_modes.sh iommufd|noiommu"; exit 1 ;;
esac

if [ "$mode" = noiommu ]; then
	prints "no-IOMMU mode is on, there is no IOMMU" "Y" \
		sh -c '[ ! -e /sys/bus/pci/devices/'"$s"'/iommu_group ] &&
		       cat /sys/module/vfio/parameters/enable_unsafe_noiommu_mode'
	prints "udrv-bind -b vfio-pci says the device will use noiommu" \
		"-> vfio-pci (udrv_open() uses vfio/noiommu)" udrv-bind -b vfio-pci "$s"
	prints "vfio-pci made a no-IOMMU group" "noiommu-" ls /dev/vfio
else
	prints "iommufd: /dev/iommu and the device cdev" "vfio" \
		sh -c "[ -c /dev/iommu ] && ls /sys/bus/pci/devices/$s/vfio-dev && ls /dev/vfio/devices"
fi
prints "udrv-bind --status: edu's backend is vfio/$mode" "vfio-pci         " \
	sh -c "udrv-bind --status -s ${s#0000:} | grep ' vfio/$mode\$'"
prints "edu info says vfio/$mode" "edu $s via vfio/$mode" edu -s "$s" info
prints "edu fact 12 by MSI interrupt" "479001600" edu -s "$s" fact 12 --irq
prints "1000 interrupts counted" "1000 interrupts raised, 1000 received" \
	edu -s "$s" irq --count 1000
prints "edu DMA 4095 bytes x 20 round trips" "20 DMA round trip(s) of 4095 bytes" \
	edu -s "$s" dma --size 4095 --count 20
# The library's own tests, as in profile vfio (the mode is the default's).
for t in access irq dma; do
	check "vm_$t through vfio/$mode" env UDRV_VM_PROFILE=vfio "vm_$t"
done
check "tutorial steps 1-4 through vfio/$mode" env UDRV_VM_PROFILE=vfio sh /udrv/files/tutorial.sh
# Forcing the other way is refused with a reason.
if [ "$mode" = noiommu ]; then
	prints "a forced iommufd is refused on a no-IOMMU group" "no-IOMMU group" \
		sh -c "! vfio_mode_check $s iommufd"
	prints "vfio_mode_check: 4 KiB and 2 MiB round trips, 28-bit mask" "noiommu: ok" \
		vfio_mode_check "$s" noiommu
else
	prints "a forced noiommu is refused behind an IOMMU" "an IOMMU translates" \
		sh -c "! vfio_mode_check $s noiommu"
	prints "vfio_mode_check: 4 KiB and 2 MiB round trips, 28-bit mask" "iommufd: ok" \
		vfio_mode_check "$s" iommufd
	prints "the same program forced to type1 on the same kernel" "type1: ok" \
		vfio_mode_check "$s" type1
fi
if [ "$mode" = iommufd ]; then
	nvme=${UDRV_DEV_1b36_0010:-}
	prints "NVMe identify through iommufd" "model       QEMU NVMe Ctrl" \
		udrv-nvme -s "$nvme" identify
	# The bench row: map+unmap through iommufd and type1, side by side.
	n=$((n + 1))
	if out=$(vfio_mode_check "$s" iommufd --bench 2>&1); then
		echo "ok $n - bench: iommufd and type1 map+unmap, 4 KiB and 2 MiB"
	else
		echo "not ok $n - bench: iommufd and type1 map+unmap"
		fails=$((fails + 1))
	fi
	echo "$out" | sed 's/^/# /'
fi
echo "# $((n - fails)) passed, $fails failed"
[ $fails = 0 ]
