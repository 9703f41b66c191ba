#!/bin/sh
# A BAR that a kernel driver has claimed cannot be mapped through sysfs
# (CONFIG_IO_STRICT_DEVMEM, Debian's 6.1 and 6.12 alike): libudrv's message
# names the driver and the unbind command, and that command, run literally,
# makes the BAR readable.  Guest: profile none, a virtio-rng-pci device with
# virtio_pci loaded (built in on 6.12, a module on 6.1).  TAP output.
set -u
n=0
fails=0
check() { # check NAME SHELL-CONDITION
	n=$((n + 1))
	if eval "$2"; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		echo "$err" | sed 's/^/# err: /'
		fails=$((fails + 1))
	fi
}
echo "1..4"
dev=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x1af4:0x1005 ] && dev=${d##*/}
done
drv=$(readlink "/sys/bus/pci/devices/$dev/driver")
err="device ${dev:-none}, driver ${drv:-none}"
check "virtio-rng is bound to virtio-pci" '[ "${drv##*/}" = virtio-pci ]'

# BAR4: virtio's 64-bit prefetchable BAR (common config).
err=$(regdump -s "$dev" --bar 4 --range 0+4 2>&1 >/dev/null)
remedy=$(echo "$err" | sed -n 's/.*unbind it first: //p' | head -n 1)
check "the message names the driver and the command" \
	'echo "$err" | grep -q "its driver virtio-pci has claimed" && [ -n "$remedy" ]'
sh -c "$remedy"
err="remedy: $remedy"
check "the printed command unbinds the device" \
	'[ ! -e "/sys/bus/pci/devices/$dev/driver" ]'
err=$(regdump -s "$dev" --bar 4 --range 0+4 2>&1)
# shellcheck disable=SC2034 # read in check's eval'd condition
rc=$?
check "then BAR4 maps and reads" '[ $rc = 0 ] && echo "$err" | grep -qE "^(0x)?[0-9a-f]{8}"'

echo "# $((n - fails)) passed, $fails failed"
[ $fails = 0 ]
