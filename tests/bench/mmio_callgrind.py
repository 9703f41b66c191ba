#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Instructions per MMIO access, libudrv against raw volatile, by callgrind.

Runs bench_mmio --ram-only twice under valgrind's callgrind with two loop
lengths and takes the difference, so call overhead cancels and what is left
is exactly the instructions per access of each loop_udrv_* / loop_raw_*
function.  Prints a table (or --json) with udrv/raw as the headline, then
the disassembly of the read32 and write32 hot loops side by side.  A
callgrind count is the same on any machine state: this is the instruction
figure for hosts and guests without hardware counters (QEMU's TCG has none).
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

ACCESSORS = [f"{op}{bits}" for op in ("read", "write") for bits in (8, 16, 32, 64)]


def callgrind(bench, iters):
    """Return {function: Ir} for the loop_* functions of one run."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "cg.out")
        subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
                        "--compress-strings=no", "--compress-pos=no",
                        bench, "--ram-only", "--iters", str(iters), "--samples", "1"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        cost, fn, skip = {}, None, False
        with open(out) as f:
            for line in f:
                line = line.rstrip("\n")
                if skip:  # the inclusive cost line after calls=
                    skip = False
                    continue
                if line.startswith("fn="):
                    fn = line[3:]
                elif line.startswith(("ob=", "fl=")):
                    fn = None
                elif line.startswith("calls="):
                    skip = True
                elif fn and fn.startswith("loop_") and re.fullmatch(r"\d+ \d+", line):
                    cost[fn] = cost.get(fn, 0) + int(line.split()[1])
        return cost


def body(dis, fn):
    """Instructions of fn in objdump output, without addresses."""
    out, on = [], False
    for line in dis.splitlines():
        if line.endswith(f"<{fn}>:"):
            on = True
            continue
        if on:
            if not line.strip():
                break
            out.append(line.split("\t", 1)[-1].strip())
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bench", help="path of the built bench_mmio")
    ap.add_argument("--json", action="store_true", help="JSON instead of a table")
    ap.add_argument("--quick", action="store_true", help="shorter loops (same result)")
    args = ap.parse_args()
    try:
        subprocess.run(["valgrind", "--version"], check=True, stdout=subprocess.DEVNULL)
    except (OSError, subprocess.CalledProcessError):
        print("mmio_callgrind: valgrind not found: apt-get install valgrind", file=sys.stderr)
        return 77
    n1, n2 = (1024, 2048) if args.quick else (8192, 16384)  # --iters: multiples of 64
    c1, c2 = callgrind(args.bench, n1), callgrind(args.bench, n2)
    rows, ok = [], True
    for acc in ACCESSORS:
        per = {}
        for way in ("udrv", "raw"):
            fn = f"loop_{way}_{acc}"
            if fn not in c1 or fn not in c2:
                print(f"mmio_callgrind: no callgrind cost for {fn}", file=sys.stderr)
                return 1
            per[way] = (c2[fn] - c1[fn]) / (n2 - n1)
        ratio = per["udrv"] / per["raw"]
        ok &= ratio <= 1.0
        rows.append({"case": f"{acc} RAM instr", "unit": "instr/acc", "a": per["udrv"],
                     "b": per["raw"], "ratio": round(ratio, 4), "target": "<= 1.00",
                     "ok": ratio <= 1.0, "note": "callgrind Ir, 8 accesses per loop iteration"})
    dis = subprocess.run(["objdump", "-d", "--no-show-raw-insn", args.bench], check=True,
                         text=True, stdout=subprocess.PIPE).stdout
    loops = {}
    for acc in ("read32", "write32"):
        loops[acc] = {w: body(dis, f"loop_{w}_{acc}") for w in ("udrv", "raw")}
    if args.json:
        json.dump({"bench": "mmio instructions", "platform": "callgrind (host)",
                   "a": "udrv", "b": "raw", "ok": ok, "rows": rows,
                   "disassembly": loops}, sys.stdout, indent=1)
        print()
    else:
        print("mmio instructions: callgrind (host), instructions per access")
        print(f"{'case':<18}  {'udrv':>8}  {'raw':>8}  {'ratio':>6}  target")
        for r in rows:
            print(f"{r['case']:<18}  {r['a']:8.3f}  {r['b']:8.3f}  {r['ratio']:6.3f}  "
                  f"{r['target']} {'ok' if r['ok'] else 'MISSED'}")
        for acc, ways in loops.items():
            print(f"\nhot loop of {acc}: loop_udrv_{acc} | loop_raw_{acc}")
            u, r = ways["udrv"], ways["raw"]
            for i in range(max(len(u), len(r))):
                left = u[i] if i < len(u) else ""
                right = r[i] if i < len(r) else ""
                print(f"  {left:<36} | {right}")
    return 0  # a missed target is reported, not a failure


if __name__ == "__main__":
    sys.exit(main())
