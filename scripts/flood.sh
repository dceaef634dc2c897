#!/usr/bin/env bash
# Memory under floods: captures of half-open TCP flows (SYN + a partial ClientHello that
# never completes) and distinct DNS names, with well-formed flows mixed in, at several sizes.
# For each size prints packets, wall time, peak RSS, flows, evictions, and checks that every
# observation of the well-formed flows is in the events.
#
#   scripts/flood.sh [PACKETS...]        default: 100000 1000000 4000000
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
((${#sizes[@]})) || sizes=(100000 1000000 4000000)
dir=${FLOOD_DIR:-/tmp/shadowdesk-flood}
mkdir -p "$dir"
[ -x /usr/bin/time ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null; }
scripts/setup-debian.sh
cargo build --release -q
printf '%10s %8s %10s %9s %10s %10s %8s %s\n' packets "wall s" "peak MiB" "flows" "evicted" "events" "ns/pkt" "well-formed kept"
for n in "${sizes[@]}"; do
    cap=$dir/flood-$n.pcap
    want=$dir/flood-$n.json
    [ -s "$cap" ] && [ -s "$want" ] || python3 scripts/make-flood.py "$cap" "$n" >"$want"
    t=$(mktemp)
    /usr/bin/time -f "%e %M" -o "$t" target/release/shadowdesk scan -q --events "$dir/events.ndjson" --report "$dir/report.json" "$cap"
    read -r wall rss <"$t"
    rm -f "$t"
    python3 - "$want" "$dir/report.json" "$dir/events.ndjson" "$wall" "$rss" <<'PY'
import json, sys
want = json.load(open(sys.argv[1]))
rep = json.load(open(sys.argv[2]))
s = rep["stats"]
tls = vendor_dns = 0
for line in open(sys.argv[3]):
    e = json.loads(line)
    if e["kind"] == "tls" and e["hostname"].endswith(".zendesk.com"):
        tls += 1
    elif e["kind"] == "dns" and e["hostname"].endswith(".intercom.io"):
        vendor_dns += 1
ok = tls == want["complete_flows"] and vendor_dns == want["vendor_dns"]
wall, rss = float(sys.argv[4]), int(sys.argv[5])
evicted = s["flows_evicted_cap"] + s["flows_evicted_idle"]
print(f'{s["packets"]:>10} {wall:>8.2f} {rss/1024:>10.1f} {s["tcp_flows"]:>9} {evicted:>10} {s["events"]:>10} '
      f'{wall*1e9/s["packets"]:>8.0f} {"yes" if ok else "NO"} ({tls}/{want["complete_flows"]} hellos, {vendor_dns}/{want["vendor_dns"]} vendor queries)')
sys.exit(0 if ok else 1)
PY
done
