#!/usr/bin/env bash
# Two `shadowdesk live` sensors, one per site, publish to one broker; the SOC's view is the
# topic and the fleet merge. Everything lives in namespaces this script makes:
#   hub:   the broker (tansu, on the hub's loopback), both sensors, and each site's servers
#          (dnsmasq, openssl s_server) on the hub's end of the site's veth;
#   siteA, siteB: one client each (dig, curl), 10.97.1.1 and 10.97.2.1.
# No `stats` event falls in the run (default interval 60 s): one published to the old broker
# between the read before the outage and its stop would be lost with it, by design of the test.
# Halfway through, the broker is stopped for 10 s while the sites keep sending, then started
# again (a fresh broker: tansu's memory storage forgets topics, so they are created again).
#   usage: fleet-test.sh SHADOWDESK OUT     (root)
# Leaves for tests/integration/kafka.rs: OUT/{a,b}.events, OUT/{a,b}.report.json, OUT/*.exit,
# OUT/*.stderr, OUT/consumed1, OUT/consumed2 (the topic before and after the outage),
# OUT/merged.files.json (merge of the two report files), OUT/merged.kafka.json (merge
# --kafka of the snapshots in the topic).
set -euo pipefail
bin=$(realpath "$1")
out=$(realpath -m "$2")
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
mkdir -p "$out"
hub=sdk-hub-$$ a=sdk-a-$$ b=sdk-b-$$
work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    # Whatever still runs in the namespaces (a server whose pid the script lost) would outlive
    # them and hold the test's output pipe open: the test harness would then never return.
    for ns in "$hub" "$a" "$b"; do ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true; done
    wait 2>/dev/null || true
    for ns in "$hub" "$a" "$b"; do ip netns del "$ns" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
inhub() { ip netns exec "$hub" "$@"; }
# For a process the script signals later: `ip netns exec` execs the command, so `$!` of this is
# the process itself (with the function, `$!` would be a subshell and the signal would miss it).
hubx=(ip netns exec "$hub")

for ns in "$hub" "$a" "$b"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
site() { # ns n: veth sdkN$$ in the site, sdhN$$ in the hub
    local ns=$1 n=$2
    ip link add "sdk$n$$" netns "$ns" type veth peer name "sdh$n$$" netns "$hub"
    ip -n "$ns" addr add "10.97.$n.1/24" dev "sdk$n$$"
    ip -n "$hub" addr add "10.97.$n.2/24" dev "sdh$n$$"
    ip -n "$ns" link set "sdk$n$$" up
    ip -n "$hub" link set "sdh$n$$" up
}
site "$a" 1
site "$b" 2
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" -days 1 \
    -subj /CN=test 2>/dev/null
for n in 1 2; do
    "${hubx[@]}" dnsmasq --no-daemon --no-resolv --no-hosts --port=53 --listen-address="10.97.$n.2" \
        --bind-interfaces --address=/zendesk.com/10.97.$n.2 --address=/intercom.io/10.97.$n.2 \
        --address=/freshdesk.com/10.97.$n.2 --pid-file="$work/dnsmasq$n.pid" >/dev/null 2>&1 &
    pids+=($!)
    "${hubx[@]}" openssl s_server -accept "10.97.$n.2:443" -cert "$work/cert.pem" -key "$work/key.pem" \
        -www -quiet >/dev/null 2>&1 </dev/null &
    pids+=($!)
done

port=$(inhub $py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
broker=127.0.0.1:$port
start_broker() {
    "${hubx[@]}" tansu broker --storage-engine memory://tansu/ --listener-url "tcp://$broker" \
        --advertised-listener-url "tcp://$broker" >>"$out/broker.log" 2>&1 &
    broker_pid=$!
    pids+=("$broker_pid")
    for _ in $(seq 100); do
        inhub $py -c "import socket; socket.create_connection(('127.0.0.1',$port),0.2)" 2>/dev/null && break
        sleep 0.1
    done
    # A sensor that reconnects first makes the broker create the topic itself (auto-create):
    # then it exists already, which is fine.
    inhub tansu topic create --broker "tcp://$broker" --partitions 3 events >>"$out/broker.log" 2>&1 || true
    inhub tansu topic create --broker "tcp://$broker" --partitions 1 reports >>"$out/broker.log" 2>&1 || true
}
start_broker

sensor() { # tag n
    "${hubx[@]}" "$bin" live --no-summary -i "sdh$2$$" --sensor "site-$1" --events "$out/$1.events" \
        --report "$out/$1.report.json" --report-interval 1 \
        --kafka "$broker" --kafka-topic events --kafka-report-topic reports >"$out/$1.stdout" 2>"$out/$1.stderr" &
}
sensor a 1; sa=$!
sensor b 2; sb=$!
pids+=("$sa" "$sb")
for f in a b; do for _ in $(seq 50); do grep -q capturing "$out/$f.stderr" 2>/dev/null && break; sleep 0.1; done; done
sleep 0.5

traffic() { # round: each site asks for its vendors and connects, as a browser would
    local r=$1
    for n in 1 2; do
        local ns=$a; [ $n = 2 ] && ns=$b
        ip netns exec "$ns" dig +tries=1 +time=2 @10.97.$n.2 "r$r.site$n.zendesk.com" A >/dev/null
        ip netns exec "$ns" curl -sk --max-time 5 --resolve "r$r.site$n.zendesk.com:443:10.97.$n.2" \
            "https://r$r.site$n.zendesk.com/" >/dev/null
        if [ $n = 2 ]; then
            ip netns exec "$ns" dig +tries=1 +time=2 @10.97.$n.2 "widget.intercom.io" A >/dev/null
            ip netns exec "$ns" curl -sk --max-time 5 --resolve "widget.intercom.io:443:10.97.$n.2" \
                https://widget.intercom.io/ >/dev/null
        else
            ip netns exec "$ns" dig +tries=1 +time=2 @10.97.$n.2 "acme.freshdesk.com" A >/dev/null
        fi
    done
}
for r in 1 2 3; do traffic "$r"; done
sleep 2
inhub $py "$here/consume.py" "$broker" events >"$out/consumed1"
# The outage: the broker stops; the sites keep going for 10 s.
kill "$broker_pid"; wait "$broker_pid" 2>/dev/null || true
for r in 4 5 6 7 8; do traffic "$r"; sleep 2; done
start_broker
for r in 9 10; do traffic "$r"; done
sleep 3
for s in "$sa" "$sb"; do kill -TERM "$s"; done
set +e
wait "$sa"; echo $? >"$out/a.exit"
wait "$sb"; echo $? >"$out/b.exit"
set -e
inhub $py "$here/consume.py" "$broker" events >"$out/consumed2"
"$bin" merge "$out/a.report.json" "$out/b.report.json" --report "$out/merged.files.json" >/dev/null \
    2>"$out/merge.files.stderr" || echo "merge of files failed: $?" >>"$out/merge.files.stderr"
inhub "$bin" merge --kafka "$broker" --kafka-report-topic reports --report "$out/merged.kafka.json" >/dev/null \
    2>"$out/merge.kafka.stderr" || echo "merge --kafka failed: $?" >>"$out/merge.kafka.stderr"
