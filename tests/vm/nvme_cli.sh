#!/bin/sh
# The NVMe example driver (examples/nvme, udrv-nvme) end to end, in the
# profile udrv-vm booted with QEMU's nvme (1b36:0010) bound to its driver,
# a raw image file behind namespace 1 and the kernel's nvme module loaded
# (tests/vm/meson.build: nvme-<profile>):
#   identify; 1000 blocks at random LBAs written and read back; the same
#   with interrupts; data written by udrv-nvme read back through the
#   kernel's nvme driver after a rebind, and the other way; a command
#   timeout recovered by a controller reset; SIGTERM mid-run ends in an
#   orderly shutdown; valgrind (memcheck, fds) over a run, when its files
#   were given with --file.  TAP output.
set -u
n=0 fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { # not_ok NAME OUTPUT
	n=$((n + 1))
	echo "not ok $n - $1"
	echo "$2" | sed 's/^/# /'
	fails=$((fails + 1))
}
check() { # check NAME TEXT COMMAND...: COMMAND exits 0 and prints TEXT
	name=$1 text=$2
	shift 2
	if out=$("$@" 2>&1) && echo "$out" | grep -qF -- "$text"; then
		ok "$name"
		echo "$out" | grep -F -- "$text" | sed 's/^/# /'
	else
		not_ok "$name" "$out"
	fi
}

dev=${UDRV_DEV_1b36_0010:?udrv-vm --bind 1b36:0010 sets it}
sys=/sys/bus/pci/devices/$dev
drv=$(basename "$(readlink "$sys/driver")")
echo "# nvme $dev bound to $drv (profile $UDRV_VM_PROFILE)"

# rebind DRIVER: give the device to DRIVER, wait for its nodes.
rebind() {
	[ -e "$sys/driver" ] && echo "$dev" >"$sys/driver/unbind"
	echo "$1" >"$sys/driver_override"
	echo "$dev" >/sys/bus/pci/drivers_probe
	i=0
	while [ $i -lt 100 ]; do
		cur=$(basename "$(readlink "$sys/driver" 2>/dev/null)")
		if [ "$cur" = "$1" ]; then
			case $1 in
			nvme) [ -b /dev/nvme0n1 ] && return 0 ;;
			*) return 0 ;;
			esac
		fi
		sleep 0.1
		i=$((i + 1))
	done
	echo "rebinding $dev to $1 failed (driver: ${cur:-none})"
	return 1
}

check "identify: QEMU's controller" "model       QEMU NVMe Ctrl" udrv-nvme identify
check "identify --json" '"model": "QEMU NVMe Ctrl"' udrv-nvme --json identify
check "1000 blocks at random LBAs written and read back (polled)" \
	"1000 verified, 0 differ" udrv-nvme check --blocks 1000 --seed 1
# MSI-X on VFIO; INTx on UIO and the stub (QEMU's nvme has no MSI).
check "200 blocks with interrupts" "200 verified, 0 differ" \
	udrv-nvme -v --irq check --blocks 200 --seed 2
out=$(udrv-nvme -v --irq identify 2>&1)
echo "$out" | grep 'completions by' | sed 's/^/# /'
check "read back what write --pattern wrote" "0 differ from pattern 5" \
	sh -c 'udrv-nvme write 4096 300 --pattern 5 && udrv-nvme read 4096 300 --pattern 5'
check "a command timeout recovered by a controller reset" "8 verified" \
	udrv-nvme --timeout-ms 500 recover

# Signals: SIGTERM mid-run stops the workload and shuts the controller down.
udrv-nvme -v perf --time 60 >/tmp/perf.out 2>&1 &
pid=$!
sleep 3
kill -TERM $pid
wait $pid
rc=$?
out=$(cat /tmp/perf.out)
if [ $rc = 143 ] && echo "$out" | grep -qF "controller shut down (CSTS.SHST complete), after a signal"; then
	ok "SIGTERM: orderly shutdown, exit 143"
else
	not_ok "SIGTERM: orderly shutdown, exit 143 (got $rc)" "$out"
fi
check "the controller works after the signal" "wrote 1 block" udrv-nvme write 0 1 --pattern 9

# Cross-checks with the kernel's nvme driver (512-byte blocks: 256 = 128 KiB).
if [ -d /sys/bus/pci/drivers/nvme ]; then
	dd if=/dev/urandom of=/tmp/ours bs=512 count=256 2>/dev/null
	dd if=/dev/urandom of=/tmp/theirs bs=512 count=256 2>/dev/null
	check "udrv-nvme writes 256 blocks at LBA 20000" "wrote 256 block(s)" \
		udrv-nvme write 20000 256 --file /tmp/ours
	if out=$(rebind nvme 2>&1); then
		dd if=/dev/nvme0n1 of=/tmp/kread bs=512 skip=20000 count=256 iflag=direct 2>/dev/null
		if cmp /tmp/ours /tmp/kread; then
			ok "the kernel's nvme driver reads them back byte for byte"
		else
			not_ok "the kernel's nvme driver reads them back byte for byte" "$(cmp -l /tmp/ours /tmp/kread | head)"
		fi
		dd if=/tmp/theirs of=/dev/nvme0n1 bs=512 seek=30000 count=256 oflag=direct conv=fsync 2>/dev/null
		if out=$(rebind "$drv" 2>&1); then
			udrv-nvme read 30000 256 --file /tmp/uread >/dev/null
			if cmp /tmp/theirs /tmp/uread; then
				ok "udrv-nvme reads back what the kernel wrote, byte for byte"
			else
				not_ok "udrv-nvme reads back what the kernel wrote, byte for byte" "$(cmp -l /tmp/theirs /tmp/uread | head)"
			fi
		else
			not_ok "rebind to $drv" "$out"
		fi
	else
		not_ok "rebind to the kernel's nvme driver" "$out"
	fi
else
	echo "ok $((n = n + 1)) - # SKIP kernel cross-check: no nvme module (udrv-vm --load nvme)"
fi

# valgrind: memory errors, leaks and fds left open over identify + check.
if [ -x /udrv/files/valgrind.bin ] && [ -e /udrv/files/memcheck-amd64-linux ]; then
	# memcheck needs ld.so's symbols: its detached debug file (libc6-dbg), named
	# as ld.so's .gnu_debuglink says, beside ld.so is one place it looks.
	for f in /udrv/files/*.debug; do
		[ -e "$f" ] && for d in /lib64 /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu; do
			[ -d $d ] && cp "$f" $d/
		done
	done
	check "valgrind: no leak, no error, no fd left open" "ERROR SUMMARY: 0 errors" \
		env VALGRIND_LIB=/udrv/files /udrv/files/valgrind.bin --error-exitcode=99 \
		--leak-check=full --errors-for-leak-kinds=definite,indirect --track-fds=yes \
		udrv-nvme check --blocks 20 --seed 3
	case $out in
	*"FILE DESCRIPTORS: 4 open"*|*"FILE DESCRIPTORS: 3 open"*) ok "valgrind: only stdio open at exit" ;;
	*) not_ok "valgrind: only stdio open at exit" "$(echo "$out" | grep -A3 'FILE DESCRIPTORS')" ;;
	esac
else
	echo "ok $((n = n + 1)) - # SKIP valgrind: its files were not given with --file"
fi

echo "1..$n"
[ "$fails" = 0 ]
