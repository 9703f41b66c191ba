#!/bin/sh
# regdump's config space dumps against lspci, byte for byte, for every PCI
# function of the udrv-vm guest, whatever it is bound to.  Run in the guest
# with lspci and pci.ids copied in (udrv-vm --file /usr/bin/lspci --file
# /usr/share/misc/pci.ids).  Exits with the number of failures.
set -u
ids=/udrv/files/pci.ids
lspci=/udrv/files/lspci
n=0
fails=0
check() { # check NAME ARGS...: lspci ARGS vs regdump ARGS
	name=$1
	shift
	n=$((n + 1))
	"$lspci" -i "$ids" "$@" >/tmp/want 2>/tmp/want.err
	regdump -i "$ids" "$@" >/tmp/got 2>/tmp/got.err
	if cmp -s /tmp/want /tmp/got && [ -s /tmp/want ] && cmp -s /tmp/want.err /tmp/got.err; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		diff /tmp/want /tmp/got | head -n 10 | sed 's/^/# /'
		sed 's/^/# lspci stderr: /' /tmp/want.err
		sed 's/^/# regdump stderr: /' /tmp/got.err
		fails=$((fails + 1))
	fi
}

devs=$(ls /sys/bus/pci/devices)
[ -n "$devs" ] || { echo "not ok - no PCI functions"; exit 1; }
for d in $devs; do
	drv=$(basename "$(readlink /sys/bus/pci/devices/$d/driver 2>/dev/null)" 2>/dev/null)
	for x in -x -xxx -xxxx; do
		check "$x $d (driver ${drv:-none})" $x -s "$d"
	done
done
for x in -x -xx -xxx -xxxx; do
	check "$x, every function at once" $x
done
check "-D -x" -D -x
check "no -x: the one-line list" -s "${UDRV_EDU#0000:}"
check "-d by id" -xxx -d 1234:11e8
check "-d by class" -x -d ::0600
check "-s by slot only" -x -s 0
# Not root: lspci and regdump both get the 64 bytes the kernel gives.
grep -q '^nobody:' /etc/passwd 2>/dev/null || echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>/etc/passwd
for x in -x -xxx -xxxx; do
	n=$((n + 1))
	su -s /bin/sh nobody -c "$lspci -i $ids $x" >/tmp/want 2>&1
	su -s /bin/sh nobody -c "/udrv/bin/regdump -i $ids $x" >/tmp/got 2>&1
	if cmp -s /tmp/want /tmp/got && grep -q '^30: ' /tmp/want && ! grep -q '^40: ' /tmp/want; then
		echo "ok $n - $x as an unprivileged user: 64 bytes each"
	else
		echo "not ok $n - $x as an unprivileged user"
		diff /tmp/want /tmp/got | head -n 10 | sed 's/^/# /'
		head -n 3 /tmp/want | sed 's/^/# lspci: /'
		fails=$((fails + 1))
	fi
done
echo "# $n checks, $fails failed"
exit $fails
