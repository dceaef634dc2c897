#!/usr/bin/env bash
# Drives `shadowdesk live` on a veth between two network namespaces with real traffic (dig
# against dnsmasq, curl against openssl s_server), rotates the events file with SIGHUP, stops
# it with SIGTERM, and leaves everything for tests/integration/live.rs to check:
#   OUT/events.1 (before rotation) OUT/events (after) OUT/report.json OUT/exit OUT/stderr
#   OUT/badif.exit OUT/badif.stderr OUT/badfilter.exit OUT/badfilter.stderr
#
#   tests/live/live-test.sh BIN OUT          (root; makes and removes namespaces sdl-*)
# Only addresses inside the namespaces it makes receive traffic.
set -euo pipefail
bin=$(realpath "$1")
out=$(realpath -m "$2")
mkdir -p "$out"
cli=sdl-cli-$$ srv=sdl-srv-$$
work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    # Anything left in the namespaces would outlive them and hold the test's output pipe open.
    for ns in "$cli" "$srv"; do ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true; done
    wait 2>/dev/null || true
    ip netns del "$cli" 2>/dev/null || true
    ip netns del "$srv" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$cli"
ip netns add "$srv"
ip link add sdlc$$ netns "$cli" type veth peer name sdls$$ netns "$srv"
ip -n "$cli" addr add 10.98.0.1/24 dev sdlc$$
ip -n "$srv" addr add 10.98.0.2/24 dev sdls$$
for ns in "$cli" "$srv"; do ip -n "$ns" link set lo up; done
ip -n "$cli" link set sdlc$$ up
ip -n "$srv" link set sdls$$ up

ip netns exec "$srv" dnsmasq --no-daemon --no-resolv --no-hosts --port=53 --listen-address=10.98.0.2 \
    --bind-interfaces --host-record=acme.zendesk.com,10.98.0.2 --address=/widget.intercom.io/10.98.0.2 \
    --cname=help.acme-corp.example,acme.zendesk.com --pid-file="$work/dnsmasq.pid" >/dev/null 2>"$work/dnsmasq.log" &
pids+=($!)
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" -days 1 \
    -subj /CN=test 2>/dev/null
ip netns exec "$srv" openssl s_server -accept 10.98.0.2:443 -cert "$work/cert.pem" -key "$work/key.pem" \
    -www -quiet >/dev/null 2>&1 </dev/null &
pids+=($!)

ip netns exec "$srv" openssl s_server -accept 10.98.0.2:853 -cert "$work/cert.pem" -key "$work/key.pem" \
    -quiet >/dev/null 2>&1 </dev/null &
pids+=($!)
mkdir -p "$work/www"
echo hello >"$work/www/index.html"
ip netns exec "$srv" python3 -m http.server 80 --bind 10.98.0.2 --directory "$work/www" >/dev/null 2>&1 &
pids+=($!)

# A bad interface and a bad filter are errors before capture starts.
set +e
ip netns exec "$cli" "$bin" live -i nosuch0 --events "$work/x" >/dev/null 2>"$out/badif.stderr"
echo $? >"$out/badif.exit"
ip netns exec "$cli" "$bin" live -i sdlc$$ --filter 'tcp and and' --events "$work/x" >/dev/null 2>"$out/badfilter.stderr"
echo $? >"$out/badfilter.exit"
set -e

ip netns exec "$cli" "$bin" live -i sdlc$$ --sensor lab-1 --events "$out/events" --report "$out/report.json" \
    --csv "$out/table.csv" --stats-interval 1 --report-interval 1 --sanctioned intercom 2>"$out/stderr" &
sd=$!
for _ in $(seq 50); do grep -q capturing "$out/stderr" 2>/dev/null && break; sleep 0.1; done
sleep 0.5

ip netns exec "$cli" dig +tries=1 +time=2 @10.98.0.2 acme.zendesk.com A >/dev/null
ip netns exec "$cli" dig +tries=1 +time=2 @10.98.0.2 help.acme-corp.example A >/dev/null
ip netns exec "$cli" curl -sk --max-time 5 --resolve acme.zendesk.com:443:10.98.0.2 https://acme.zendesk.com/ >/dev/null
# An IP literal: curl sends no SNI; the name comes from the client's DNS answer above.
ip netns exec "$cli" curl -sk --max-time 5 https://10.98.0.2/ >/dev/null
# Encrypted DNS: DNS over TLS (port 853) from dig, and a hello to a DNS-over-HTTPS resolver's
# name from curl. (The servers are not resolvers; the handshakes are what a sensor sees.)
ip netns exec "$cli" dig +tls +tries=1 +time=2 @10.98.0.2 acme.zendesk.com >/dev/null 2>&1 || true
ip netns exec "$cli" curl -sk --max-time 3 --resolve dns.google:443:10.98.0.2 https://dns.google/dns-query >/dev/null 2>&1 || true
# Plain HTTP: the Host header is the name.
for _ in $(seq 20); do ip netns exec "$cli" curl -s --max-time 2 --resolve status.helpjuice.com:80:10.98.0.2 \
    http://status.helpjuice.com/ >/dev/null && break; sleep 0.2; done
sleep 1.5
# The CSV table as a report rewrite left it, while the capture runs.
cp "$out/table.csv" "$out/table.running.csv" || true
# logrotate's way: move the file, then SIGHUP; new events go to a new file.
mv "$out/events" "$out/events.1"
kill -HUP "$sd"
sleep 0.5
ip netns exec "$cli" dig +tries=1 +time=2 @10.98.0.2 widget.intercom.io A >/dev/null
sleep 1.5
kill -TERM "$sd"
set +e
wait "$sd"
echo $? >"$out/exit"
set -e
