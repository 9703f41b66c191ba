#!/bin/sh
# Tests of udrv-vm itself: exit status and output pass through exactly, files
# reach the guest, a guest kernel crash fails the run, a hung command is
# killed on time, the guest runs the kernel asked for ($UDRV_VM_KERNEL, set
# by meson per kernel, or the default) and a missing kernel is named with
# its package.  Usage: test_harness.sh UDRV_VM [udrv-vm options...]
set -u
vm=$1
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
n=0

check() { # check NAME CONDITION-STATUS
	n=$((n + 1))
	if [ "$2" = 0 ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		fails=$((fails + 1))
		sed 's/^/# /' "$tmp/err" | tail -n 25
	fi
}

echo "1..8"

# 1. stdout, stderr and the exit status come back separately and exactly.
"$vm" "$@" -- sh -c 'echo out; echo err >&2; exit 7' >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 7 ] && [ "$(cat "$tmp/out")" = out ] && grep -qx err "$tmp/err"
check "status 7 and separate streams (got $rc)" $?

# 2. --file copies a file in; binary output is byte-exact.
head -c 65536 /dev/urandom >"$tmp/blob"
"$vm" "$@" --file "$tmp/blob" -- cat /udrv/files/blob >"$tmp/back" 2>"$tmp/err"
rc=$?
[ $rc = 0 ] && cmp -s "$tmp/blob" "$tmp/back"
check "--file and 64 KiB of binary output round trip (status $rc)" $?

# 3. a guest kernel crash fails the run, even though nothing reports a status.
"$vm" "$@" -- sh -c 'echo c > /proc/sysrq-trigger' >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 125 ] && grep -q -e 'Kernel panic' -e 'Call Trace' "$tmp/err"
check "sysrq crash gives 125 and shows the panic (got $rc)" $?

# 4. a hung command is killed by the host-side timeout with 124.
start=$(date +%s)
"$vm" "$@" --timeout 12 -- sleep 600 >"$tmp/out" 2>"$tmp/err"
rc=$?
took=$(($(date +%s) - start))
[ $rc = 124 ] && [ $took -lt 30 ]
check "timeout gives 124 within 30 s (got $rc after ${took}s)" $?

# 5. a failing command in a clean guest keeps its own status.
"$vm" "$@" --profile none -- false >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 1 ]
check "false gives 1 (got $rc)" $?

# 6. the guest runs the kernel udrv-vm says it picks (honouring $UDRV_VM_KERNEL).
want=$("$vm" "$@" --print-kernel 2>"$tmp/err")
got=$("$vm" "$@" --profile none -- uname -r 2>>"$tmp/err")
rc=$?
[ $rc = 0 ] && [ -n "$want" ] && [ "$got" = "$want" ] &&
	{ [ -z "${UDRV_VM_KERNEL:-}" ] || [ "$got" = "$UDRV_VM_KERNEL" ]; }
check "guest uname -r '$got' is the chosen kernel '$want' (UDRV_VM_KERNEL=${UDRV_VM_KERNEL:-})" $?

# 7. --list-kernels lists it, with its modules.
"$vm" "$@" --list-kernels >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 0 ] && grep -q "^$want	.*modules" "$tmp/out"
check "--list-kernels lists $want (status $rc)" $?

# 8. a kernel that is not installed: 125 and one line naming it and how to
# install one (this one is in no archive: the line says how to pick one).
"$vm" "$@" --kernel 0.0.0-0-none --profile none -- true >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 125 ] && [ "$(grep -c . "$tmp/err")" = 1 ] &&
	grep -q "kernel 0.0.0-0-none is not installed.*apt-get install linux-image-" "$tmp/err"
check "a missing kernel gives 125 and how to install one (got $rc)" $?

echo "# $((n - fails)) passed, $fails failed"
[ $fails = 0 ]
