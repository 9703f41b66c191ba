#!/bin/sh
# The edu example driver end to end, in whatever profile udrv-vm booted:
# identity, factorial by polling and by interrupt, 1000 interrupts counted,
# DMA round trips of several sizes and offsets, the address chain `explain`
# prints checked against the guest's own /proc/iomem and sysfs, and its
# argument errors.  TAP output.
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

# field SECTION LABEL: VALUE of the line "  LABEL : VALUE" in the section of
# $ex (edu explain's output) whose title starts with SECTION.
field() {
	echo "$ex" | awk -v sec="$1" -v key="$2" '
		/^[^ ]/ { in_sec = index($0, sec) == 1; next }
		in_sec { i = index($0, ": "); l = substr($0, 1, i - 1); gsub(/^ +| +$/, "", l)
			 if (l == key) { print substr($0, i + 2); exit } }'
}
first_hex() { echo "$1" | grep -o '0x[0-9a-f]*' | head -1; }
in_ram() { # in_ram ADDR: ADDR lies in a System RAM range of /proc/iomem
	sed -n 's/^ *\([0-9a-f]*\)-\([0-9a-f]*\) : System RAM$/\1 \2/p' /proc/iomem |
		while read -r a b; do
			[ $(($1)) -ge $((0x$a)) ] && [ $(($1)) -le $((0x$b)) ] && echo yes
		done | grep -q yes
}
# edu explain's chain, checked with what the guest itself says: BAR0's
# physical address is its sysfs start, inside its /proc/iomem entry; the DMA
# buffer's device address is its physical address (uio), lies in System RAM
# with no IOMMU (stub: pagemap cannot see dma-bufs), or is an IOVA that
# differs from it (vfio); the bytes the device wrote are the ones sent.
explain_chain() {
	ex=$(edu -s "$s" explain) || { echo "$ex"; return 1; }
	echo "$ex"
	bar=$(first_hex "$(field BAR0 physical)")
	# shellcheck disable=SC2046 # the two bounds, split on purpose
	set -- $(sed -n "s/^ *\([0-9a-f]*\)-\([0-9a-f]*\) : $s\$/\1 \2/p" /proc/iomem)
	res=$(head -1 "/sys/bus/pci/devices/$s/resource" | cut -d' ' -f1)
	[ -n "$bar" ] && [ $# = 2 ] && [ $((bar)) -ge $((0x$1)) ] && [ $((bar)) -le $((0x$2)) ] &&
		[ $((bar)) = $((res)) ] || { echo "BAR0 at $bar: not $res, or outside iomem ${1:-?}-${2:-?}"; return 1; }
	bus=$(first_hex "$(field 'DMA buffer' 'device address')")
	pa=$(field 'DMA buffer' 'first page' | sed -n 's/.*physical \(0x[0-9a-f]*\).*/\1/p')
	case $UDRV_VM_PROFILE in
	uio) [ -n "$bus" ] && [ "$bus" = "$pa" ] || { echo "device address $bus is not physical $pa"; return 1; } ;;
	stub) [ ! -e "/sys/bus/pci/devices/$s/iommu_group" ] && in_ram "$bus" ||
		{ echo "device address $bus: an IOMMU group, or not in System RAM"; return 1; } ;;
	vfio) [ -n "$pa" ] && [ -n "$bus" ] && [ "$bus" != "$pa" ] ||
		{ echo "IOVA $bus should differ from physical $pa"; return 1; } ;;
	*) echo "unknown profile $UDRV_VM_PROFILE"; return 1 ;;
	esac
	sent=$(field 'DMA through' 'CPU wrote' | cut -d: -f2)
	[ -n "$sent" ] && [ "$sent" = "$(field 'DMA through' 'CPU read' | cut -d: -f2)" ] ||
		{ echo "the bytes read back differ from those sent"; return 1; }
}

# uio_pci_generic DMA buffers are huge pages.
echo 32 >/proc/sys/vm/nr_hugepages
s=$UDRV_EDU
echo "1..13"
check "info" edu -s "$s" info
check "fact 12 by polling" edu -s "$s" fact 12
check "fact 13 by interrupt" edu -s "$s" fact 13 --irq
check "1000 interrupts" sh -c "edu -s $s irq --count 1000 | grep -qx '1000 interrupts raised, 1000 received'"
check "dma 4095 bytes at offset 0" edu -s "$s" dma --size 4095 --count 3
check "dma 1 byte at the end of 2 pages" edu -s "$s" dma --size 1 --offset 8191
check "dma 777 bytes at offset 1001, by interrupt" edu -s "$s" dma --size 777 --offset 1001 --irq
check "explain: the address chain agrees with /proc/iomem and sysfs" explain_chain
fails_with "dma size 4096 refused" "--size: 1 to 4095 bytes" edu -s "$s" dma --size 4096
fails_with "fact without N" "fact takes one number" edu -s "$s" fact
fails_with "unknown command" "unknown command" edu -s "$s" frobnicate
fails_with "bad backend" "--backend: vfio, uio, stub or sysfs" edu -s "$s" -b nvme info
fails_with "no such device" "no such PCI device" edu -s 0000:00:1f.7 info
echo "# $((n - fails)) passed, $fails failed"
[ $fails = 0 ]
