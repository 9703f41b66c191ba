#!/bin/sh
# regdump on edu's registers, inside the udrv-vm guest, in whichever profile
# (access path) the guest was booted with: dumps, single registers, writes,
# the edu and pci-config maps, read-side-effect registers and errors.  Run
# with the maps copied in (udrv-vm --file tools/regdump/maps/edu.map --file
# tools/regdump/maps/pci-config.map).  Exits with the number of failures.
set -u
n=0
fails=0
maps=/udrv/files
edu=$UDRV_EDU
check() { # check NAME SHELL-CONDITION
	n=$((n + 1))
	if eval "$2"; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		echo "$out" | head -n 20 | sed 's/^/# out: /'
		echo "$err" | sed 's/^/# err: /'
		echo "# rc: $rc"
		fails=$((fails + 1))
	fi
}
run() { # run ARGS...: sets out, err, rc
	out=$(regdump "$@" 2>/tmp/err)
	rc=$?
	err=$(cat /tmp/err)
}
line() { echo "$out" | grep -c "$1"; }

echo "# profile ${UDRV_VM_PROFILE:-?}, edu at $edu"
run -s "$edu" --bar 0 --reg 0
check "--reg 0: ident, devmem style" '[ $rc = 0 ] && [ "$out" = 0x010000ed ] && [ -z "$err" ]'
run -s "$edu" --bar 0 --range 0x00+4
check "--range 0+4: one register" '[ $rc = 0 ] && [ "$out" = 0x010000ed ]'
run -s "$edu" --bar 0 --write 4=0x12345678
check "--write: liveness reads back inverted" \
	'[ $rc = 0 ] && [ "$out" = "00000004: wrote 0x12345678, read back 0xedcba987" ]'
run -s "$edu" --bar 0 --write 0x4=0x0f0f0f0f,0x08=5 --reg 4
check "--write two registers, then --reg" \
	'[ $rc = 0 ] && [ "$(echo "$out" | wc -l)" = 3 ] && echo "$out" | grep -qx "00000004: wrote 0x0f0f0f0f, read back 0xf0f0f0f0" && echo "$out" | tail -n 1 | grep -qx 0xf0f0f0f0'
run -s "$edu" --bar 0 --range 0-0x2f
check "--range 0-0x2f: 3 memtool lines of 4 words" \
	'[ $rc = 0 ] && [ "$(echo "$out" | wc -l)" = 3 ] && echo "$out" | head -n 1 | grep -qx "00000000: 010000ed f0f0f0f0 [0-9a-f]\{8\} [0-9a-f]\{8\}" && echo "$out" | tail -n 1 | grep -q "^00000020: 00000000 00000000 "'
run -s "$edu" --bar 0
check "whole BAR: capped at 256 bytes, said on stderr" \
	'[ $rc = 0 ] && [ "$(echo "$out" | wc -l)" = 16 ] && echo "$err" | grep -q "first 256 of 1048576 bytes"'
run -s "$edu" --bar 0 --range 0x80+0x20 --width 64
check "--width 64: 2 words of 16 digits per line" \
	'[ $rc = 0 ] && [ "$(echo "$out" | wc -l)" = 2 ] && echo "$out" | head -n 1 | grep -qx "00000080: [0-9a-f]\{16\} [0-9a-f]\{16\}"'
run -s "$edu" --bar 0 --range 0+16 --width 16
check "--width 16: 8 words of 4 digits" \
	'[ $rc = 0 ] && echo "$out" | grep -qx "00000000:\( [0-9a-f]\{4\}\)\{8\}"'
run -s "$edu" --bar 0 --range 0x2+4
check "misaligned range: error naming the width, exit 1" \
	'[ $rc = 1 ] && echo "$err" | grep -q "not aligned to the 32-bit width"'
run -s "$edu" --bar 0 --range 0xffffc+8
check "range past the BAR: error, exit 1" '[ $rc = 1 ] && echo "$err" | grep -q "runs past the end"'
run -s "$edu" --bar 0 --range 0x10+
check "bad range syntax: usage error, exit 2" '[ $rc = 2 ] && echo "$err" | grep -q "bad range"'
run -s "$edu" --bar 3
check "BAR 3 (not implemented): registers unavailable, config still shown" \
	'[ $rc = 1 ] && echo "$err" | grep -q "registers unavailable" && echo "$out" | grep -q "^00: 34 12 e8 11"'

regdump -s "$edu" --bar 0 --write 4=0x11111111 >/dev/null
run -s "$edu" --map "$maps/edu.map"
check "--map edu.map succeeds" '[ $rc = 0 ] && [ -z "$err" ]'
check "ident decodes: magic 0xed (edu), major 1, minor 0" \
	'echo "$out" | grep -q "^ident  *0x0000  ro   0x010000ed" && echo "$out" | grep -q "^    magic  *\[7:0\]  *0xed (edu)" && echo "$out" | grep -q "^    major  *\[31:24\]  *0x1 " && echo "$out" | grep -q "^    minor  *\[23:16\]  *0x0 "'
check "liveness shows the inverse of the last write" 'echo "$out" | grep -q "^liveness  *0x0004  rw   0xeeeeeeee"'
check "status bits: busy 0, irq_fact 0" \
	'echo "$out" | grep -q "^status  *0x0020  rw   0x00000000" && echo "$out" | grep -q "^    busy  *\[0\]  *0x0 " && echo "$out" | grep -q "^    irq_fact  *\[7\]  *0x0 "'
check "write-only registers are not read" \
	'echo "$out" | grep -q "^irq_raise  *0x0060  wo   (write-only, not read)" && echo "$out" | grep -q "^irq_ack  *0x0064  wo "'
