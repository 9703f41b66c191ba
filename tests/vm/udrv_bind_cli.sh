#!/bin/sh
# udrv-bind's command line, run inside the udrv-vm guest (profile uio: edu on
# uio_pci_generic, no IOMMU, no modprobe modules): output, exit status and
# messages of --status, -b, -u and --help.  Exits with the number of failures.
set -u
n=0
fails=0
check() { # check NAME SHELL-CONDITION
	n=$((n + 1))
	if eval "$2"; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		echo "# out: $out"
		echo "# err: $err"
		fails=$((fails + 1))
	fi
}
run() { # run ARGS...: sets out, err, rc
	out=$(udrv-bind "$@" 2>/tmp/err)
	# shellcheck disable=SC2034 # read in check's eval'd conditions
	rc=$?
	err=$(cat /tmp/err)
}
edu=$UDRV_EDU

run --status
check "--status succeeds" '[ $rc = 0 ] && [ -z "$err" ]'
check "--status has a header" 'echo "$out" | head -n 1 | grep -q "^ADDRESS  *ID  *CLASS  *REV  *DRIVER  *IOMMU  *BACKEND$"'
check "--status shows edu on uio_pci_generic, backend uio" \
	'echo "$out" | grep -q "^$edu  1234:11e8 00ff00 10  uio_pci_generic  *-  *uio$"'
check "--status lists every function" \
	'[ $(echo "$out" | wc -l) = $(($(ls /sys/bus/pci/devices | wc -l) + 1)) ]'

run --status -v -d 1234:11e8
check "-d selects edu only, -v shows its BAR" \
	'[ $(echo "$out" | wc -l) = 3 ] && echo "$out" | grep -q "BAR0  memory, 32-bit at 0x[0-9a-f]*, 1048576 bytes"'
run --status -s "${edu#0000:}"
check "-s selects edu only" '[ $(echo "$out" | wc -l) = 2 ] && echo "$out" | grep -q "^$edu "'
run --status -d ::0200
check "-d by class: no network controller here" '[ $rc = 0 ] && [ $(echo "$out" | wc -l) = 1 ]'

run --status -s 00:20
check "bad slot filter: status 2 and the reason" \
	'[ $rc = 2 ] && echo "$err" | grep -q "^udrv-bind: bad slot filter .00:20.: invalid slot number"'
run --status -d 8086
check "bad id filter: status 2 and the reason" \
	'[ $rc = 2 ] && echo "$err" | grep -q "at least two fields must be given"'

run -u "$edu"
check "-u unbinds" '[ $rc = 0 ] && [ "$out" = "$edu: unbound" ] && [ ! -e /sys/bus/pci/devices/$edu/driver ]'
run --status -s "$edu"
check "--status shows it unbound, backend sysfs" 'echo "$out" | grep -q "^$edu .*  -  *-  *sysfs$"'
run -b uio_pci_generic "${edu#0000:}"
check "-b binds, canonical address, old -> new" \
	'[ $rc = 0 ] && [ "$out" = "$edu: none -> uio_pci_generic" ] && [ "$(cat /sys/bus/pci/devices/$edu/driver_override)" = uio_pci_generic ]'

run -b vfio-pci "$edu"
check "-b vfio-pci without vfio module: status 1, modprobe named" \
	'[ $rc = 1 ] && echo "$err" | grep -q "^udrv-bind: .*modprobe.* vfio-pci"'
check "... and edu stays on uio_pci_generic" \
	'[ "$(basename $(readlink /sys/bus/pci/devices/$edu/driver))" = uio_pci_generic ]'
run -u 00:1e.0 "$edu"
check "a bad address fails the run but the others are done" \
	'[ $rc = 1 ] && echo "$err" | grep -q "0000:00:1e.0: no such PCI device" && [ "$out" = "$edu: unbound" ]'
run -b uio_pci_generic "$edu"

run --help
check "--help: status 0, usage on stdout" '[ $rc = 0 ] && echo "$out" | grep -q "^usage: udrv-bind --status"'
run
check "no arguments: status 2" '[ $rc = 2 ] && echo "$err" | grep -q "exactly one of"'
run -u
check "-u without address: status 2" '[ $rc = 2 ] && echo "$err" | grep -q "no PCI address given"'
run --status "$edu"
check "--status with an address: status 2" '[ $rc = 2 ]'
run -x
check "unknown option: status 2" '[ $rc = 2 ] && echo "$err" | grep -q "udrv-bind --help"'
run -b uio_pci_generic -s 04 "$edu"
check "-s with -b: status 2" '[ $rc = 2 ] && echo "$err" | grep -q "with --status only"'

echo "1..$n"
exit $fails
