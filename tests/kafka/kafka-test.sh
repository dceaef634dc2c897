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
        --advertised-listener-url "tcp://$broker" >>"$out/broker.log" 2>&1 3>&- &
    broker_pid=$!
    pids+=("$broker_pid")
    for _ in $(seq 100); do
        $py -c "import socket; socket.create_connection(('127.0.0.1',$port),0.2)" 2>/dev/null && break
        sleep 0.1
    done
    # A client that reconnects first makes the broker create the topic itself (auto-create):
    # then it exists already, which is fine.
    tansu topic create --broker "tcp://$broker" --partitions 3 events >>"$out/broker.log" 2>&1 || true
    tansu topic create --broker "tcp://$broker" --partitions 1 reports >>"$out/broker.log" 2>&1 || true
}

# A: one scan, everything delivered.
start_broker
set +e
"$bin" scan "$cap" -q --no-summary --sensor sensor-a --events "$out/a.events" --report "$out/a.report.json" \
    --kafka "$broker" --kafka-topic events --kafka-report-topic reports 2>"$out/a.stderr"
echo $? >"$out/a.exit"
set -e
$py "$here/consume.py" "$broker" events >"$out/a.consumed"
$py "$here/consume.py" "$broker" reports >"$out/a.reports"

# B: nothing listens on the port: a clear message, every event dropped and counted, exit 2.
dead=$(free_port)
set +e
"$bin" scan "$cap" -q --no-summary --events "$out/b.events" --report "$out/b.report.json" \
    --kafka "127.0.0.1:$dead" --kafka-topic events --kafka-flush-secs 2 2>"$out/b.stderr"
echo $? >"$out/b.exit"
set -e

# C: the broker goes away in the middle of a run and comes back 10 s later. The capture
# reaches the scan through a FIFO in two halves: the first while the broker runs (read
# back at once), the second after it was stopped; then a fresh broker starts (tansu's memory
# storage forgets topics, so they are created again) and the queue drains into it.
# C2 is the same with a queue of 4 KiB: what does not fit during the outage is dropped,
# and counted exactly.
n=$(capinfos -c -M "$cap" | awk '/Number of packets/ {print $NF}')
half=$((n / 2))
editcap -F pcap -r "$cap" "$out/c.first.pcap" "1-$half" >/dev/null
editcap -F pcap -r "$cap" "$out/c.second.pcap" "$((half + 1))-$n" >/dev/null
outage() {
    local tag=$1 queue=$2
    rm -f "$out/$tag.fifo"
    mkfifo "$out/$tag.fifo"
    "$bin" scan - -q --no-summary --sensor "sensor-$tag" --events "$out/$tag.events" --report "$out/$tag.report.json" \
        --kafka "$broker" --kafka-topic events --kafka-queue "$queue" --kafka-flush-secs 30 \
        <"$out/$tag.fifo" 2>"$out/$tag.stderr" &
    local scan=$!
    exec 3>"$out/$tag.fifo"
    cat "$out/c.first.pcap" >&3
    sleep 3
    $py "$here/consume.py" "$broker" events >"$out/$tag.consumed1"
    kill "$broker_pid"
    wait "$broker_pid" 2>/dev/null || true
    tail -c +25 "$out/c.second.pcap" >&3
    sleep 10
    start_broker
    exec 3>&-
    set +e
    wait "$scan"
    echo $? >"$out/$tag.exit"
    set -e
    $py "$here/consume.py" "$broker" events >"$out/$tag.consumed2"
    kill "$broker_pid"
    wait "$broker_pid" 2>/dev/null || true
    start_broker
}
kill "$broker_pid"; wait "$broker_pid" 2>/dev/null || true
start_broker
outage c 64M
outage c2 4K
