#!/bin/sh
# regdump --json in every mode, in the udrv-vm guest (profile uio), checked
# on the host with python3: each output line must be one valid JSON document
# with the documented keys.  Usage: regdump_json.sh UDRV_VM BUILD_DIR EDU_MAP CONFIG_MAP
set -eu
vm=$1
build=$2
edu_map=$3
cfg_map=$4
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# shellcheck disable=SC2016 # expanded in the guest
"$vm" --build-dir "$build" --profile uio --file "$edu_map" --file "$cfg_map" -- sh -c '
	e=$UDRV_EDU
	regdump --json -x -s $e
	regdump --json -xxxx
	regdump --json -s $e --bar 0 --range 0+0x20
	regdump --json -s $e --bar 0 --reg 0
	regdump --json -s $e --bar 0 --write 4=0x12345678
	regdump --json -s $e --map /udrv/files/edu.map
	regdump --json -s $e --map /udrv/files/pci-config.map
	regdump --json -s $e --bar 3 || true
' >"$out"
python3 - "$out" <<'PY'
import json, sys
def no_dup(pairs):
    keys = [k for k, _ in pairs]
    assert len(keys) == len(set(keys)), "duplicate keys: %s" % keys
    return dict(pairs)
docs = [json.loads(l, object_pairs_hook=no_dup) for l in open(sys.argv[1]) if l.strip()]
assert len(docs) == 8, len(docs)
for d in docs:
    assert set(d) == {"devices"}, d.keys()
    for dev in d["devices"]:
        assert {"address", "title", "error"} <= set(dev), dev.keys()
x, xxxx, dump, one, wr, edu, cfg, bad = (d["devices"] for d in docs)
assert x[0]["config"]["length"] == 64 and x[0]["config"]["hex"].startswith("3412e811")
assert all(dev["config"]["length"] in (256, 4096) for dev in xxxx)
assert [r["offset"] for r in dump[0]["registers"]] == list(range(0, 0x20, 4))
assert dump[0]["registers"][0]["value"] == "0x010000ed"
assert dump[0]["space"] == "bar" and dump[0]["bar"] == 0 and dump[0]["backend"] == "uio"
assert dump[0]["size"] == 1048576 and dump[0]["width"] == 32
assert one[0]["registers"] == [{"offset": 0, "value": "0x010000ed"}]
assert wr[0]["writes"] == [{"offset": 4, "value": "0x12345678", "read_back": "0xedcba987"}]
regs = {r["name"]: r for r in edu[0]["registers"]}
f = {x["name"]: x for x in regs["ident"]["fields"]}
assert f["magic"]["value"] == "0xed" and f["magic"]["enum"] == "edu"
assert f["major"]["value"] == "0x1" and f["minor"]["value"] == "0x0"
assert regs["liveness"]["value"] == "0xedcba987"
assert regs["irq_raise"]["value"] is None and regs["irq_raise"]["not_read"] == "write-only"
assert regs["dma_src"]["width"] == 64 and len(regs["dma_src"]["value"]) == 18
assert edu[0]["error"] is None and edu[0]["map"] == "/udrv/files/edu.map"
cregs = {r["name"]: r for r in cfg[0]["registers"]}
assert cregs["vendor"]["value"] == "0x1234" and cfg[0]["space"] == "config"
assert "registers unavailable" in bad[0]["error"]
assert bad[0]["config"]["length"] == 64 and bad[0]["config"]["hex"].startswith("3412e811")
print("ok - %d JSON documents valid, keys and values as documented" % len(docs))
PY
