#!/usr/bin/env bash
# Load test for `shadowdesk live`: replays a capture of real traffic as fast as tcpreplay can
# (--topspeed) onto one end of a veth pair while `shadowdesk live` listens on the other end in
# its own network namespace, then compares what live saw with what `scan` finds in the file.
#
#   scripts/live-load.sh [CAPTURE] [--buffer-mib N]
#
# Without CAPTURE it uses (or records) the benchmark capture of scripts/bench.sh. Needs root.
# Only the two namespaces it makes see the replayed frames.
set -euo pipefail
cd "$(dirname "$0")/.."
capture=${1:-${BENCH_DIR:-/tmp/shadowdesk-bench}/bench.pcap}
shift || true
extra=("$@")
need=()
command -v tcpreplay >/dev/null || need+=(tcpreplay)
command -v ip >/dev/null || need+=(iproute2)
if ((${#need[@]})); then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
scripts/setup-debian.sh
cargo build --release -q
bin=$(realpath target/release/shadowdesk)
if [ ! -s "$capture" ]; then
    scripts/record-bench.sh "$capture" 1024 40 6
fi
out=$(mktemp -d)
tx=sdload-tx-$$ rx=sdload-rx-$$
cleanup() {
    pkill -TERM -f "$bin live -i sdlr$$" 2>/dev/null || true
    ip netns del "$tx" 2>/dev/null || true
    ip netns del "$rx" 2>/dev/null || true
}
trap cleanup EXIT
ip netns add "$tx"
ip netns add "$rx"
ip link add sdlt$$ netns "$tx" mtu 9000 type veth peer name sdlr$$ netns "$rx" mtu 9000
ip -n "$tx" link set sdlt$$ up
ip -n "$rx" link set sdlr$$ up

ip netns exec "$rx" "$bin" live -i sdlr$$ --events "$out/live-events.ndjson" --report "$out/live-report.json" \
    --stats-interval 5 --report-interval 3600 "${extra[@]}" 2>"$out/live.stderr" &
sd=$!
for _ in $(seq 50); do grep -q capturing "$out/live.stderr" 2>/dev/null && break; sleep 0.1; done
sleep 0.5
start=$(date +%s.%N)
ip netns exec "$tx" tcpreplay --topspeed -i sdlt$$ "$capture" >"$out/tcpreplay.log" 2>&1
end=$(date +%s.%N)
sleep 3
kill -TERM "$sd"
wait "$sd"
"$bin" scan -q --events "$out/scan-events.ndjson" --report "$out/scan-report.json" "$capture"

python3 - "$out" "$start" "$end" <<'PY'
import json, re, sys
out, start, end = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
live = json.load(open(f"{out}/live-report.json"))["stats"]
scan = json.load(open(f"{out}/scan-report.json"))["stats"]
cap = live.get("capture") or {}
def obs(path):
    s = set()
    for l in open(path):
        e = json.loads(l)
        if e["kind"] in ("tls", "dns"):
            s.add((e["kind"], e["src_ip"], e["src_port"], e["dst_ip"], e["dst_port"], e["hostname"]))
    return s
lo, so = obs(f"{out}/live-events.ndjson"), obs(f"{out}/scan-events.ndjson")
sent = re.search(r"Actual: (\d+) packets .* ([\d.]+) seconds", open(f"{out}/tcpreplay.log").read(), re.S)
rate = re.search(r"Rated: [\d.]+ Bps, ([\d.]+) Mbps, ([\d.]+) pps", open(f"{out}/tcpreplay.log").read())
print(f"replayed:          {sent.group(1) if sent else '?'} packets in {end-start:.2f} s"
      + (f" ({rate.group(1)} Mbit/s, {rate.group(2)} packets/s)" if rate else ""))
print(f"in the file:       {scan['packets']} packets, {len(so)} tls+dns observations (scan)")
print(f"live, libpcap:     {cap.get('packets_received')} received, {cap.get('packets_dropped_kernel')} dropped by the kernel, "
      f"{cap.get('packets_dropped_interface')} by the interface")
print(f"live, analysed:    {live['packets']} packets, {len(lo)} tls+dns observations "
      f"({100.0*len(lo & so)/max(1,len(so)):.1f}% of scan's; {len(lo - so)} not in scan)")
PY
echo "stderr of live:"; cat "$out/live.stderr"
rm -rf "$out"
