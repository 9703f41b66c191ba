#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run a benchmark command with --json output and check what it printed.

usage: check_json.py MIN_REPORTS COMMAND [ARGS...]

Passes when COMMAND exits 0 and its stdout holds at least MIN_REPORTS JSON
reports, each with rows whose two figures are positive and finite, whose
ratio is a / b, and whose ok agrees with the target.  This is
how `make check` proves the benchmarks work without timing anything; the
reports are echoed so the test log shows the figures.
"""
import json
import math
import subprocess
import sys


def consistency(where, row):
    """A row's ratio must be a / b, and its ok what the target says of it."""
    a, b, ratio = row.get("a"), row.get("b"), row.get("ratio")
    if not all(isinstance(v, (int, float)) and v > 0 for v in (a, b)):
        return []
    if not isinstance(ratio, (int, float)) or abs(ratio - a / b) > 1e-3 * max(1.0, a / b):
        return [f"{where}: ratio {ratio!r} is not a / b = {a / b:.4f}"]
    if "target" not in row:
        return []
    op, _, bound = row["target"].partition(" ")
    cmp = {"<=": lambda x, y: x <= y, ">=": lambda x, y: x >= y,
           "==": lambda x, y: abs(x - y) < 1e-9}.get(op)
    try:
        bound = float(bound)
    except ValueError:
        cmp = None
    if cmp is None:
        return [f"{where}: target {row['target']!r} is not '<=|>=|== number'"]
    # ok is decided on the unrounded ratio; only a ratio at the bound may differ.
    if row.get("ok") is not cmp(a / b, bound) and abs(a / b - bound) > 1e-3:
        return [f"{where}: ok = {row.get('ok')!r} but ratio {a / b:.4f} {op} {bound}"]
    return []


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    want = int(sys.argv[1])
    run = subprocess.run(sys.argv[2:], stdout=subprocess.PIPE, text=True)
    out = run.stdout
    sys.stdout.write(out)
    if run.returncode:
        print(f"check_json: command exited {run.returncode}", file=sys.stderr)
        return 1
    dec, pos, reports = json.JSONDecoder(), 0, []
    while True:
        start = out.find("{", pos)
        if start < 0:
            break
        try:
            obj, pos = dec.raw_decode(out, start)
        except json.JSONDecodeError:
            pos = start + 1
            continue
        if isinstance(obj, dict) and "rows" in obj:
            reports.append(obj)
    bad = []
    for r in reports:
        if not r["rows"]:
            bad.append(f"{r.get('bench')}: no rows")
        for row in r["rows"]:
            where = f"{r.get('bench')}: {row.get('case')}"
            for k in ("a", "b"):
                v = row.get(k)
                if not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
                    bad.append(f"{where}: {k} = {v!r}")
            bad += consistency(where, row)
    if len(reports) < want:
        bad.append(f"{len(reports)} JSON report(s), expected {want}")
    for b in bad:
        print("check_json: " + b, file=sys.stderr)
    if not bad:
        rows = sum(len(r["rows"]) for r in reports)
        print(f"check_json: {len(reports)} report(s), {rows} rows, all figures positive")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
