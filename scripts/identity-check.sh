#!/usr/bin/env bash
# Identity conformance: runs shadowdesk over every capture of the identity set and compares
# its `identity` events (ip, field, value, source) with each capture's tshark truth
# (*.identity.tsv, made by gen_identity_truth.py). Prints recall and extras per capture and
# per source; exits 1 on any missed row or any extra not listed, with a reason, in
# KNOWN-DIFFERENCES next to this script.
#
# Usage: scripts/identity-check.sh [--bin BIN] [--dir DIR] [CAPTURE...]
#   BIN defaults to target/release/shadowdesk, DIR to ../shared/pcaps/identity (both from
#   the repository root); CAPTUREs (paths relative to DIR) limit the run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
bin="${CARGO_TARGET_DIR:-$root/target}/release/shadowdesk"
dir="$root/../shared/pcaps/identity"
only=()
while [ $# -gt 0 ]; do
    case "$1" in
        --bin) bin=$2; shift 2 ;;
        --dir) dir=$2; shift 2 ;;
        -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
        *) only+=("$1"); shift ;;
    esac
done
[ -x "$bin" ] || { echo "identity-check: no binary at $bin (cargo build --release)" >&2; exit 2; }
[ -d "$dir" ] || { echo "identity-check: no capture folder $dir" >&2; exit 2; }
exec python3 - "$bin" "$dir" "$here/KNOWN-DIFFERENCES" "${only[@]}" <<'PY'
import json, os, subprocess, sys
from collections import Counter

binary, folder, known_path = sys.argv[1:4]
only = sys.argv[4:]
known = {}
for line in open(known_path, encoding="utf-8"):
    if not line.strip() or line.startswith("#"):
        continue
    f = line.rstrip("\n").split("\t")
    if len(f) < 6 or not f[5].strip():
        sys.exit(f"KNOWN-DIFFERENCES: a row needs capture, ip, field, value, source, reason: {line!r}")
    known[tuple(f[:5])] = f[5]

caps = only or sorted(
    os.path.relpath(os.path.join(d, n), folder)
    for d, _, names in os.walk(folder)
    for n in names
    if n.endswith((".pcap", ".pcapng")) and os.path.exists(os.path.join(d, n) + ".identity.tsv")
)
found_by, want_by = Counter(), Counter()
missed_all, extra_all, explained = 0, 0, 0
for cap in caps:
    path = os.path.join(folder, cap)
    truth = set()
    with open(path + ".identity.tsv", encoding="utf-8") as f:
        next(f)
        for line in f:
            ip, field, value, source = line.rstrip("\n").split("\t")[:4]
            truth.add((ip, field, value, source))
    p = subprocess.run([binary, "scan", "-q", "--events", "-", path],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode not in (0, 1):
        print(f"{cap}: shadowdesk exit {p.returncode}: {p.stderr.decode()[:300]}")
        missed_all += len(truth)
        continue
    got = set()
    for line in p.stdout.decode().splitlines():
        e = json.loads(line)
        if e.get("kind") == "identity":
            got.add((e["ip"], e["field"], e["value"], e["source"]))
    missed = truth - got
    extra = got - truth
    unexplained = {r for r in extra if (cap,) + r not in known}
    for r in truth:
        want_by[r[3]] += 1
        found_by[r[3]] += r in got
    missed_all += len(missed)
    extra_all += len(unexplained)
    explained += len(extra) - len(unexplained)
    mark = "ok  " if not missed and not unexplained else "FAIL"
    print(f"{mark} {cap}: {len(truth & got)}/{len(truth)} found, {len(extra)} extra"
          + (f" ({len(extra) - len(unexplained)} known)" if extra != unexplained else ""))
    for r in sorted(missed):
        print("     missed  " + "\t".join(r))
    for r in sorted(extra):
        why = known.get((cap,) + r)
        print(f"     extra   " + "\t".join(r) + (f"   [known: {why}]" if why else ""))
print()
for s in ("dhcp", "dhcp_fqdn", "dhcpv6", "mdns", "nbns", "kerberos", "ntlm"):
    if want_by[s]:
        print(f"  {s:10} {found_by[s]}/{want_by[s]} ({100 * found_by[s] / want_by[s]:.0f} %)")
total_want, total_found = sum(want_by.values()), sum(found_by.values())
print(f"identity: {len(caps)} captures, {total_found}/{total_want} truth rows found, "
      f"{missed_all} missed, {extra_all} unexplained extras, {explained} known extras")
sys.exit(1 if missed_all or extra_all else 0)
PY