check "64-bit DMA registers at 16 digits" 'echo "$out" | grep -q "^dma_src  *0x0080  rw   0x[0-9a-f]\{16\} "'
regdump -s "$edu" --bar 0 --write 0x20=0x80 >/dev/null
run -s "$edu" --map "$maps/edu.map" --width 32
check "status.irq_fact set decodes; --width 32 keeps DMA registers 64-bit (map allows 64 only)" \
	'[ $rc = 0 ] && echo "$out" | grep -q "^    irq_fact  *\[7\]  *0x1 " && echo "$out" | grep -q "^dma_cmd  *0x0098  rw   0x[0-9a-f]\{16\}"'
regdump -s "$edu" --bar 0 --write 0x20=0 >/dev/null

# A map with a read-clears register: not read unless --force-read.
printf 'space bar 0\nregister ident 0 32 ro\nregister irqs 0x24 32 rc pretend reading clears it\n' >/tmp/rc.map
run -s "$edu" --map /tmp/rc.map
check "rc register skipped without --force-read" \
	'[ $rc = 0 ] && echo "$out" | grep -q "^irqs  *0x0024  rc   (reading clears it: not read without --force-read)"'
run -s "$edu" --map /tmp/rc.map --force-read
check "rc register read with --force-read" '[ $rc = 0 ] && echo "$out" | grep -q "^irqs  *0x0024  rc   0x00000000"'
printf 'space bar 0\nregister ident 0 32 ro\nfield magic 8:0\nfield x 7\n' >/tmp/bad.map
run -s "$edu" --map /tmp/bad.map
check "bad map: line-numbered error, exit 2" \
	'[ $rc = 2 ] && [ "$err" = "regdump: /tmp/bad.map:4: field x (bits 7:7) overlaps field magic (bits 8:0)" ]'

run -s "$edu" --map "$maps/pci-config.map"
check "--map pci-config.map: config space via the map's space line" \
	'[ $rc = 0 ] && echo "$out" | grep -q "^vendor  *0x0000  ro   0x1234" && echo "$out" | grep -q "^device  *0x0002  ro   0x11e8" && echo "$out" | grep -q "^    layout  *\[6:0\]  *0x0 (normal)"'
run -s "$edu" --config --reg 0
check "--config --reg 0" '[ $rc = 0 ] && [ "$out" = 0x11e81234 ]'
run -s "$edu" --config --range 0+0x10 --width 16
check "--config dump at 16 bits" '[ $rc = 0 ] && [ "$out" = "00000000: 1234 11e8 $(regdump -s "$edu" --config --reg 4 --width 16 | cut -c3-) 0010 0010 00ff 0000 0000" ]'
run -d 1234:11e8 --bar 0 --reg 0 -x
check "-d with -x and --reg: lspci block then the value" \
	'[ $rc = 0 ] && echo "$out" | tail -n 1 | grep -qx 0x010000ed && echo "$out" | grep -q "^00: 34 12 e8 11"'
if [ "$(ls -d /sys/bus/pci/devices/*/ | while read -r d; do cat "$d/device"; done | grep -c 0x11e8)" = 2 ]; then
	run -d 1234:11e8 --bar 0 --reg 0
	check "two edus: title, value and a blank line each, in lspci order" \
		'[ $rc = 0 ] && [ "$(echo "$out" | grep -c "^00:0[26].0 .*1234:11e8")" = 2 ] && [ "$(echo "$out" | grep -cx 0x010000ed)" = 2 ] && [ "$(echo "$out" | grep -c "^$")" = 1 ] && echo "$out" | head -n 1 | grep -q "^00:02.0"'
fi
if grep -q 0x8139 /sys/bus/pci/devices/*/device 2>/dev/null; then
	# rtl8139: the same registers as I/O ports (BAR 0) and memory (BAR 1).
	run -d 10ec:8139 --bar 0 --range 0+8 --width 8
	# shellcheck disable=SC2034 # read in check's eval'd condition
	io=$out
	check "I/O BAR: rtl8139 ID registers byte by byte" \
		'[ $rc = 0 ] && echo "$out" | grep -qx "00000000: 52 54 00 12 34 56 [0-9a-f][0-9a-f] [0-9a-f][0-9a-f]"'
	run -d 10ec:8139 --bar 1 --range 0+8 --width 8
	check "memory BAR 1 shows the same bytes as I/O BAR 0" '[ $rc = 0 ] && [ "$out" = "$io" ]'
	run -d 10ec:8139 --bar 0 --reg 0 --width 64
	check "64-bit access to an I/O BAR: refused with the reason" \
		'[ $rc = 1 ] && [ -n "$err" ] && [ -z "$out" ]'
fi
run -s "$edu" --width 24 --bar 0
check "--width 24: usage error" '[ $rc = 2 ] && echo "$err" | grep -q "expected 8, 16, 32 or 64"'
run -s "$edu" --bar 0 --json
check "--json: valid-looking object" '[ $rc = 0 ] && echo "$out" | head -c 1 | grep -q "{"'

# Not root: no register access through UIO/VFIO nodes or sysfs resources,
# but config space (64 bytes) is still shown, and the reason given.
if ! grep -q '^nobody:' /etc/passwd 2>/dev/null; then
	echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>/etc/passwd
fi
out=$(su -s /bin/sh nobody -c "/udrv/bin/regdump -s $edu --bar 0 --reg 0" 2>/tmp/err)
rc=$?
err=$(cat /tmp/err)
check "not root: registers unavailable with the reason, 64 bytes of config shown" \
	'[ $rc = 1 ] && echo "$err" | grep -q "registers unavailable: .*" && [ "$(echo "$out" | grep -c "^[0-9a-f]0: ")" = 4 ]'
echo "# $n checks, $fails failed"
exit $fails
