#!/usr/bin/env bash
# Load test for `shadowdesk live`: replays a capture of real traffic as fast as tcpreplay can
# (--topspeed) onto one end of a veth pair while `shadowdesk live` listens on the other end in
# its own network namespace, then compares what live saw with what `scan` finds in the file.
#
#   scripts/live-load.sh [CAPTURE] [--ndpi] [--kafka] [--probes N] [LIVE OPTIONS...]
#
# CAPTURE defaults to the benchmark capture of scripts/bench.sh (recorded when missing).
# LIVE OPTIONS go to `shadowdesk live` as they are (e.g. --immediate, --buffer-mib 16).
# Prints the replay rate, libpcap's kernel and interface drops and the share of scan's TLS and
# DNS observations live found. Then, on the now quiet link, it sends N (default 20) DNS
# queries, each at a random moment, and times how long each takes to appear in the events
# file (the event latency). With --ndpi it replays the capture once more with ndpiReader
# listening instead, and prints its packet and drop counts. With --kafka, live also publishes
# every event to a tansu broker on the listener's loopback (as issue 17's fleet does), and the
# script prints what was published, what was dropped and what a consumer read back.
# Needs root. Only the two namespaces it makes see the replayed frames.
set -euo pipefail
cd "$(dirname "$0")/.."
capture=${BENCH_DIR:-/tmp/shadowdesk-bench}/bench.pcap
if [ $# -gt 0 ] && [[ $1 != -* ]]; then
    capture=$1
    shift
fi
ndpi=0 kafka=0 probes=20 extra=()
while [ $# -gt 0 ]; do
    case $1 in
        --ndpi) ndpi=1 ;;
        --kafka) kafka=1 ;;
        --probes) probes=$2; shift ;;
        *) extra+=("$1") ;;
    esac
    shift
