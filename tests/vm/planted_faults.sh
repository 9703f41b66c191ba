#!/bin/sh
# The debug guest kernel's checkers and udrv-vm's log scanner, proven with
# planted bugs (tests/vm/fault/udrv_stub_fault.c): each one must fail the
# run with status 125 and the report of its own checker; the control run
# (fault=none) must pass.  TAP output.
#   planted_faults.sh UDRV_VM MODULE [udrv-vm options...]
set -u
vm=$1
ko=$2
shift 2
vm_opts="$*" # --build-dir DIR: no spaces
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
fails=0

# plant FAULT WANT_STATUS PATTERN: run the guest with the fault planted.
plant() {
	n=$((n + 1))
	# shellcheck disable=SC2086 # the options, split on purpose
	"$vm" $vm_opts --kernel debug --profile none --file "$ko" -- \
		sh -c "insmod /udrv/files/${ko##*/} fault=$1 && sleep 6" \
		>"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = "$2" ] && { [ -z "$3" ] || grep -qE "$3" "$tmp/err"; }; then
		echo "ok $n - fault=$1: status $rc${3:+, report /$3/}"
	else
		echo "not ok $n - fault=$1: status $rc (want $2${3:+, report /$3/})"
		sed 's/^/# /' "$tmp/err" | tail -n 30
		fails=$((fails + 1))
	fi
}

echo "1..5"
plant none 0 ""
plant uaf 125 "BUG: KASAN: .*use-after-free"
plant lockdep 125 "possible circular locking dependency"
plant dma-api 125 "DMA-API: .*different size"
plant leak 125 "kmemleak found memory udrv_stub leaked"
echo "# $((n - fails)) passed, $fails failed"
[ $fails = 0 ]
