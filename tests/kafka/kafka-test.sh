#!/usr/bin/env bash
# The Kafka output against a real Kafka-compatible broker (tansu) on loopback, read back by an
# independent client (kafka-python, consume.py). Writes what it saw into OUT for
# tests/integration/kafka.rs to check.
#   usage: kafka-test.sh SHADOWDESK OUT CAPTURE
#   A: scan CAPTURE publishing events (3 partitions) and report snapshots; both read back.
#   B: no broker at all: a clear message, every event counted as dropped, exit 2.
#   C: the broker stops while a run publishes and comes back: events queue and are delivered.
set -euo pipefail
bin=$1 out=$2 cap=$3
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
mkdir -p "$out"
free_port() { $py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
broker=127.0.0.1:$port
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

start_broker() {
    tansu broker --storage-engine memory://tansu/ --listener-url "tcp://$broker" \
        --advertised-listener-url "tcp://$broker" >>"$out/broker.log" 2>&1 &
    broker_pid=$!
    pids+=("$broker_pid")
    for _ in $(seq 100); do
        $py -c "import socket; socket.create_connection(('127.0.0.1',$port),0.2)" 2>/dev/null && break
        sleep 0.1
    done
    tansu topic create --broker "tcp://$broker" --partitions 3 events >>"$out/broker.log" 2>&1
    tansu topic create --broker "tcp://$broker" --partitions 1 reports >>"$out/broker.log" 2>&1
}

# A: one scan, everything delivered.
start_broker
set +e
"$bin" scan "$cap" -q --sensor sensor-a --events "$out/a.events" --report "$out/a.report.json" \
    --kafka "$broker" --kafka-topic events --kafka-report-topic reports 2>"$out/a.stderr"
echo $? >"$out/a.exit"
set -e
$py "$here/consume.py" "$broker" events >"$out/a.consumed"
$py "$here/consume.py" "$broker" reports >"$out/a.reports"

# B: nothing listens on the port: a clear message, every event dropped and counted, exit 2.
dead=$(free_port)
set +e
"$bin" scan "$cap" -q --events "$out/b.events" --report "$out/b.report.json" \
    --kafka "127.0.0.1:$dead" --kafka-topic events --kafka-flush-secs 2 2>"$out/b.stderr"
echo $? >"$out/b.exit"
set -e

# C: stdin is a FIFO fed in two halves; the broker is stopped between them and started again
# (a fresh broker: tansu's memory storage forgets the topic, so it is created again).
editcap -r "$cap" "$out/c1.pcap" 1-200 >/dev/null 2>&1 || cp "$cap" "$out/c1.pcap"
true