done
[ "$(id -u)" -eq 0 ] || { echo "live-load: needs root (network namespaces)" >&2; exit 1; }
need=()
command -v tcpreplay >/dev/null || need+=(tcpreplay)
command -v ip >/dev/null || need+=(iproute2)
((ndpi == 0)) || command -v ndpiReader >/dev/null || need+=(libndpi-bin)
((kafka == 0)) || command -v tansu >/dev/null || { echo "live-load: --kafka needs tansu (see .ci/run)" >&2; exit 1; }
if ((${#need[@]})); then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
scripts/setup-debian.sh
cargo build --release -q
bin=$(realpath "${CARGO_TARGET_DIR:-target}/release/shadowdesk")
if [ ! -s "$capture" ]; then
    scripts/record-bench.sh "$capture" 1024 40 6
fi
out=$(mktemp -d)
tx=sdload-tx-$$ rx=sdload-rx-$$ txif=sdlt$$ rxif=sdlr$$
sd="" nd="" kb=""
cleanup() {
    [ -z "$sd" ] || kill -TERM "$sd" 2>/dev/null || true
    [ -z "$kb" ] || kill "$kb" 2>/dev/null || true
    [ -z "$nd" ] || kill -INT "$nd" 2>/dev/null || true
    ip netns del "$tx" 2>/dev/null || true
    ip netns del "$rx" 2>/dev/null || true
    rm -rf "$out"
}
trap cleanup EXIT
ip netns add "$tx"
ip netns add "$rx"
ip link add "$txif" netns "$tx" mtu 9000 type veth peer name "$rxif" netns "$rx" mtu 9000
ip -n "$tx" link set "$txif" up
ip -n "$rx" link set "$rxif" up
# For the latency probes: the sender needs an address and a neighbour entry for the listener,
# so that its first query leaves without waiting for ARP.
ip -n "$tx" addr add 10.66.0.1/24 dev "$txif"
rxmac=$(ip -n "$rx" -o link show "$rxif" | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
ip -n "$tx" neigh replace 10.66.0.2 lladdr "$rxmac" dev "$txif" nud permanent

# Event latency: DNS queries with names of their own, each sent at a random moment, against the
# first moment its event line is in the file (polled every 0.5 ms). N of them, or with a
# DONE file, until that file exists.
probe() { # WHAT N [DONE]
    ip netns exec "$tx" python3 - "$out/live-events.ndjson" "$2" "$1" "${3:-}" <<'PY'
import datetime, json, os, random, socket, struct, sys, time
path, n, what, done = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
f = open(path, "rb")
f.seek(0, os.SEEK_END)
buf, lat, kern = b"", [], []
i = 0
while (i < n) if not done else not os.path.exists(done):
    i += 1
    time.sleep(random.uniform(0.3, 1.0) if not done else random.uniform(0.05, 0.2))
    name = f"probe{i}-{os.getpid()}.latency.example"
    q = struct.pack(">HHHHHH", random.getrandbits(16), 0x0100, 1, 0, 0, 0)
    q += b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0\0\1\0\1"
    t0 = time.time()
    s.sendto(q, ("10.66.0.2", 53))
    while True:
        buf += f.read()
        at = buf.find(name.encode())
        if at >= 0 and buf.find(b"\n", at) >= 0:
            t1 = time.time()
            line = buf[buf.rfind(b"\n", 0, at) + 1:buf.find(b"\n", at)]
            ts = datetime.datetime.strptime(json.loads(line)["ts"], "%Y-%m-%dT%H:%M:%S.%fZ")
            ts = ts.replace(tzinfo=datetime.timezone.utc).timestamp()
            lat.append(t1 - t0)
            kern.append(t1 - ts)
            buf = buf[buf.rfind(b"\n") + 1:]
            break
        if time.time() - t0 > 5:
            lat.append(float("inf"))
            break
        time.sleep(0.0005)
def show(xs):
    xs = sorted(x * 1000 for x in xs)
    if not xs:
        return "none sent"
    return f"min {xs[0]:.1f} ms, median {xs[len(xs) // 2]:.1f} ms, max {xs[-1]:.1f} ms"
print(f"event latency:     {len(lat)} DNS queries {what}, sent -> line in the events file: {show(lat)}")
if kern:
    print(f"                   kernel's packet timestamp -> line in the events file: {show(kern)}")
PY
}

replay() { # OUTFILE: replays the capture, prints start and end times
    local s e
    s=$(date +%s.%N)
    ip netns exec "$tx" tcpreplay --topspeed -i "$txif" "$capture" >"$1" 2>&1
    e=$(date +%s.%N)
    echo "$s $e"
}

if ((kafka)); then
    ip -n "$rx" link set lo up
    port=$(ip netns exec "$rx" python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    ip netns exec "$rx" tansu broker --storage-engine memory://tansu/ --listener-url "tcp://127.0.0.1:$port" \
        --advertised-listener-url "tcp://127.0.0.1:$port" >"$out/broker.log" 2>&1 &
    kb=$!
    for _ in $(seq 100); do
        ip netns exec "$rx" python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),0.2)" 2>/dev/null && break
        sleep 0.1
    done
    ip netns exec "$rx" tansu topic create --broker "tcp://127.0.0.1:$port" --partitions 3 events >>"$out/broker.log" 2>&1
    extra+=(--kafka "127.0.0.1:$port" --kafka-topic events)
fi
ip netns exec "$rx" "$bin" live -i "$rxif" --events "$out/live-events.ndjson" --report "$out/live-report.json" \
    --stats-interval 5 --report-interval 3600 "${extra[@]}" 2>"$out/live.stderr" &
sd=$!
for _ in $(seq 50); do grep -q capturing "$out/live.stderr" 2>/dev/null && break; sleep 0.1; done
sleep 0.5
probe "during the replay" 0 "$out/replayed" >"$out/latency-busy.txt" &
pr=$!
read -r start end < <(replay "$out/tcpreplay.log")
touch "$out/replayed"
wait "$pr"
sleep 3
probe "on the quiet link" "$probes" >"$out/latency.txt"
kill -TERM "$sd"
wait "$sd" || echo "live exited with status $?"
sd=""
if ((kafka)); then
    ip netns exec "$rx" /usr/bin/python3 tests/kafka/consume.py "127.0.0.1:$port" events >"$out/consumed"
    python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
k = json.load(open(f"{out}/live-report.json"))["stats"].get("kafka") or {}
lines = sum(1 for _ in open(f"{out}/live-events.ndjson"))
got = sum(1 for _ in open(f"{out}/consumed"))
print(f"kafka:             {lines} events in the file, {k.get('events_published')} published, "
      f"{k.get('events_dropped_broker')} dropped, {got} read back from the topic")
PY
fi
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
        if e["kind"] in ("tls", "dns") and not e["hostname"].endswith(".latency.example"):
            s.add((e["kind"], e["src_ip"], e["src_port"], e["dst_ip"], e["dst_port"], e["hostname"]))
    return s
lo, so = obs(f"{out}/live-events.ndjson"), obs(f"{out}/scan-events.ndjson")
log = open(f"{out}/tcpreplay.log").read()
sent = re.search(r"Actual: (\d+) packets .* ([\d.]+) seconds", log, re.S)
rate = re.search(r"Rated: [\d.]+ Bps, ([\d.]+) Mbps, ([\d.]+) pps", log)
print(f"replayed:          {sent.group(1) if sent else '?'} packets in {end-start:.2f} s"
      + (f" ({float(rate.group(1))/1000:.2f} Gbit/s, {float(rate.group(2))/1000:.0f} k packets/s)" if rate else ""))
print(f"in the file:       {scan['packets']} packets, {len(so)} tls+dns observations (scan)")
rx, dk = cap.get("packets_received") or 0, cap.get("packets_dropped_kernel") or 0
print(f"live, libpcap:     {rx} received, {dk} dropped by the kernel ({100.0*dk/max(1,rx+dk):.2f} %), "
      f"{cap.get('packets_dropped_interface')} by the interface")
# Floored, so that one observation missing never shows as 100 %.
pct = int(10000 * len(lo & so) / max(1, len(so))) / 100
print(f"live, analysed:    {live['packets']} packets, {len(lo)} tls+dns observations: "
      f"{len(lo & so)} of scan's {len(so)} ({pct:.2f} %), {len(lo - so)} not in scan")
PY
cat "$out/latency.txt" "$out/latency-busy.txt"
echo "stderr of live:"; cat "$out/live.stderr"

if ((ndpi)); then
    # ndpiReader's own defaults for a live interface (libpcap, not immediate mode).
    ip netns exec "$rx" ndpiReader -i "$rxif" >"$out/ndpi.out" 2>&1 &
    nd=$!
    sleep 2
    read -r start end < <(replay "$out/tcpreplay-ndpi.log")
    sleep 3
    kill -INT "$nd"
    wait "$nd" || true
    nd=""
    rate=$(grep -o 'Rated: .*' "$out/tcpreplay-ndpi.log" || true)
    echo "ndpiReader replay: ${rate:-?} ($(awk -v s="$start" -v e="$end" 'BEGIN{printf "%.2f", e-s}') s)"
    # ndpiReader prints no drop count of its own: what it saw against what was sent.
    python3 - "$out" <<'PY'
import re, sys
out = sys.argv[1]
ndpi, log = open(f"{out}/ndpi.out").read(), open(f"{out}/tcpreplay-ndpi.log").read()
sent = int(re.search(r"Actual: (\d+) packets", log).group(1))
seen = int(re.search(r"IP packets:\s+\d+\s+of (\d+) packets total", ndpi).group(1))
flows = {p: re.search(rf"^\s*{p}\s+packets: \d+\s+bytes: \d+\s+flows: (\d+)", ndpi, re.M)
         for p in ("DNS", "TLS")}
print(f"ndpiReader:        {seen} of {sent} replayed packets seen, {sent-seen} lost "
      f"({100.0*(sent-seen)/sent:.2f} %); "
      + ", ".join(f"{p} flows {m.group(1) if m else '?'}" for p, m in flows.items()))
PY
fi
